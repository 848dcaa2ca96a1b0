"""The leaderboard: result files in, README tables, plots and a self-contained HTML page out.

``leaderboard/results/`` holds one validated result per entry (:func:`submit` adds one, refusing a
malformed file, a stale task hash, other seeds or a duplicate). :func:`build` turns them into one
document model (headings, paragraphs, tables, images) rendered twice, as ``README.md`` and as
``index.html`` with the PNGs inlined, so both always show the same tables. The README is a pure function
of the result files (no dates, no timings), which a test checks byte for byte.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from swarmgym.core.io import atomic_path
from swarmgym.evaluation.results import entry_key, entry_label, preference_label, read_result, write_result
from swarmgym.evaluation.tasks import BENCHMARK_VERSION, TASKS, Task, n_agents, task_hash
from swarmgym.metrics.stats import (
    interquartile_mean,
    performance_profile,
    probability_of_improvement_ci,
    stratified_bootstrap_ci,
)

PROFILE_TAUS = np.linspace(-0.5, 1.5, 81)


@dataclass
class Table:
    """A table of text cells."""

    headers: list[str]
    rows: list[list[str]]


@dataclass
class Section:
    """A heading, paragraphs, tables and images (paths relative to the leaderboard folder)."""

    title: str
    level: int = 2
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)


# -- loading and submitting ------------------------------------------------------------------------
def load_results(results_dir: str | Path) -> list[dict[str, Any]]:
    """Every result file of ``results_dir`` (sorted by name), validated against the current tasks."""
    results_dir = Path(results_dir)
    results, problems = [], []
    for path in sorted(results_dir.glob("*.json")):
        try:
            result = read_result(path)
        except ValueError as error:
            problems.append(str(error))
            continue
        if path.stem != entry_key(result):
            problems.append(f"{path}: named {path.name}, but its entry is {entry_key(result)}.json")
        results.append(result)
    if problems:
        raise ValueError("invalid leaderboard results:\n  " + "\n  ".join(problems))
    return results


def submit(result_path: str | Path, directory: str | Path = "leaderboard", rebuild: bool = True) -> Path:
    """Validate a result (schema, task hash, the task's seeds, budget, no duplicate) and add it."""
    result = read_result(result_path)
    task = TASKS[result["task"]["id"]]
    agent = result["agent"]
    if agent["kind"] == "learned" and agent["training"]["steps_done"] > task.budget_steps:
        raise ValueError(
            f"{result_path}: the agent trained for {agent['training']['steps_done']:,} agent-steps, over "
            f"{task.id}'s budget class of {task.budget}"
        )
    results_dir = Path(directory) / "results"
    target = results_dir / f"{entry_key(result)}.json"
    if target.exists():
        raise ValueError(f"{result_path}: the leaderboard already has this entry ({target}); remove it first")
    if agent["kind"] == "learned":
        for path in sorted(results_dir.glob("*.json")) if results_dir.exists() else []:
            other = read_result(path, strict=False)
            if other["task"]["id"] != task.id:
                continue
            if other["agent"].get("checkpoint_sha256") == agent["checkpoint_sha256"]:
                raise ValueError(f"{result_path}: this checkpoint is already on {task.id} ({path})")
            if other["agent"]["name"] == agent["name"]:
                raise ValueError(
                    f"{result_path}: {agent['name']} is already on {task.id} ({path}); remove that file to "
                    "replace the entry"
                )
    write_result(target, result, replace=False)
    if rebuild:
        build(directory)
    return target


# -- the document ----------------------------------------------------------------------------------
def _ci(summary: Mapping[str, float], digits: int, iqm: bool = False) -> str:
    keys = ("iqm", "iqm_low", "iqm_high") if iqm else ("mean", "low", "high")
    mean, low, high = (_fixed(summary[k], digits) for k in keys)
    return f"{mean} [{low}, {high}]"


def _fixed(value: float, digits: int) -> str:
    """Fixed-point text without a negative zero (``-0.00`` reads as a sign where there is none)."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _group(result: Mapping[str, Any]) -> str:
    """Across tasks, rules are grouped by name and learned entries by algorithm and social preference."""
    agent = result["agent"]
    if agent["kind"] != "learned":
        return agent["name"]
    if agent["training"].get("preference"):
        return f"{agent['algo']} {preference_label(agent)}"
    return agent["algo"]


def _emergence(aggregate: Mapping[str, Any] | None, n: int) -> str:
    if aggregate is None:
        return "n/a"
    median = aggregate["median"]
    return f"{'—' if median is None else f'{median:g}'} ({aggregate['reached']}/{n})"


def _extra(result: Mapping[str, Any], name: str) -> str:
    if name == "collapsed":
        collapsed = sum(row["final"][name] >= 0.5 for row in result["episodes"])
        return f"{collapsed}/{len(result['episodes'])}"
    summary = result["aggregates"]["extra"][name]
    return f"{summary['mean']:.3g} [{summary['low']:.3g}, {summary['high']:.3g}]"


def _ranked(results: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(
        results, key=lambda r: (-r["aggregates"]["normalised_score"]["mean"], entry_label(r["agent"]))
    )


def task_section(task: Task, results: Sequence[Mapping[str, Any]]) -> Section:
    """One task: what it is, its normalisers, and the ranked table of its entries."""
    first = results[0]
    norms = first["evaluation"]["normalisers"]
    reduction = (
        "mean over the last third of the episode" if task.reduction == "steady" else "value at the last step"
    )
    lines = [
        f"{task.description}. Env `{task.env_id}`, N = {n_agents(task)}, {task.max_cycles} steps, seeds "
        f"{task.seeds[0]}..{task.seeds[-1]} (one episode each), task hash `{task_hash(task)}`.",
        f"Main score: `{task.main_score}` ({reduction}). Normalisers: random {norms['random']:.4g}, "
        f"{task.reference} {norms['reference']:.4g}."
        + (
            f" Time to emergence: median first step after which `{task.main_score}` stays >= "
            f"{task.threshold:g} to the end, over the episodes that get there (reached/episodes; the rest "
            "are censored)."
            if task.threshold is not None
            else ""
        ),
    ]
    if task.transfer_from:
        lines.append(f"Scale transfer: learned agents trained on `{task.transfer_from}` are evaluated here.")
    headers = ["rank", "agent", "normalised score [95 % CI]", "IQM [95 % CI]", f"{task.main_score} [95 % CI]"]
    headers += ["time to emergence"] if task.threshold is not None else []
    headers += list(task.extra_scores) + ["reproduce"]
    rows = []
    for rank, result in enumerate(_ranked(results), start=1):
        agg = result["aggregates"]
        row = [
            str(rank),
            entry_label(result["agent"]),
            _ci(agg["normalised_score"], 2),
            _ci(agg["normalised_score"], 2, iqm=True),
            _ci(agg["score"], 3),
        ]
        if task.threshold is not None:
            row.append(_emergence(agg["time_to_emergence"], len(result["episodes"])))
        row += [_extra(result, name) for name in task.extra_scores]
        row.append(f"`{result['command']}`")
        rows.append(row)
    return Section(
        task.id,
        paragraphs=lines,
        tables=[Table(headers, rows)],
        images=[
            (f"{task.id}: normalised scores", f"plots/{task.slug}_scores.png"),
            (f"{task.id}: {task.main_score} over time", f"plots/{task.slug}_series.png"),
        ],
    )


def _by_group(results: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, np.ndarray]]:
    """Agent group -> task -> per-seed normalised scores (learned entries of one algorithm pooled)."""
    table: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        table[_group(result)][result["task"]["id"]] += [row["normalised_score"] for row in result["episodes"]]
    return {g: {t: np.asarray(v) for t, v in sorted(tasks.items())} for g, tasks in sorted(table.items())}


def summary_section(results: Sequence[Mapping[str, Any]]) -> Section:
    """Across tasks: IQM of normalised scores and P(agent > the task's reference), stratified bootstrap."""
    groups = _by_group(results)
    reference = {task_id: groups.get(TASKS[task_id].reference, {}).get(task_id) for task_id in TASKS}
    rows = []
    for name, per_task in groups.items():
        pooled = np.concatenate(list(per_task.values()))
        low, high = stratified_bootstrap_ci(per_task, interquartile_mean)
        both = [t for t in per_task if reference.get(t) is not None]
        if both:
            poi = probability_of_improvement_ci(
                {t: per_task[t] for t in both}, {t: reference[t] for t in both}
            )
            poi_text = f"{poi['p']:.2f} [{poi['low']:.2f}, {poi['high']:.2f}]"
        else:
            poi_text = "—"
        rows.append(
            [
                name,
                str(len(per_task)),
                f"{_fixed(interquartile_mean(pooled), 2)} [{_fixed(low, 2)}, {_fixed(high, 2)}]",
                _fixed(pooled.mean(), 2),
                poi_text,
            ]
        )
    rows.sort(key=lambda row: row[0])
    families = sorted({TASKS[r["task"]["id"]].family for r in results})
    return Section(
        "Across tasks",
        paragraphs=[
            "Each agent over the tasks it plays (learned entries pooled per algorithm and social "
            "preference): the interquartile mean of its per-seed normalised scores with a 95 % stratified "
            "bootstrap CI (seeds resampled within each task), and the probability that it beats the task's "
            "reference agent on a random seed, averaged over tasks (Agarwal et al. 2021). Rows over "
            "different task sets are not directly comparable.",
        ],
        tables=[
            Table(
                [
                    "agent",
                    "tasks",
                    "IQM normalised [95 % CI]",
                    "mean normalised",
                    "P(agent > reference) [95 % CI]",
                ],
                rows,
            )
        ],
        images=[(f"{family}: performance profiles", f"plots/{family}_profiles.png") for family in families],
    )


def tasks_table(tasks: Sequence[Task]) -> Table:
    """The task list: id, env, N, horizon, main score, threshold, reference, budget, hash."""
    rows = [
        [
            task.id,
            f"`{task.env_id}`",
            str(n_agents(task)),
            str(task.max_cycles),
            f"`{task.main_score}` ({task.reduction})",
            "—" if task.threshold is None else f"{task.threshold:g}",
            task.reference,
            task.budget,
            task.transfer_from or "—",
            f"`{task_hash(task)}`",
        ]
        for task in tasks
    ]
    headers = [
        "task",
        "env",
        "N",
        "horizon",
        "main score",
        "threshold",
        "reference",
        "budget",
        "transfer from",
    ]
    return Table([*headers, "hash"], rows)


def document(
    results: Sequence[Mapping[str, Any]], dilemmas: Sequence[Mapping[str, Any]] = ()
) -> list[Section]:
    """The whole leaderboard as sections (the README and the HTML page render them); diagrams last."""
    by_task: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for result in results:
        by_task[result["task"]["id"]].append(result)
    intro = Section(
        "swarmgym leaderboard",
        level=1,
        paragraphs=[
            f"Benchmark {BENCHMARK_VERSION}: {len(TASKS)} tasks, {len(results)} entries. Generated by "
            "`swarmgym leaderboard build` from the result files in `leaderboard/results/` (one per entry, "
            "written by `swarmgym evaluate`, added by `swarmgym leaderboard submit RESULT.json`); do not "
            "edit it by hand: a test checks that it is exactly what `build` produces. `index.html` is the "
            "same "
            "page with the plots inlined.",
            "Normalised score: 0 = the random agent, 1 = the task's reference rule-based agent, per seed; "
            "the mean and the interquartile mean (IQM) over the task's evaluation seeds with 95 % bootstrap "
            "CIs. "
            "How tasks, scores, normalisers and the result schema work: `docs/evaluation.md`.",
            "Learned entries (PPO, MF-Q, MF-AC, training seed 0, each algorithm's default budget capped by "
            "the task's budget class) are trained, evaluated on their task and its scale-transfer task, and "
            "submitted by `python leaderboard/train_learned.py` (about 30 minutes on 2 cores); each result "
            "file records its run's training config, hyperparameters and preference under `agent.training`. "
            "The commons entries with a social preference (e.g. `prosocial(a=1)`) are the runs of "
            "`python examples/commons_cooperation.py` (1,000-step training episodes, `runs/coop/NAME`), "
            "evaluated and submitted with `swarmgym evaluate` and `swarmgym leaderboard submit`.",
        ],
        tables=[tasks_table(list(TASKS.values()))],
    )
    sections = [intro]
    for task_id, task in TASKS.items():
        if by_task.get(task_id):
            sections.append(task_section(task, by_task[task_id]))
    if results:
        sections.append(summary_section(results))
    sections += [dilemma_section(diagram) for diagram in dilemmas]
    return sections


def load_dilemmas(directory: str | Path) -> list[dict[str, Any]]:
    """The Schelling diagrams in ``directory`` (``schelling_<env>.json``, each beside its PNG), by env."""
    return [json.loads(path.read_text()) for path in sorted(Path(directory).glob("schelling_*.json"))]


def dilemma_section(diagram: Mapping[str, Any]) -> Section:
    """One Schelling diagram (``swarmgym schelling-diagram``): the verdict, its table and its PNG."""
    env_id, checks = diagram["env_id"], diagram["dilemma"]
    cooperator, defector = diagram["cooperator"]["agent"], diagram["defector"]["agent"]
    seeds = " ".join(str(s) for s in diagram["seeds"])
    ahead = [x for x, gain in enumerate(checks["defector_advantage"]) if gain > 0]
    kind = {
        (True, True): "a prisoner's dilemma (greed and fear)",
        (False, True): "a stag hunt (fear, no greed)",
        (True, False): "a game of chicken (greed, no fear)",
        (False, False): "no dilemma (neither greed nor fear)",
    }
    ratio, all_c, all_d = (
        checks[k] for k in ("all_cooperate_over_all_defect", "all_cooperate_return", "all_defect_return")
    )
    times = "∞" if ratio is None else f"{ratio:.1f}"  # None: all-defect earns nothing
    at = ", ".join(map(str, ahead)) or "no"
    verdict = (
        f"Measured: all agents playing `{cooperator}` earn {all_c:.1f} per agent, {times}× the "
        f"{all_d:.1f} of all playing `{defector}`; defecting pays the individual when x = {at} other "
        f"agents cooperate. With these two agents the game is {kind[(checks['greed'], checks['fear'])]}."
    )
    how = (
        f"{diagram['n_agents']} agents, {diagram['max_cycles']} steps, c agents `{cooperator}` and the rest "
        f"`{defector}` on seeded random indices, {diagram['samples_per_point']} samples per point (seeds "
        f"{seeds} × {diagram['copies']} copies); mean return per agent with 95 % bootstrap CI. Made by "
        f"`swarmgym schelling-diagram {env_id} --cooperator {cooperator} --defector {defector} --seeds "
        f"{seeds} --copies {diagram['copies']} --out leaderboard/dilemmas`."
    )
    rows = []
    for row in diagram["rows"]:
        cells = [row[key] for key in ("cooperator_return", "defector_return", "group_return")]
        rows.append(
            [str(row["cooperators"])]
            + ["—" if c is None else _ci(c, 1) for c in cells]
            + [f"{row['collapse_rate']:.2f}" if row["collapse_rate"] is not None else "—"]
        )
    return Section(
        f"Social dilemma: {env_id}",
        paragraphs=[verdict, how],
        tables=[
            Table(
                ["cooperators c", "cooperator return", "defector return", "group return", "collapse rate"],
                rows,
            )
        ],
        images=[(f"Schelling diagram of {env_id}", f"dilemmas/schelling_{env_id}.png")],
    )


# -- rendering -------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(sections: Sequence[Section]) -> str:
    """The README text of ``sections``."""
    out: list[str] = []
    for section in sections:
        out += ["#" * section.level + " " + section.title, ""]
        for paragraph in section.paragraphs:
            out += [paragraph, ""]
        for table in section.tables:
            out.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
            out.append("|" + "---|" * len(table.headers))
            out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
            out.append("")
        if section.images:
            out += [" ".join(f"![{alt}]({path})" for alt, path in section.images), ""]
    return "\n".join(out)


def _inline(text: str) -> str:
    """Escaped HTML with `code` spans."""
    parts = re.split(r"`([^`]*)`", text)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p) for i, p in enumerate(parts))


def render_html(sections: Sequence[Section], directory: Path) -> str:
    """A self-contained page of ``sections``: no external file, the PNGs inlined as base64."""
    body: list[str] = []
    for section in sections:
        anchor = re.sub(r"[^a-z0-9]+", "-", section.title.lower()).strip("-")
        body.append(f'<h{section.level} id="{anchor}">{html.escape(section.title)}</h{section.level}>')
        body += [f"<p>{_inline(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            head = "".join(f"<th>{_inline(h)}</th>" for h in table.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in table.rows
            )
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        for alt, path in section.images:
            data = base64.b64encode((directory / path).read_bytes()).decode()
            body.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">')
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
        "th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}th{background:#f0f0f0}"
        "img{max-width:49%;margin:0.3em 0}code{background:#f4f4f4;padding:0 2px}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>swarmgym leaderboard</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def make_plots(results: Sequence[Mapping[str, Any]], directory: Path) -> list[Path]:
    """Every PNG the document refers to, under ``directory/plots``."""
    from swarmgym.evaluation import plots

    by_task: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for result in results:
        by_task[result["task"]["id"]].append(result)
    written = []
    for task_id, entries in by_task.items():
        task = TASKS[task_id]
        ranked = _ranked(entries)
        labels = [entry_label(r["agent"]) for r in ranked]
        written.append(
            plots.score_distribution(
                task_id,
                labels,
                [[row["normalised_score"] for row in r["episodes"]] for r in ranked],
                [r["aggregates"]["normalised_score"] for r in ranked],
                directory / "plots" / f"{task.slug}_scores.png",
            )
        )
        written.append(
            plots.metric_series(
                f"{task_id}: {task.main_score} over time (mean ± std over seeds)",
                task.main_score,
                [(label, r["series"]["mean"], r["series"]["std"]) for label, r in zip(labels, ranked)],
                directory / "plots" / f"{task.slug}_series.png",
                threshold=task.threshold,
            )
        )
    groups = _by_group(results)
    for family in sorted({TASKS[t].family for t in by_task}):
        profiles = {}
        for name, per_task in groups.items():
            family_tasks = {t: v for t, v in per_task.items() if TASKS[t].family == family}
            if family_tasks:
                profiles[f"{name} ({len(family_tasks)} tasks)"] = performance_profile(
                    family_tasks, PROFILE_TAUS
                )
        written.append(
            plots.performance_profiles(
                f"{family}: score distributions over its tasks",
                profiles,
                directory / "plots" / f"{family}_profiles.png",
            )
        )
    return written


def build(directory: str | Path = "leaderboard", plots: bool = True) -> dict[str, Path]:
    """Write ``README.md``, ``plots/*.png`` and ``index.html`` from ``directory/results``."""
    directory = Path(directory)
    results = load_results(directory / "results")
    sections = document(results, load_dilemmas(directory / "dilemmas"))
    readme = directory / "README.md"
    with atomic_path(readme) as temp:
        temp.write_text(render_markdown(sections))
    written = {"readme": readme}
    if plots:
        make_plots(results, directory)
        page = directory / "index.html"
        with atomic_path(page) as temp:
            temp.write_text(render_html(sections, directory))
        written["html"] = page
    return written
