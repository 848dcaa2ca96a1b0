"""The commons cooperation evidence: selfish and social-preference learners beside the rule-based agents.

    python examples/commons_cooperation.py                      # train what is missing, evaluate, table
    python examples/commons_cooperation.py --only greedy restrained mfq_selfish
    python examples/commons_cooperation.py --no-train           # evaluate the runs that exist
    python examples/commons_cooperation.py --table              # the table of runs/coop/evidence.json

Each learner trains with `swarmgym train commons_v0 --algo ALGO --steps STEPS --seed 0 --preference P
[--hyper gamma=G] --out runs/coop/NAME` (commons' learning config: the small preset, 1,000-step
episodes, gamma 0.99 for PPO and MF-AC; every MF-Q entry sets its own); a finished run is not trained
again. Every population
plays all four agents of the small preset for 1,000 steps on the held-out seeds 10000-10009
(`swarmgym scenario --env commons_v0 --preset small --members AGENT=4 --max-cycles 1000 --seeds ...`),
rewards and metrics always the env's selfish ones. Writes runs/coop/evidence.json and prints the
markdown table of docs/cooperation.md; `--curves PNG` draws the learners' training curves (efficiency
U and collapse rate of the training episodes, from each run's TensorBoard log).
"""

import argparse
import json
import time
from pathlib import Path

from swarmgym.core.io import write_json
from swarmgym.evaluation.scenarios import run_population
from swarmgym.registry import spec
from swarmgym.training import train

SEEDS = list(range(10000, 10010))
LEARNERS = {  # name: (algo, agent-steps, preference[, hyperparameters beyond commons' defaults])
    "ppo_selfish": ("ppo", 2_000_000, None),
    "ppo_prosocial": ("ppo", 2_000_000, "prosocial:alpha=1"),
    "ppo_inequity": ("ppo", 2_000_000, "inequity:alpha=5,beta=0.05"),
    "ppo_envy": ("ppo", 2_000_000, "inequity:alpha=5,beta=0"),
    "mfq_selfish": ("mfq", 1_000_000, None, {"gamma": 0.99}),
    "mfq_prosocial": ("mfq", 1_000_000, "prosocial:alpha=1", {"gamma": 0.99}),
    "mfq_inequity": ("mfq", 1_000_000, "inequity:alpha=5,beta=0.05", {"gamma": 0.99}),
    "mfq_envy": ("mfq", 1_000_000, "inequity:alpha=5,beta=0", {"gamma": 0.99}),
    "mfq_prosocial_4m": ("mfq", 4_000_000, "prosocial:alpha=1", {"gamma": 0.99}),
    "mfac_selfish": ("mfac", 1_000_000, None),
    "mfac_prosocial": ("mfac", 1_000_000, "prosocial:alpha=1"),
    "mfq_selfish_g998": ("mfq", 1_000_000, None, {"gamma": 0.998}),
    "mfq_prosocial_g998": ("mfq", 1_000_000, "prosocial:alpha=1", {"gamma": 0.998}),
}
RULES = ["greedy", "restrained", "sanctioner", "random"]
COLUMNS = [  # (summary key, header, format)
    ("efficiency", "U", "{:.3f}"),
    ("equality", "E", "{:.2f}"),
    ("sustainability", "S", "{:.0f}"),
    ("peace", "P", "{:.2f}"),
    ("stock", "final stock", "{:.1f}"),
    ("beams_per_step", "beams / step", "{:.3f}"),
    ("targeted_fraction", "targeted", "{:.2f}"),
]


def train_learner(name: str, root: Path) -> dict:
    """Train (or find) one learner; return what its run.json says about the training."""
    from swarmgym_agents.preferences import Preference

    algo, steps, preference, *hyper = LEARNERS[name]
    out = root / name
    if not (out / "run.json").exists() or json.loads((out / "run.json").read_text())["steps_done"] < steps:
        resume = (out / "run.json").exists()
        train(
            None if resume else "commons_v0", None if resume else algo, out, steps=steps, seed=0,
            preference=Preference.parse(preference).record(), hyper=hyper[0] if hyper else None,
            eval_seeds=0, resume=resume, progress=False,
        )  # fmt: skip
    run = json.loads((out / "run.json").read_text())
    return {"agent": f"{algo}:{out}", "steps": run["steps_done"], "wall_s": run.get("wall_seconds")}


def cell(summary: dict, key: str, fmt: str) -> str:
    """``mean [low, high]`` or a dash where there is no sample (no beam hit: no targeted fraction)."""
    value = summary.get(key)
    if value is None:
        return "—"
    return f"{fmt.format(value['mean'])} [{fmt.format(value['low'])}, {fmt.format(value['high'])}]"


def plot_curves(root: Path, names: list[str], path: Path) -> None:
    """U and the collapse rate of the training episodes against agent-steps, one line per learner."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    fig, axes = plt.subplots(1, 2, figsize=(11, 4), dpi=110)
    for name in names:
        if name not in LEARNERS or not (root / name / "tb").is_dir():
            continue
        events = EventAccumulator(str(root / name / "tb"), size_guidance={"scalars": 0})
        events.Reload()
        for ax, tag in zip(axes, ("metrics/efficiency", "metrics/collapsed")):
            points = events.Scalars(tag)
            steps = np.array([p.step for p in points])
            values = np.array([p.value for p in points])
            width = max(1, len(values) // 40)  # a running mean over ~1/40 of the run
            smooth = np.convolve(values, np.ones(width) / width, mode="valid")
            ax.plot(steps[width - 1 :], smooth, label=name, linestyle="-" if "ppo" in name else "--")
    for ax, title in zip(axes, ("efficiency U of training episodes", "collapse rate of training episodes")):
        ax.set_xlabel("agent-steps")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    """Train, evaluate, print and save."""
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--only", nargs="*", default=None, help=f"a subset of {RULES + list(LEARNERS)}")
    parser.add_argument("--root", default="runs/coop")
    parser.add_argument("--no-train", action="store_true", help="evaluate only the runs that exist")
    parser.add_argument("--curves", default=None, help="only draw the training curves (PNG)")
    parser.add_argument("--table", action="store_true", help="only print the table of the saved evidence")
    args = parser.parse_args()
    root = Path(args.root)
    names = args.only or RULES + list(LEARNERS)
    if args.curves:
        plot_curves(root, names, Path(args.curves))
        return
    saved = json.loads((root / "evidence.json").read_text()) if (root / "evidence.json").exists() else {}
    if args.table:
        print_table({name: saved[name] for name in names if name in saved})
        return
    rows = {}
    for name in names:
        training = {"agent": name, "steps": 0, "wall_s": 0.0}
        if name in LEARNERS:
            if args.no_train and not (root / name / "run.json").exists():
                continue
            training = train_learner(name, root) if not args.no_train else {
                "agent": f"{LEARNERS[name][0]}:{root / name}", "steps": None, "wall_s": None}  # fmt: skip
        start = time.time()
        result = run_population(
            "commons_v0", [(training["agent"], 4)], SEEDS, config=spec("commons_v0").preset("small"),
            max_cycles=1000,
        )  # fmt: skip
        rows[name] = {"training": training, "summary": result["summary"], "eval_wall_s": time.time() - start,
                      "members": result["members"]}  # fmt: skip
        print(f"{name}: U {cell(result['summary'], 'efficiency', '{:.3f}')}", flush=True)
    write_json(root / "evidence.json", {**saved, **rows})
    print_table(rows)


def print_table(rows: dict) -> None:
    """The markdown table of docs/cooperation.md."""
    print("\n| agent | " + " | ".join(h for _, h, _ in COLUMNS) + " | collapsed | agent-steps | train wall |")
    print("|---" * (len(COLUMNS) + 4) + "|")
    for name, row in rows.items():
        summary, training = row["summary"], row["training"]
        collapsed = round(summary["collapsed"]["mean"] * summary["collapsed"]["n"])
        cells = [cell(summary, key, fmt) for key, _, fmt in COLUMNS]
        steps = f"{training['steps']:,}" if training["steps"] else "—"
        wall = f"{training['wall_s']:.0f} s" if training["wall_s"] else "—"
        count = f"{collapsed} / {summary['collapsed']['n']}"
        print(f"| {name} | " + " | ".join(cells) + f" | {count} | {steps} | {wall} |")


if __name__ == "__main__":
    main()
