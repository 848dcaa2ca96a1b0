"""Per-agent termination end to end: a model terminates agents, the adapters drop or mask them.

The toy model terminates agent i at step i + 1 (agent 0 after the first step), so the dict env's
``agents`` shrinks by one per step; PettingZoo's own tests and ``check_env`` run on it.
"""

import dataclasses
import types

import numpy as np
import pytest
from gymnasium import spaces
from pettingzoo.test import api_test, max_cycles_test, parallel_api_test, seed_test

from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.parallel_env import SwarmParallelEnv, env_constructors
from swarmgym.core.rng import BatchRandom
from swarmgym.core.vector import SwarmVecEnv
from swarmgym.utils import check_env


@dataclasses.dataclass(frozen=True)
class DwindleConfig:
    n_agents: int = 8
    view_size: int = 3
    continuous: bool = False


@dataclasses.dataclass
class DwindleState(State):
    value: np.ndarray  # (B, N) float32 random walk
    seen: np.ndarray  # (B, N, ...) the actions the model received last step, terminated rows included


class DwindleModel(SwarmModel):
    """Agent i terminates at step i + 1; a terminated agent's value freezes and its reward is 0."""

    name = "dwindle_v0"
    config_cls = DwindleConfig

    def __init__(self, config: DwindleConfig):
        super().__init__(config)
        k = config.view_size
        self.observation_space = spaces.Box(-np.inf, np.inf, (k, k, 1), np.float32)
        self.channels = ("value",)
        if config.continuous:
            self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)
        else:
            self.action_space = spaces.Discrete(3, start=-1)
        self.state_space = spaces.Box(-np.inf, np.inf, (config.n_agents,), np.float32)

    @property
    def n_agents(self) -> int:
        return self.config.n_agents

    def terminated(self, state: DwindleState) -> np.ndarray:
        return state.t[:, None] > np.arange(self.n_agents)[None, :]

    def reset(self, rng: BatchRandom) -> DwindleState:
        batch = rng.batch
        value = rng.normal((self.n_agents,)).astype(np.float32)
        last = np.zeros((batch, self.n_agents, *self.action_space.shape), dtype=self.action_space.dtype)
        return DwindleState(t=np.zeros(batch, np.int64), value=value, seen=last)

    def step(self, state: DwindleState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        live = ~self.terminated(state)
        move = actions.reshape(state.batch, self.n_agents, -1)[..., 0].astype(np.float32)
        noise = rng.normal((self.n_agents,)).astype(np.float32) * 0.1
        state.value += np.where(live, move + noise, 0).astype(np.float32)
        state.seen[:] = actions
        terminated = state.t[:, None] + 1 > np.arange(self.n_agents)[None, :]
        return Transition(rewards=np.where(live, 1.0, 0.0).astype(np.float32), terminated=terminated)

    def observe(self, state: DwindleState) -> np.ndarray:
        k = self.config.view_size
        return np.broadcast_to(state.value[:, :, None, None, None], (*state.value.shape, k, k, 1)).copy()

    def metrics(self, state: DwindleState) -> dict[str, np.ndarray]:
        return {
            "mean_value": state.value.mean(axis=1).astype(np.float64),
            "alive": (~self.terminated(state)).mean(axis=1).astype(np.float64),
        }

    def global_state(self, state: DwindleState) -> np.ndarray:
        return state.value.copy()

    def agent_info(self, state: DwindleState) -> dict[str, np.ndarray]:
        width = self.action_space.n if isinstance(self.action_space, spaces.Discrete) else 2
        mean = np.zeros((state.batch, self.n_agents, width), np.float32)
        return {"neighbour_mean_action": mean}

    def render(self, canvas, state: DwindleState, copy: int, metrics: dict[str, float]) -> None:
        canvas.clear()
        shade = np.clip(128 + 40 * state.value[copy], 0, 255).astype(np.uint8)
        canvas.cells(np.repeat(shade[None, :, None], 3, axis=2))
        canvas.caption(f"t={int(state.t[copy])}")


def make_env(max_cycles: int = 100, **config) -> SwarmParallelEnv:
    return SwarmParallelEnv(DwindleModel(DwindleConfig(**config)), max_cycles=max_cycles)


def test_terminated_agents_leave_the_env_one_per_step():
    env = make_env()
    env.reset(seed=0)
    for step in range(1, 9):
        live_before = list(env.agents)
        actions = {agent: 1 for agent in live_before}
        obs, rewards, terminations, truncations, infos = env.step(actions)
        for part in (obs, rewards, terminations, truncations, infos):
            assert list(part) == live_before
        assert [a for a, done in terminations.items() if done] == [f"agent_{step - 1}"]
        assert not any(truncations.values())
        assert all(rewards[a] == 1.0 for a in live_before)
        assert env.agents == [f"agent_{i}" for i in range(step, 8)]
    assert env.agents == []
    with pytest.raises(RuntimeError, match="reset"):
        env.step({})
    env.reset(seed=0)
    assert env.agents == env.possible_agents


def test_an_action_for_a_terminated_agent_is_refused_and_naming_it():
    env = make_env()
    env.reset(seed=0)
    env.step({agent: 0 for agent in env.agents})
    with pytest.raises(ValueError, match=r"terminated \(no action allowed\) \['agent_0'\]"):
        env.step({agent: 0 for agent in env.possible_agents})
    with pytest.raises(ValueError, match=r"missing \['agent_1'\]"):
        env.step({agent: 0 for agent in env.agents if agent != "agent_1"})
    env.step({agent: 0 for agent in env.agents})  # still usable
    assert env.agents[0] == "agent_2"


@pytest.mark.parametrize("continuous", [False, True])
def test_terminated_agents_get_the_filler_action_and_their_state_freezes(continuous):
    env = make_env(continuous=continuous)
    env.reset(seed=3)
    space = env.action_space("agent_0")
    env.step({agent: space.sample() for agent in env.agents})
    env.step({agent: space.sample() for agent in env.agents})
    frozen = env.core_state.value[0, :2].copy()
    for _ in range(3):
        env.step({agent: space.sample() for agent in env.agents})
    np.testing.assert_array_equal(env.core_state.value[0, :2], frozen)
    filler = np.zeros(2, np.float32) if continuous else -1  # the Box point nearest 0; Discrete's start
    for row in env.core_state.seen[0, :4]:  # agents 0-3 had terminated before step 5
        np.testing.assert_array_equal(row, filler)


def test_scalar_actions_for_a_one_dimensional_box_still_work_with_terminated_agents():
    class OneD(DwindleModel):
        def __init__(self, config):
            super().__init__(config)
            self.action_space = spaces.Box(-1.0, 1.0, (1,), np.float32)

        def agent_info(self, state):
            return {"neighbour_mean_action": np.zeros((state.batch, self.n_agents, 1), np.float32)}

    env = SwarmParallelEnv(OneD(DwindleConfig(continuous=True)), max_cycles=20)
    env.reset(seed=0)
    for _ in range(3):
        env.step({agent: 0.5 for agent in env.agents})
    assert env.agents[0] == "agent_3"


def test_pettingzoo_tests_pass_with_per_agent_termination():
    parallel_env, _, aec_env = env_constructors(DwindleModel, default_max_cycles=100)
    parallel_api_test(parallel_env(), num_cycles=60)
    api_test(aec_env(), num_cycles=30)
    seed_test(aec_env, num_cycles=30)

    max_cycles_test(types.SimpleNamespace(parallel_env=parallel_env, env=aec_env))


def test_check_env_passes_on_a_terminating_model():
    report = check_env(DwindleModel)
    assert "termination_sticky" in report.passed and "batched_equals_singles" in report.passed
    # PettingZoo's parallel test warns when a dict holds a dead agent or misses a live one
    assert not [w for w in report.warnings if "agent" in w.lower() and "given" in w.lower()]
    report = check_env(DwindleModel, {"continuous": True}, skip=("pettingzoo_render",))
    assert report.skipped == ("pettingzoo_render",)


def test_vector_env_masks_nothing_and_resets_a_copy_once_every_agent_is_terminated():
    """Documented behaviour of SwarmVecEnv: fixed N arrays, sticky flags, reset when all are done."""
    vec = SwarmVecEnv(DwindleModel(DwindleConfig(n_agents=3)), num_envs=2, max_cycles=50)
    obs, _ = vec.reset(seed=0)
    actions = np.ones((2, 3), dtype=np.int64)
    for step in range(1, 3):
        obs, rewards, terminated, truncated, info = vec.step(actions)
        assert obs.shape == (2, 3, 3, 3, 1) and rewards.shape == terminated.shape == (2, 3)
        assert terminated[0].tolist() == [i < step for i in range(3)]
        assert rewards[0].tolist() == [0.0 if i < step - 1 else 1.0 for i in range(3)]
        assert not info["done"].any()
    obs, rewards, terminated, truncated, info = vec.step(actions)
    assert terminated.all() and not truncated.any() and info["done"].all()
    assert info["episode_length"].tolist() == [3, 3]
    np.testing.assert_array_equal(info["episode_return"], [[1, 2, 3], [1, 2, 3]])
    assert vec.core_state.t.tolist() == [0, 0]  # both copies started over


def test_rollout_parallel_acts_only_for_live_agents_until_all_have_left():
    from swarmgym_agents.base import RandomPolicy, rollout_parallel

    env = make_env(max_cycles=100)
    policy = RandomPolicy(env.model.action_space, seed=0)
    history = rollout_parallel(env, policy, seed=0)
    assert not env.agents and len(history) == env.model.n_agents + 1
