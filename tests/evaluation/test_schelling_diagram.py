import json

import numpy as np
import pytest

import swarmgym
from swarmgym.evaluation.scenarios import assign
from swarmgym.evaluation.schelling_diagram import dilemma_checks, schelling_diagram, write
from swarmgym_agents import load_policy

SMALL = {"height": 10, "width": 14, "n_patches": 2, "n_agents": 4, "view_size": 5}
STEPS = 40


def direct_role_returns(c, seed):
    """c restrained and 4 - c greedy agents, sliced by hand (one copy seeded `seed`)."""
    roles = assign([c, 4 - c], 1, seed)[0]
    venv = swarmgym.make_vec("commons_v0", num_envs=1, max_cycles=STEPS, **SMALL)
    policies = [load_policy(name, "commons_v0", venv.model, seed=0) for name in ("restrained", "greedy")]
    for p, policy in enumerate(policies):
        policy.reset(seed + p)
    obs, info = venv.reset(seed=seed)
    for _ in range(STEPS):
        actions = np.zeros((1, 4), dtype=np.int64)
        for p, policy in enumerate(policies):
            mine = np.flatnonzero(roles == p)
            if len(mine):
                sub = {**info, "agent": {k: v[:, mine] for k, v in info["agent"].items()}}
                actions[:, mine] = policy.act(obs[:, mine], sub)
        obs, _, _, _, info = venv.step(actions)
    episode = info["episode_return"][0]
    return episode[roles == 0], episode[roles == 1], info["final_metrics"]["collapsed"][0]


@pytest.fixture(scope="module")
def diagram():
    return schelling_diagram(
        "commons_v0", "restrained", "greedy", seeds=[3, 4], copies=1, config=SMALL, max_cycles=STEPS
    )


def test_rows_equal_direct_rollouts(diagram):
    assert [row["cooperators"] for row in diagram["rows"]] == [0, 1, 2, 3, 4]
    assert diagram["rows"][0]["cooperator_return"] is None and diagram["rows"][4]["defector_return"] is None
    for c in (1, 2):
        coop, defect, group, collapsed = [], [], [], []
        for seed in (3, 4):
            rc, rd, gone = direct_role_returns(c, seed)
            coop.append(rc.mean())
            defect.append(rd.mean())
            group.append(np.concatenate([rc, rd]).mean())
            collapsed.append(gone)
        row = diagram["rows"][c]
        assert row["cooperator_return"]["mean"] == pytest.approx(np.mean(coop))
        assert row["defector_return"]["mean"] == pytest.approx(np.mean(defect))
        assert row["group_return"]["mean"] == pytest.approx(np.mean(group))
        assert row["collapse_rate"] == pytest.approx(np.mean(collapsed))


def test_dilemma_checks_by_hand():
    def cell(x):
        return None if x is None else {"mean": x, "low": x, "high": x}

    # N = 2: R_c(c) = [-, 1, 4], R_d(c) = [2, 5, -]: a prisoner's dilemma
    rows = [
        {"cooperator_return": cell(None), "defector_return": cell(2.0)},
        {"cooperator_return": cell(1.0), "defector_return": cell(5.0)},
        {"cooperator_return": cell(4.0), "defector_return": cell(None)},
    ]
    checks = dilemma_checks(rows)
    assert checks["defector_advantage"] == [1.0, 1.0]  # 2 - 1 (no other cooperator), 5 - 4 (one)
    assert checks["all_cooperate_over_all_defect"] == 2.0
    assert checks["collective_benefit"] and checks["greed"] and checks["fear"]
    assert checks["defector_ahead_at"] == 2 and checks["defector_ahead_same_c"] == 1
    # a stag hunt: R_d(1) = 3 < R_c(2) = 4, no greed, still fear
    rows[1]["defector_return"] = cell(3.0)
    checks = dilemma_checks(rows)
    assert checks["fear"] and not checks["greed"] and checks["defector_ahead_at"] == 1


def test_json_and_png_are_written(diagram, tmp_path):
    json_path, png_path = write(diagram, tmp_path)
    loaded = json.loads(json_path.read_text())
    assert loaded["cooperator"] == {"agent": "restrained", "preference": None}
    assert loaded["samples_per_point"] == 2 and len(loaded["rows"]) == 5
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
