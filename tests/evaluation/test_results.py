"""Result files: schema, refusal messages, atomic non-overwrite, learned-agent identity, marl-eval layout."""

import copy
import json

import numpy as np
import pytest

from swarmgym.evaluation import results as results_module
from swarmgym.evaluation.results import (
    SCHEMA_VERSION,
    agent_identity,
    entry_key,
    evaluate_task,
    read_result,
    to_marl_eval,
    validate_result,
    write_result,
)
from swarmgym.evaluation.tasks import get_task, task_hash

TASK = "consensus/kuramoto-local"  # 48 agents, 100 steps: the cheapest task
SEEDS = [10_000, 10_001, 10_002]


@pytest.fixture(scope="module")
def result():
    return evaluate_task(TASK, "kuramoto", seeds=SEEDS)


def test_a_result_records_task_agent_episodes_aggregates_and_provenance(result):
    task = get_task(TASK)
    assert result["schema_version"] == SCHEMA_VERSION
    assert result["task"]["hash"] == task_hash(task)
    assert result["task"]["config"]["size"] == 8 and "dt" in result["task"]["config"]  # the full config
    assert result["agent"] == {"name": "kuramoto", "kind": "rule-based"}
    assert [row["seed"] for row in result["episodes"]] == SEEDS
    assert len(result["series"]["mean"]) == task.max_cycles
    scores = [row["score"] for row in result["episodes"]]
    assert result["aggregates"]["score"]["mean"] == pytest.approx(np.mean(scores))
    norms = result["evaluation"]["normalisers"]
    expected = (np.array(scores) - norms["random"]) / (norms["reference"] - norms["random"])
    assert [row["normalised_score"] for row in result["episodes"]] == pytest.approx(expected)
    emergence = result["aggregates"]["time_to_emergence"]
    assert emergence["reached"] + emergence["censored"] == len(SEEDS)
    packages = result["provenance"]["packages"]
    assert set(packages) == {"numpy", "gymnasium", "pettingzoo", "torch", "stable-baselines3"}
    assert packages["numpy"] == np.__version__
    assert set(result["provenance"]) == {"swarmgym", "git_commit", "git_dirty", "python", "packages", "date"}
    assert result["command"] == f"swarmgym evaluate {TASK} --agent kuramoto"
    assert validate_result(result, strict=False) == []
    assert any("seeds 10000..10002 are not" in p for p in validate_result(result))  # not the task's seeds


def test_malformed_or_mismatched_results_are_refused_and_never_overwrite(result, tmp_path):
    good = tmp_path / "good.json"
    write_result(good, result)
    before = good.read_bytes()
    broken = copy.deepcopy(result)
    del broken["episodes"][0]["score"]
    broken["series"]["mean"] = broken["series"]["mean"][:5]
    with pytest.raises(ValueError, match=r"episodes\[0\] misses score.*series.mean has 5 steps"):
        write_result(good, broken)
    other = copy.deepcopy(result)
    other["agent"] = {"name": "random", "kind": "random"}
    with pytest.raises(ValueError, match="holds the result of kuramoto"):
        write_result(good, other)
    with pytest.raises(ValueError, match="already holds a result"):
        write_result(good, result, replace=False)
    assert good.read_bytes() == before
    stale = copy.deepcopy(result)
    stale["task"]["hash"] = "0" * 16
    assert any("does not match" in p and "different task content" in p for p in validate_result(stale))
    wrong = tmp_path / "wrong.json"
    wrong.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        read_result(wrong)
    wrong.write_text(json.dumps({"schema": "swarmgym-result"}))
    with pytest.raises(ValueError, match="missing schema_version"):
        read_result(wrong)
    assert validate_result([]) == ["a result is a JSON object, got list"]


def _fake_run(tmp_path, config, env_id="consensus_v0", steps_done=500_000):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    run = {
        "env_id": env_id,
        "algo": "mfq",
        "seed": 3,
        "config": config,
        "steps": steps_done,
        "steps_done": steps_done,
        "hyper": {"lr": 0.001},
        "max_cycles": 100,
        "num_copies": 8,
    }
    (run_dir / "run.json").write_text(json.dumps(run))
    (run_dir / "model.pt").write_bytes(b"weights")
    return run_dir


def test_a_learned_agent_is_identified_by_its_run_and_must_match_the_task(tmp_path, monkeypatch):
    task = get_task(TASK)
    run_dir = _fake_run(tmp_path, {"size": 8, "density": 0.75, "view_size": 3})
    identity = agent_identity(f"mfq:{run_dir}", task)
    assert identity["kind"] == "learned" and identity["algo"] == "mfq"
    assert identity["checkpoint_sha256"] == results_module.sha256_file(run_dir / "model.pt")
    assert identity["training"]["seed"] == 3 and identity["training"]["steps_done"] == 500_000
    assert identity["training"]["hyper"] == {"lr": 0.001}
    # Transfer: the large task accepts a run trained on the small one.
    assert agent_identity(f"mfq:{run_dir}", get_task("consensus/kuramoto-local-x10"))["kind"] == "learned"
    with pytest.raises(ValueError, match="trained with 'mfq', not 'ppo'"):
        agent_identity(f"ppo:{run_dir}", task)
    with pytest.raises(ValueError, match=r"size: run 8 != task 16"):
        agent_identity(f"mfq:{run_dir}", get_task("consensus/kuramoto-mean-field"))
    with pytest.raises(ValueError, match="trained on consensus_v0, but flocking/vicsek needs flocking_v0"):
        agent_identity(f"mfq:{run_dir}", get_task("flocking/vicsek"))

    # End to end with a stand-in policy (the real checkpoint loaders are the agents' own tests).
    import swarmgym_agents.registry as registry

    real = registry.load_policy

    def fake(name, env_id, model, seed=None):
        return real("random", env_id, model, seed) if ":" in name else real(name, env_id, model, seed)

    monkeypatch.setattr(registry, "load_policy", fake)
    learned = evaluate_task(task, f"mfq:{run_dir}", seeds=SEEDS[:2])
    assert learned["agent"]["checkpoint_sha256"] == identity["checkpoint_sha256"]
    assert entry_key(learned).startswith("consensus__kuramoto-local__mfq-seed3-")
    assert learned["command"] == f"swarmgym evaluate {TASK} --agent mfq:{run_dir}"


def test_a_flocking_run_may_choose_its_action_interface(tmp_path):
    run_dir = _fake_run(tmp_path, {"n_agents": 20, "density": 2.0, "action_type": "discrete"}, "flocking_v0")
    identity = agent_identity(f"mfq:{run_dir}", get_task("flocking/vicsek"))
    config = results_module.evaluation_config(get_task("flocking/vicsek"), identity)
    assert config == {"n_agents": 20, "density": 2.0, "action_type": "discrete"}


def test_marl_eval_layout(result):
    other = copy.deepcopy(result)
    other["agent"] = {"name": "random", "kind": "random"}
    layout = to_marl_eval([result, other])
    assert list(layout) == ["consensus"] and list(layout["consensus"]) == ["kuramoto-local"]
    algos = layout["consensus"]["kuramoto-local"]
    assert sorted(algos) == ["kuramoto", "random"]
    metric_sets = set()
    for runs in algos.values():
        assert list(runs) == ["seed_0"]
        for step_name, step in runs["seed_0"].items():
            assert step_name in ("step_0", "absolute_metrics")
            if step_name == "step_0":
                assert isinstance(step.pop("step_count"), int)
            metric_sets.add(tuple(sorted(step)))
            for name, values in step.items():
                assert name == name.lower()  # marl-eval lower-cases metric names
                assert len(values) == len(SEEDS) and all(isinstance(v, float) for v in values)
    assert metric_sets == {("normalised_score", "return", "score")}
    assert json.loads(json.dumps(layout)) == layout
    with pytest.raises(ValueError, match="two results for kuramoto seed 0"):
        to_marl_eval([result, result])


@pytest.mark.parametrize("state", [("abc123", True), ("abc123", False), (None, None)])
def test_result_and_run_provenance_read_one_git_state(state, monkeypatch):
    from swarmgym.core import provenance as core_provenance

    monkeypatch.setattr(core_provenance, "git_state", lambda folder=None: state)
    monkeypatch.setattr(results_module, "git_state", lambda folder=None: state)
    stamp = results_module.provenance()
    assert (stamp["git_commit"], stamp["git_dirty"]) == state
    assert core_provenance.git_commit() == {True: "abc123-dirty", False: "abc123", None: None}[state[1]]
