"""The published benchmark: task hashes frozen, task definitions sane, normalisers fresh."""

import json
from pathlib import Path

import numpy as np
import pytest

from swarmgym.evaluation.normalisers import measure
from swarmgym.evaluation.runner import run_episodes
from swarmgym.evaluation.scores import main_scores
from swarmgym.evaluation.tasks import (
    BENCHMARK_VERSION,
    TASKS,
    get_task,
    load_normalisers,
    n_agents,
    normaliser,
    task_hash,
)
from swarmgym_agents.registry import RULE_BASED

#: The published tasks of benchmark v1 and their content hashes. A published task never changes: if this
#: test fails, the task's content (or an env default it resolves) changed; publish it under a new name.
PUBLISHED = {
    "flocking/vicsek": "7e8fa8efaf0e30e4",
    "flocking/couzin-mill": "33f7a7650663515f",
    "flocking/vicsek-x10": "2dca59afd93de245",
    "consensus/kuramoto-local": "01d4bd712a6998a3",
    "consensus/kuramoto-mean-field": "c8a0267f17942424",
    "consensus/opinion-hk": "31c1f354ef3e73cb",
    "consensus/kuramoto-local-x10": "22f5c142ce2472cb",
    "segregation/schelling": "10ee0e89366072b4",
    "segregation/schelling-intolerant": "76d438390b6334c3",
    "segregation/schelling-x10": "2be5400ba29f20f1",
    "commons/harvest": "2c6925d999d30a5c",
    "commons/harvest-logistic": "6bb6c80533f90642",
    "commons/harvest-x10": "97b68c982cfd9c00",
}
RESULTS = Path(__file__).resolve().parents[2] / "leaderboard" / "results"
CHEAP = ["consensus/kuramoto-local", "consensus/opinion-hk"]  # re-measured on every seed
SLOW = {"flocking/couzin-mill", "flocking/vicsek-x10", "commons/harvest-x10"}  # skipped in the subset check


def test_published_tasks_never_change():
    assert BENCHMARK_VERSION == "v1"
    for task_id, published in PUBLISHED.items():
        assert task_id in TASKS, f"published task {task_id} was removed"
        assert task_hash(TASKS[task_id]) == published, (
            f"{task_id} changed (hash {task_hash(TASKS[task_id])}, published {published}): a published task "
            "is frozen; give the changed task a new name"
        )


def test_tasks_are_well_formed():
    families = {"flocking": "flocking_v0", "consensus": "consensus_v0", "segregation": "segregation_v0"}
    families["commons"] = "commons_v0"
    for task in TASKS.values():
        assert task.env_id == families[task.family]
        assert task.reference in task.agents and set(task.agents) <= set(RULE_BASED[task.env_id])
        assert task.reduction in ("steady", "final") and task.n_seeds >= 10
        assert task.n_seeds % task.group_size == 0
    for family in families:
        assert sum(t.family == family and not t.transfer_from for t in TASKS.values()) >= 2
    with pytest.raises(ValueError, match="unknown task"):
        get_task("flocking/nothing")


def test_tasks_name_presets_instead_of_repeating_them():
    from swarmgym.registry import spec

    for task in TASKS.values():
        env_spec = spec(task.env_id)
        named = {}
        for name in task.presets:
            named.update(env_spec.preset(name))  # an unknown preset raises
        repeated = {k for k, v in task.overrides.items() if k in named and named[k] == v}
        assert not repeated, f"{task.id} repeats {sorted(repeated)} of its presets"
        for name, values in env_spec.presets.items():
            spelled = len(values) > 1 and all(task.overrides.get(k) == v for k, v in values.items())
            assert not spelled, f"{task.id} spells out preset {name!r}; name it in presets"
        assert task.config == {**named, **task.overrides}


def test_scale_transfer_tasks_have_ten_times_the_agents_of_their_source():
    transfers = [t for t in TASKS.values() if t.transfer_from]
    assert {t.family for t in transfers} == {"flocking", "consensus", "segregation", "commons"}
    for task in transfers:
        source = get_task(task.transfer_from)
        assert not source.transfer_from and source.env_id == task.env_id
        assert source.main_score == task.main_score and source.reduction == task.reduction
        assert 9.5 <= n_agents(task) / n_agents(source) <= 10.5, task.id


def test_normalisers_are_stored_for_the_current_tasks():
    stored = load_normalisers()
    assert sorted(stored) == sorted(TASKS)
    for task in TASKS.values():
        entry = normaliser(task)  # raises if measured on another task content
        assert entry["reference_agent"] == task.reference and entry["n_seeds"] == task.n_seeds
        assert entry["reference"] != entry["random"]


@pytest.mark.parametrize("task_id", CHEAP)
def test_normalisers_match_a_fresh_full_measurement(task_id):
    fresh = measure(get_task(task_id))
    stored = load_normalisers()[task_id]
    assert fresh["random"] == pytest.approx(stored["random"], rel=1e-9, abs=1e-12)
    assert fresh["reference"] == pytest.approx(stored["reference"], rel=1e-9, abs=1e-12)


def _episodes_of(task_id, agent):
    path = RESULTS / f"{task_id.replace('/', '__')}__{agent}.json"
    return [row["score"] for row in json.loads(path.read_text())["episodes"]]


@pytest.mark.parametrize("task_id", [t for t in TASKS if t not in SLOW and t not in CHEAP])
def test_normalisers_match_a_fresh_measurement_on_the_first_seed_group(task_id):
    """The leaderboard's random and reference entries hold every seed's score: the normaliser is their
    mean, and a fresh run of the first seed group (a full batched env) reproduces those scores."""
    task = get_task(task_id)
    stored = load_normalisers()[task_id]
    for role, agent in (("random", "random"), ("reference", task.reference)):
        scores = _episodes_of(task_id, agent)
        assert np.mean(scores) == pytest.approx(stored[role], rel=1e-9)
        group = task.seeds[: task.group_size]
        episodes = run_episodes(
            task.env_id, task.config, task.max_cycles, agent, group, [task.main_score], task.group_size
        )
        np.testing.assert_allclose(main_scores(task, episodes), scores[: len(group)], rtol=1e-9)
