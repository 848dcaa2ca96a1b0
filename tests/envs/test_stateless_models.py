"""Models hold no state between calls: hooks leave the model object unchanged, and one model shared by
two states (stepped interleaved) gives what separate models give, through auto-reset ``put`` and ``take``.
"""

import dataclasses
import pickle

import numpy as np
import pytest

import swarmgym
from swarmgym.core.rng import BatchRandom

CASES = [
    ("commons_v0", {"height": 10, "width": 14, "n_patches": 2, "n_agents": 6, "view_size": 5,
                    "hits_to_remove": 1, "removal_steps": 2}),
    ("commons_v0", {"regrowth": "logistic", "n_agents": 6, "torus": True, "inequity_alpha": 5.0}),
    ("consensus_v0", {"size": 8, "view_size": 3}),
    ("consensus_v0", {"size": 8, "move_probability": 0.3, "density": 0.6}),
    ("consensus_v0", {"size": 8, "state_kind": "opinion", "zealot_fraction": 0.2}),
    ("flocking_v0", {"n_agents": 30, "density": 2.0}),
    ("flocking_v0", {"n_agents": 30, "rotate_view": False, "view_binning": "grid"}),
    ("flocking_v0", {"n_agents": 20, "torus": False, "action_type": "discrete"}),
    ("segregation_v0", {"size": 8, "vacancy": 0.25}),
    ("segregation_v0", {"size": 9, "torus": False, "view_size": 5}),
]  # fmt: skip


def run(model, state, rng, steps, seed):
    """Step ``state`` with seeded random actions; every hook's output of every step, in order."""
    actions_rng = np.random.default_rng(seed)
    space = model.action_space
    outputs = []
    for _ in range(steps):
        shape = (state.batch, model.n_agents)
        if hasattr(space, "n"):
            actions = actions_rng.integers(0, space.n, shape)
        else:
            actions = actions_rng.uniform(space.low[0], space.high[0], shape + space.shape).astype(np.float32)
        transition = model.advance(state, actions, rng)
        outputs.append((transition.rewards, model.observe(state), model.metrics(state)))
        outputs.append((model.agent_info(state), model.global_state(state)))
    fields = [getattr(state, f.name) for f in dataclasses.fields(state)]
    outputs.append([field for field in fields if field.dtype != object])
    return outputs


def assert_same(got, expected):
    if isinstance(got, dict):
        assert got.keys() == expected.keys()
        for key in got:
            assert_same(got[key], expected[key])
    elif isinstance(got, (list, tuple)):
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            assert_same(a, b)
    else:
        np.testing.assert_array_equal(got, expected)


def select(out, copy):
    if isinstance(out, dict):
        return {key: select(value, copy) for key, value in out.items()}
    if isinstance(out, tuple):
        return tuple(select(value, copy) for value in out)
    return out[copy]


@pytest.mark.parametrize("env_id, config", CASES)
def test_model_holds_no_state_and_is_shared_safely(env_id, config):
    model = swarmgym.make_model(env_id, **config)
    pickled = pickle.dumps(model)
    state = model.reset(BatchRandom.from_seeds([1, 2]))
    run(model, state, BatchRandom.from_seeds([5, 6]), 4, seed=0)
    assert pickle.dumps(model) == pickled

    seeds = ([1, 2], [3])
    states = [model.reset(BatchRandom.from_seeds(s)) for s in seeds]
    rngs = [BatchRandom.from_seeds(s) for s in seeds]
    interleaved = [[], []]
    for step in range(6):
        for i in (0, 1):
            interleaved[i] += run(model, states[i], rngs[i], 1, seed=step)
    alone = []
    for s in seeds:
        own = swarmgym.make_model(env_id, **config)
        own_state, own_rng = own.reset(BatchRandom.from_seeds(s)), BatchRandom.from_seeds(s)
        alone.append(sum((run(own, own_state, own_rng, 1, seed=step) for step in range(6)), []))
    assert_same(interleaved, alone)
    assert pickle.dumps(model) == pickled

    def hooks(state, copy):
        out = (model.observe(state), model.metrics(state), model.agent_info(state), model.global_state(state))
        return select(out, copy)

    # An auto-reset of copy 1 only, then takes: every copy reads as it would alone.
    state = states[0]
    kept = hooks(state, 0)
    fresh = hooks(model.reset(BatchRandom.from_seeds([9])), 0)
    state.put(np.array([1]), model.reset(BatchRandom.from_seeds([9])))
    for probe, rows in (
        (state, [kept, fresh]),
        (state.take(np.array([1, 0])), [fresh, kept]),
        (state.take(np.array([1])), [fresh]),
    ):
        for copy, row in enumerate(rows):
            assert_same(hooks(probe, copy), row)
    assert pickle.dumps(model) == pickled
