"""evaluate(): steady and final values per seed, batched copies equal to separate episodes."""

import numpy as np
import pytest

import swarmgym
from swarmgym.evaluation.evaluate import evaluate
from swarmgym_agents.registry import load_policy

SMALL = {"size": 6, "vacancy": 0.3}  # 25 agents


def test_evaluate_steady_state_and_per_seed_copies():
    batched = evaluate("schelling", "segregation_v0", [3, 4], SMALL, max_cycles=6)
    separate = evaluate("schelling", "segregation_v0", [3, 9], SMALL, max_cycles=6)
    assert batched["per_seed"]["steady"]["segregation"][0] == separate["per_seed"]["steady"]["segregation"][0]
    from swarmgym_agents.base import rollout_parallel

    env = swarmgym.make("segregation_v0", max_cycles=6, **SMALL)
    history = rollout_parallel(env, load_policy("schelling", "segregation_v0", env.model), seed=3)
    steady = np.mean([h["segregation"] for h in history[-2:]])  # last third of 6 steps
    assert batched["per_seed"]["steady"]["segregation"][0] == pytest.approx(steady)
    assert batched["per_seed"]["final"]["segregation"][0] == pytest.approx(history[-1]["segregation"])
