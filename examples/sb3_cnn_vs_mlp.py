"""PPO with the MLP and with the 3×3 CNN (``--policy cnn``) on one task: same budget, same seeds.

Prints the learning curve of the env's main metric (from each run's TensorBoard ``metrics/`` tag) and
the final evaluation (seeds 10000..), one row per policy; writes ``OUT/summary.json``.

    python examples/sb3_cnn_vs_mlp.py --env segregation_v0 --steps 300000 --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from swarmgym.training import learning_spec, train


def curve(run_dir: Path, tag: str) -> list[tuple[int, float]]:
    """(step, value) pairs of ``tag`` in the run's TensorBoard logs."""
    events = EventAccumulator(str(run_dir / "tb"))
    events.Reload()
    if tag not in events.Tags().get("scalars", []):
        return []
    return [(e.step, e.value) for e in events.Scalars(tag)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="segregation_v0")
    parser.add_argument("--steps", type=int, default=300_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--policies", nargs="+", default=["mlp", "cnn"])
    parser.add_argument("--eval-seeds", type=int, default=5)
    parser.add_argument("--out", default="runs/cnn_vs_mlp")
    args = parser.parse_args()
    metric = learning_spec(args.env).main_metric
    out = Path(args.out)
    summary: dict = {"env_id": args.env, "steps": args.steps, "metric": metric, "runs": {}}
    for policy in args.policies:
        for seed in args.seeds:
            run_dir = out / f"{args.env}_{policy}_s{seed}"
            start = time.time()
            run = train(
                args.env, "ppo", run_dir, steps=args.steps, seed=seed, hyper={"policy": policy},
                eval_seeds=args.eval_seeds, progress=False, verbose=False,
            )
            final = run.get("evaluation", {}).get(f"ppo:{run_dir}", {})
            steady = final.get("summary", {}).get("steady", {}).get(metric, {})
            summary["runs"][f"{policy}/{seed}"] = {
                "seconds": round(time.time() - start, 1),
                "curve": curve(run_dir, f"metrics/{metric}"),
                "final": steady.get("mean") if isinstance(steady, dict) else steady,
            }
            print(policy, seed, summary["runs"][f"{policy}/{seed}"]["final"], f"{time.time() - start:.0f}s")
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    for policy in args.policies:
        runs = [summary["runs"][f"{policy}/{s}"] for s in args.seeds]
        finals = [r["final"] for r in runs if r["final"] is not None]
        points = sorted({step for r in runs for step, _ in r["curve"]})
        marks = points[:: max(len(points) // 6, 1)]
        row = []
        for step in marks:
            values = [v for r in runs for s, v in r["curve"] if s == step]
            row.append(f"{step // 1000}k:{np.mean(values):.3f}")
        print(f"{policy:4s} final {np.mean(finals):.3f} ± {np.std(finals):.3f}  curve " + " ".join(row))


if __name__ == "__main__":
    main()
