"""Schelling diagrams (Schelling 1973; Leibo et al. 2017; Hughes et al. 2018): is a game a dilemma.

For c = 0..N cooperators among N agents (the rest defectors), the population is rolled out with
:func:`swarmgym.evaluation.scenarios.run_population` (the same mixing as the scenarios) and the mean
return of a cooperator R_c and of a defector R_d are measured with 95 % CIs over seeds × copies,
beside the group's mean return per agent and the collapse rate. The standard plot draws both against
the number x of *other* cooperators: the cooperator line at c = x + 1, the defector line at c = x.

A social dilemma (Hughes et al. 2018; Macy & Flache 2002) shows collective benefit, R_c(N) > R_d(0)
(all cooperating beats all defecting), and an individual incentive to defect: greed, R_d(N−1) > R_c(N)
(the last cooperator gains by defecting: temptation > reward), and/or fear, R_d(0) > R_c(1) (the first
cooperator among defectors loses: punishment > sucker). Fear without greed is a stag hunt. The result
reports these comparisons, and the defector's advantage at every x, as measured, never assumed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

import swarmgym
from swarmgym.core.io import atomic_path, write_json
from swarmgym.evaluation.scenarios import member_identity, run_population
from swarmgym.registry import spec


def schelling_diagram(
    env_id: str,
    cooperator: str,
    defector: str,
    seeds: Sequence[int] = (0,),
    copies: int = 4,
    config: Mapping[str, Any] | None = None,
    max_cycles: int | None = None,
) -> dict[str, Any]:
    """Measure the diagram; returns the JSON-ready result (``rows`` per c, and the ``dilemma`` checks).

    Every c uses the same env seeds (copy b of seed s is seeded s·copies + b) and a seeded random
    placement of the cooperators among the agent indices; policies are loaded once by name.
    """
    from swarmgym_agents.registry import load_policy

    env_id = spec(env_id).id
    config = dict(config or {})
    model = swarmgym.make_model(env_id, **config)
    n = model.n_agents
    policies = [load_policy(name, env_id, model, seed=0) for name in (cooperator, defector)]
    rows = []
    start = time.time()
    for c in range(n + 1):
        result = run_population(
            env_id,
            [(cooperator, c), (defector, n - c)],
            seeds,
            copies=copies,
            config=config,
            max_cycles=max_cycles,
            policies=policies,
        )
        summary = result["summary"]
        rows.append(
            {
                "cooperators": c,
                "cooperator_return": summary.get("return/0"),
                "defector_return": summary.get("return/1"),
                "group_return": summary["return/all"],
                "collapse_rate": summary["collapsed"]["mean"] if summary.get("collapsed") else None,
                "efficiency": summary.get("efficiency"),
            }
        )
    return {
        "env_id": env_id,
        "cooperator": member_identity(cooperator),
        "defector": member_identity(defector),
        "n_agents": n,
        "config": config,
        "max_cycles": int(max_cycles or spec(env_id).max_cycles),
        "seeds": [int(s) for s in seeds],
        "copies": int(copies),
        "samples_per_point": len(seeds) * int(copies),
        "rows": rows,
        "dilemma": dilemma_checks(rows),
        "wall_s": round(time.time() - start, 1),
    }


def _mean(cell: Mapping[str, float] | None) -> float:
    return float("nan") if cell is None else float(cell["mean"])


def dilemma_checks(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The measured dilemma conditions from the rows (x = other cooperators, 0..N−1).

    ``defector_advantage[x]`` = R_d(c = x) − R_c(c = x + 1), what an agent gains by defecting when x
    others cooperate; ``greed``: it is positive at x = N − 1; ``fear``: at x = 0;
    ``collective_benefit``: R_c(N) > R_d(0), with their ratio. ``defector_ahead_same_c`` counts the c
    (1..N−1) at which a defector out-earns a cooperator of the same population.
    """
    n = len(rows) - 1
    coop = np.array([_mean(row["cooperator_return"]) for row in rows])
    defect = np.array([_mean(row["defector_return"]) for row in rows])
    advantage = defect[:n] - coop[1:]
    all_c, all_d = coop[n], defect[0]
    return {
        "all_cooperate_return": float(all_c),
        "all_defect_return": float(all_d),
        "all_cooperate_over_all_defect": float(all_c / all_d) if all_d > 0 else None,
        "collective_benefit": bool(all_c > all_d),
        "defector_advantage": [float(a) for a in advantage],
        "defector_ahead_at": int((advantage > 0).sum()),
        "defector_ahead_same_c": int((defect[1:n] > coop[1:n]).sum()),
        "greed": bool(advantage[-1] > 0),
        "fear": bool(advantage[0] > 0),
    }


def plot(result: Mapping[str, Any], path: str | Path) -> Path:
    """Write the diagram as a PNG: both returns (with 95 % CI bands) against the other cooperators."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["rows"]
    n = result["n_agents"]
    x = np.arange(n)

    def series(key: str, cs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cells = [rows[c][key] for c in cs]
        return tuple(np.array([cell[k] for cell in cells]) for k in ("mean", "low", "high"))

    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    for key, cs, label, colour in (
        ("cooperator_return", x + 1, f"cooperator ({result['cooperator']['agent']})", "tab:blue"),
        ("defector_return", x, f"defector ({result['defector']['agent']})", "tab:red"),
    ):
        mean, low, high = series(key, cs)
        ax.plot(x, mean, "o-", color=colour, label=label)
        ax.fill_between(x, low, high, color=colour, alpha=0.2)
    ax.set_xlabel("number of other cooperators")
    ax.set_ylabel(f"mean return per agent ({result['max_cycles']} steps)")
    ax.set_title(f"Schelling diagram, {result['env_id']}, N = {n}")
    ax.set_xticks(x)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as temp:
        fig.savefig(temp, format="png")
    plt.close(fig)
    return path


def write(result: Mapping[str, Any], out: str | Path) -> tuple[Path, Path]:
    """Write ``OUT/schelling_<env>.json`` (atomically) and ``OUT/schelling_<env>.png``."""
    out = Path(out)
    stem = f"schelling_{result['env_id']}"
    return write_json(out / f"{stem}.json", dict(result)), plot(result, out / f"{stem}.png")


def format_table(result: Mapping[str, Any]) -> str:
    """A plain-text table: one row per c with both returns, the group's, and the collapse rate."""

    def cell(value: Mapping[str, float] | None) -> str:
        if value is None:
            return "—"
        return f"{value['mean']:.1f} [{value['low']:.1f}, {value['high']:.1f}]"

    lines = [
        f"{'c':>3} {'cooperator return':>22} {'defector return':>22} {'group return':>22} {'collapse':>9}"
    ]
    for row in result["rows"]:
        returns = [cell(row[key]) for key in ("cooperator_return", "defector_return", "group_return")]
        lines.append(
            f"{row['cooperators']:>3} {returns[0]:>22} {returns[1]:>22} {returns[2]:>22} "
            f"{row['collapse_rate']:>9.2f}"
        )
    return "\n".join(lines)
