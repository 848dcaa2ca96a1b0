"""Golden trajectories: every env config below gives, bit for bit, the trajectory it gave when its digest
was recorded (observations, rewards, metrics, agent info, global state and the final state of 3 seeded
copies over 40 steps of seeded random actions).

Speed work replaces step code (compiled kernels, lookup tables) and must keep results bit-identical,
or bump the env's version. After an *intended* change of dynamics, bump the env version and re-record
with ``python tests/envs/test_golden.py``. The digests are of x86_64 builds of numpy (float rounding of
transcendental functions may differ on other CPUs), so the test runs only there.
"""

import hashlib
import json
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

import swarmgym
from swarmgym.core.rng import BatchRandom

sys.path.insert(0, str(Path(__file__).parent))
from test_stateless_models import CASES, run  # noqa: E402

GOLDEN = Path(__file__).with_name("golden_trajectories.json")
EXTRA = [
    ("commons_v0", {"n_agents": 40, "view_size": 11, "hits_to_remove": 1, "removal_steps": 3}),
    ("commons_v0", {"preset": "logistic", "n_agents": 12, "view_size": 7}),
    ("commons_v0", {"n_agents": 30, "torus": True, "beam_width": 3, "hit_penalty": 0.5}),
    ("segregation_v0", {"size": 20, "view_size": 11, "group_fractions": (0.4, 0.3, 0.3),
                        "other_channels": "per_group"}),
    ("segregation_v0", {"preset": "learning"}),
    ("consensus_v0", {"size": 12, "view_size": 11, "move_probability": 0.5, "density": 0.7}),
    ("consensus_v0", {"preset": "opinion", "size": 10}),
    ("flocking_v0", {"preset": "fast", "n_agents": 60}),
    ("flocking_v0", {"preset": "couzin_mill", "n_agents": 40}),
    ("flocking_v0", {"n_agents": 50, "view_size": 11, "density": 4.0}),
]  # fmt: skip
ALL = CASES + EXTRA
STEPS, COPIES, SEED = 40, 3, 7


def case_id(case) -> str:
    env_id, config = case
    return env_id + "-" + ",".join(f"{key}={value}" for key, value in sorted(config.items()))


def digest(env_id: str, config: dict) -> str:
    config = dict(config)
    preset = config.pop("preset", None)
    if preset:
        config = {**swarmgym.registry.spec(env_id).presets[preset], **config}
    model = swarmgym.make_model(env_id, **config)
    rng = BatchRandom.from_seeds([SEED + b for b in range(COPIES)])
    state = model.reset(rng)
    sha = hashlib.sha256()

    def feed(item):
        if isinstance(item, dict):
            for key in sorted(item):
                sha.update(key.encode())
                feed(item[key])
        elif isinstance(item, (list, tuple)):
            for part in item:
                feed(part)
        else:
            array = np.ascontiguousarray(item)
            sha.update(str(array.dtype).encode() + str(array.shape).encode())
            sha.update(array.tobytes())

    feed(run(model, state, rng, STEPS, SEED))
    return sha.hexdigest()


@pytest.mark.skipif(platform.machine() != "x86_64", reason="digests recorded with x86_64 numpy")
@pytest.mark.parametrize("case", ALL, ids=case_id)
def test_trajectory_is_bit_identical_to_the_recorded_one(case):
    recorded = json.loads(GOLDEN.read_text())
    assert case_id(case) in recorded, "new case: record it with python tests/envs/test_golden.py"
    assert digest(*case) == recorded[case_id(case)]


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps({case_id(case): digest(*case) for case in ALL}, indent=1) + "\n")
    print(f"recorded {len(ALL)} digests in {GOLDEN}")
