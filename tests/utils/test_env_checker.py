"""check_env: a correct toy model passes, each deliberately broken one fails naming the broken check."""

import dataclasses

import numpy as np
import pytest
from gymnasium import spaces

from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.rng import BatchRandom
from swarmgym.utils import CHECKS, SKIPPABLE, EnvCheckError, check_env


@dataclasses.dataclass(frozen=True)
class WalkConfig:
    n_agents: int = 6
    size: int = 9
    view_size: int = 3


@dataclasses.dataclass
class WalkState(State):
    pos: np.ndarray  # (B, N) int64 cell on a ring
    last_action: np.ndarray  # (B, N) int64


class WalkModel(SwarmModel):
    """Agents step -1 / 0 / +1 on a ring, sometimes jumping at random; they see their cell's crowding."""

    name = "walk_v0"
    config_cls = WalkConfig

    def __init__(self, config: WalkConfig):
        super().__init__(config)
        k = config.view_size
        self.observation_space = spaces.Box(0.0, 1.0, (k, k, 1), np.float32)
        self.channels = ("crowding",)
        self.action_space = spaces.Discrete(3)
        self.state_space = spaces.Box(0.0, float(config.n_agents), (config.size,), np.float32)

    @property
    def n_agents(self) -> int:
        return self.config.n_agents

    def reset(self, rng: BatchRandom) -> WalkState:
        pos = (rng.random((self.n_agents,)) * self.config.size).astype(np.int64)
        return WalkState(t=np.zeros(rng.batch, np.int64), pos=pos, last_action=np.ones_like(pos))

    def step(self, state: WalkState, actions: np.ndarray, rng: BatchRandom) -> Transition:
        jump = rng.random((self.n_agents,)) < 0.2
        target = (rng.random((self.n_agents,)) * self.config.size).astype(np.int64)
        state.pos = np.where(jump, target, (state.pos + actions - 1) % self.config.size)
        state.last_action[:] = actions
        rewards = (state.pos == 0).astype(np.float32)
        return Transition(rewards, np.zeros(rewards.shape, dtype=bool))

    def counts(self, state: WalkState) -> np.ndarray:
        return np.stack([np.bincount(p, minlength=self.config.size) for p in state.pos]).astype(np.float32)

    def observe(self, state: WalkState) -> np.ndarray:
        k = self.config.view_size
        obs = np.zeros((state.batch, self.n_agents, k, k, 1), np.float32)
        crowding = np.take_along_axis(self.counts(state), state.pos, axis=1) / self.n_agents
        obs[:, :, k // 2, k // 2, 0] = crowding
        return obs

    def metrics(self, state: WalkState) -> dict[str, np.ndarray]:
        return {"spread": state.pos.std(axis=1).astype(np.float64)}

    def global_state(self, state: WalkState) -> np.ndarray:
        return self.counts(state)

    def agent_info(self, state: WalkState) -> dict[str, np.ndarray]:
        one_hot = np.eye(3, dtype=np.float32)[state.last_action]
        mean = np.broadcast_to(one_hot.mean(axis=1, keepdims=True), one_hot.shape)
        return {"neighbour_mean_action": mean.copy()}

    def render(self, canvas, state: WalkState, copy: int, metrics: dict[str, float]) -> None:
        canvas.clear()
        shade = (255 * self.counts(state)[copy] / self.n_agents).astype(np.uint8)
        canvas.cells(np.repeat(shade[None, :, None], 3, axis=2))
        canvas.caption(f"t={int(state.t[copy])}")


def failed_check(model, *args, **kwargs) -> EnvCheckError:
    with pytest.raises(EnvCheckError) as caught:
        check_env(model, *args, **kwargs)
    error = caught.value
    assert f"check {error.check!r} failed for " in str(error)
    return error


def test_a_correct_model_passes_every_check():
    report = check_env(WalkModel)
    assert report.passed == CHECKS and report.skipped == () and report.env == "walk_v0"
    assert report.warnings == ()
    assert report.seconds < 30


def test_an_instance_keeps_its_config_and_config_overrides_apply():
    report = check_env(WalkModel(WalkConfig(n_agents=4)), {"size": 5}, skip=("pettingzoo_render",))
    assert "pettingzoo_render" not in report.passed and report.skipped == ("pettingzoo_render",)


def test_a_registered_env_passes_on_its_small_preset():
    report = check_env("segregation_v0", {"tolerance": 0.5}, skip=SKIPPABLE[3:])
    assert report.passed == tuple(name for name in CHECKS if name not in SKIPPABLE[3:])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="can be skipped"):
        check_env(WalkModel, skip=("finite_values",))
    with pytest.raises(ValueError, match="unknown env id"):
        check_env("no_such_env_v0")
    with pytest.raises(TypeError, match="SwarmModel"):
        check_env(object())


class AdvancesT(WalkModel):
    def step(self, state, actions, rng):
        state.t += 1
        return super().step(state, actions, rng)


class NaNObservation(WalkModel):
    def observe(self, state):
        obs = super().observe(state)
        obs[:, -1, 0, 0, 0] = np.nan
        return obs


class OutsideTheSpace(WalkModel):
    def observe(self, state):
        return super().observe(state) + 2.0


class Unseeded(WalkModel):
    """Draws from a fresh generator each step: the same seed does not give the same trajectory."""

    def step(self, state, actions, rng):
        return super().step(state, actions, BatchRandom.from_seeds([None] * state.batch))


class SharedStream(WalkModel):
    """Every copy draws from copy 0's generator, so copy b no longer equals the env seeded seed + b."""

    def reset(self, rng):
        return super().reset(BatchRandom([rng.generators[0]] * rng.batch))


class UnbatchedField(WalkModel):
    def reset(self, rng):
        state = super().reset(rng)
        state.last_action = state.last_action[0]  # (N,): lost the batch axis
        return state


class NoMeanAction(WalkModel):
    def agent_info(self, state):
        return {}


class Float64MeanAction(WalkModel):
    def agent_info(self, state):
        mean = super().agent_info(state)["neighbour_mean_action"]
        return {"neighbour_mean_action": mean.astype(np.float64)}


class NoRender(WalkModel):
    render = SwarmModel.render


@dataclasses.dataclass(frozen=True)
class NoViewConfig:
    n_agents: int = 6
    size: int = 9

    @property
    def view_size(self) -> int:
        return 3


class NoViewSize(WalkModel):
    config_cls = NoViewConfig


class BadName(WalkModel):
    name = "Walk"


class ChangingMetrics(WalkModel):
    def metrics(self, state):
        values = super().metrics(state)
        if state.t[0] > 3:
            values["late"] = values["spread"]
        return values


class Float64Rewards(WalkModel):
    def step(self, state, actions, rng):
        transition = super().step(state, actions, rng)
        return Transition(transition.rewards.astype(np.float64), transition.terminated)


class Revives(WalkModel):
    def step(self, state, actions, rng):
        transition = super().step(state, actions, rng)
        terminated = np.zeros_like(transition.terminated)
        terminated[:, 0] = state.t == 2  # agent_0 terminated after step 3 only, then back again
        return Transition(transition.rewards, terminated)


@pytest.mark.parametrize(
    ("model", "check", "words"),
    [
        (AdvancesT, "step_keeps_t", "step() must not change state.t"),
        (NaNObservation, "finite_values", "observations holds NaN"),
        (OutsideTheSpace, "observations_in_space", "outside"),
        (Unseeded, "pettingzoo_seed", "Incorrect"),
        (SharedStream, "batched_equals_singles", "copy 1 at reset"),
        (UnbatchedField, "state_batch_axis", "'last_action'"),
        (NoMeanAction, "neighbour_mean_action", "must give 'neighbour_mean_action'"),
        (Float64MeanAction, "neighbour_mean_action", "float64, not float32"),
        (NoRender, "render_implemented", "must implement render"),
        (NoViewSize, "config_view_size", "view_size field"),
        (BadName, "name", "module id like 'segregation_v0'"),
        (ChangingMetrics, "stable_metric_keys", "['late']"),
        (Float64Rewards, "transition", "rewards must be float32"),
        (Revives, "termination_sticky", "came back"),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_a_broken_model_fails_naming_the_check(model, check, words):
    error = failed_check(model)
    assert error.check == check, str(error)
    assert words in str(error)
    assert str(error).startswith(f"check {check!r} failed for ")


def test_non_determinism_past_the_first_step_is_caught_by_the_multi_step_check_too():
    error = failed_check(Unseeded, skip=("pettingzoo_seed",))
    assert error.check == "multi_step_determinism"
    assert "two runs seeded 123 differ at step" in str(error)


def test_a_registered_id_must_match_its_model_name(monkeypatch):
    from swarmgym.registry import ENVS

    monkeypatch.setattr(ENVS["segregation_v0"].model, "name", "segregation_v1")
    error = failed_check("segregation_v0")
    assert error.check == "name" and "'segregation_v0'" in str(error)
