"""SwarmParallelEnv: the only PettingZoo adapter, generic over any :class:`SwarmModel`.

It owns what PettingZoo cares about (agent ids, dicts, spaces, seeding, truncation, ``state()``,
render dispatch) and nothing of any model. It is a B = 1 view of the same core the batched
:class:`swarmgym.core.vector.SwarmVecEnv` steps.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec

from swarmgym.core.model import State, SwarmModel
from swarmgym.core.rng import BatchRandom

RENDER_MODES = ("human", "rgb_array")


class SwarmParallelEnv(ParallelEnv):
    """A PettingZoo ``ParallelEnv`` over one copy of a model; agents are ``agent_0 .. agent_{N-1}``.

    Every agent lives until ``max_cycles`` truncates them all, unless the model terminates it earlier
    (``Transition.terminated``): then it leaves ``agents`` and takes no more actions (see :meth:`step`).

    Args:
        model: the model (its config already validated).
        max_cycles: steps after which every agent is truncated (attribute, may be changed later).
        render_mode: ``None``, ``"human"`` or ``"rgb_array"``.
        with_info: put the step's emergence metrics in every agent's info (default); False leaves the
            infos empty, the fast path for throughput (``metrics()`` still gives them on demand).
    """

    def __init__(
        self, model: SwarmModel, max_cycles: int, render_mode: str | None = None, with_info: bool = True
    ):
        if not isinstance(max_cycles, (int, np.integer)) or max_cycles < 1:
            raise ValueError(f"max_cycles must be an integer >= 1, got {max_cycles!r}")
        if render_mode not in (None, *RENDER_MODES):
            raise ValueError(f"render_mode must be one of {(None, *RENDER_MODES)}, got {render_mode!r}")
        self.model = model
        self.max_cycles = int(max_cycles)
        self.render_mode = render_mode
        self.with_info = with_info
        self.metadata = {
            "name": model.name,
            "render_modes": list(RENDER_MODES),
            "render_fps": model.render_fps,
            "is_parallelizable": True,
        }
        self.possible_agents = [f"agent_{i}" for i in range(model.n_agents)]
        self._agent_set = frozenset(self.possible_agents)
        # One C-level call gathers every live agent's action in agent order.
        self._all_getter = self._action_getter = operator.itemgetter(*self.possible_agents)
        # The live agents when some have terminated: their indices (None while all live) and names.
        self._live: np.ndarray | None = None
        self._live_set = self._agent_set
        # Every agent False / True: copied (one C-level call) instead of rebuilt key by key each step.
        self._flags = {flag: dict.fromkeys(self.possible_agents, flag) for flag in (False, True)}
        self.agents: list[str] = []
        self.state_space = model.state_space
        self.observation_spaces = dict.fromkeys(self.possible_agents, model.observation_space)
        self.action_spaces = dict.fromkeys(self.possible_agents, model.action_space)
        self._rng: BatchRandom | None = None
        self._state: State | None = None
        self._metrics: dict[str, float] = {}
        self._canvas = None

    def observation_space(self, agent: str) -> spaces.Box:
        """The (shared, identical) observation space of ``agent``."""
        return self.model.observation_space

    def action_space(self, agent: str) -> spaces.Space:
        """The (shared, identical) action space of ``agent``."""
        return self.model.action_space

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Start an episode; reseed only when ``seed`` is given (else the stream continues)."""
        if seed is not None or self._rng is None:
            self._rng = BatchRandom.from_seeds([seed])
        self._state = self.model.reset(self._rng)
        self.agents = list(self.possible_agents)
        self._live, self._live_set, self._action_getter = None, self._agent_set, self._all_getter
        observations = self.model.observe(self._state)[0]
        return dict(zip(self.agents, observations)), self._infos()

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        """Step every live agent at once; ``actions`` must name every agent of ``env.agents`` exactly once.

        An agent the model terminates is reported ``terminated`` once, then leaves ``env.agents``: it
        gets no more observations, rewards or infos, and an action for it is refused (``ValueError``
        naming it), as PettingZoo asks for actions of live agents only. The model still receives a
        (B, N, ...) array; the adapter puts a fixed filler action (the space's first value for
        ``Discrete``, the point of the Box nearest zero) in the rows of terminated agents.
        """
        if self._state is None or not self.agents:
            raise RuntimeError("step() called before reset() or after the episode ended; call reset()")
        if actions.keys() != self._live_set:
            unknown = sorted(set(actions) - self._agent_set)
            missing = sorted(self._live_set - set(actions))
            ended = sorted(set(actions) & (self._agent_set - self._live_set))
            raise ValueError(
                f"actions must name every agent once: unknown {unknown[:5]}, missing {missing[:5]}"
                + (f", terminated (no action allowed) {ended[:5]}" if ended else "")
            )
        try:
            gathered = self._action_getter(actions)
            stacked = np.array(gathered if len(self._live_set) > 1 else (gathered,))
        except ValueError as error:
            raise ValueError(f"actions could not be stacked into one array: {error}") from None
        live = self._live
        if live is not None:
            stacked = self._fill_terminated(stacked, live)
        transition = self.model.advance(self._state, stacked[None], self._rng)
        observations = self.model.observe(self._state)[0]
        rewards = transition.rewards[0]
        terminated = transition.terminated[0]
        if live is not None:
            observations, rewards, terminated = observations[live], rewards[live], terminated[live]
        truncated = bool(self._state.t[0] >= self.max_cycles)
        agents = self.agents
        ended = terminated.any()
        result = (
            dict(zip(agents, list(observations))),
            dict(zip(agents, rewards.tolist())),
            dict(zip(agents, terminated.tolist())) if ended else self._flags_of(False),
            self._flags_of(truncated),
            self._infos(),
        )
        if truncated or terminated.all():
            self.agents = []
        elif ended:
            self._remove(terminated)
        if self.render_mode == "human":
            self.render()
        return result

    def _flags_of(self, flag: bool) -> dict[str, bool]:
        """``flag`` for every live agent (a copy of the prebuilt dict while every agent lives)."""
        return self._flags[flag].copy() if self._live is None else dict.fromkeys(self.agents, flag)

    def _remove(self, terminated: np.ndarray) -> None:
        """Drop the agents just terminated (a bool per live agent) from ``agents`` and the live index."""
        index = np.arange(len(self.possible_agents)) if self._live is None else self._live
        self._live = index[~terminated]
        self.agents = [self.possible_agents[i] for i in self._live]
        self._live_set = frozenset(self.agents)
        self._action_getter = operator.itemgetter(*self.agents)

    def _fill_terminated(self, stacked: np.ndarray, live: np.ndarray) -> np.ndarray:
        """The (N, ...) actions of every agent: the live agents' ``stacked`` rows, the filler elsewhere."""
        space = self.model.action_space
        if isinstance(space, spaces.Discrete):
            filler = np.asarray(space.start)
        elif isinstance(space, spaces.Box):
            filler = np.clip(np.zeros(space.shape, space.dtype), space.low, space.high)
        else:
            raise TypeError(f"unsupported action space {space!r}")
        if stacked.shape[1:] != filler.shape and not (stacked.ndim == 1 and filler.size == 1):
            raise ValueError(f"actions must have shape {space.shape}, got {stacked.shape[1:]}")
        full = np.empty((len(self.possible_agents), *stacked.shape[1:]), np.result_type(stacked, filler))
        full[:] = filler.reshape(stacked.shape[1:])
        full[live] = stacked
        return full

    def _infos(self) -> dict[str, dict[str, float]]:
        """Every agent's info is the step's metrics: one dict shared by all agents (copy before mutating)."""
        self._metrics = self.metrics() if self.with_info else {}
        return dict.fromkeys(self.agents, self._metrics)

    def metrics(self) -> dict[str, float]:
        """The emergence metrics of the current state, name -> value."""
        return {name: float(value[0]) for name, value in self.model.metrics(self._state).items()}

    def agent_info(self) -> dict[str, np.ndarray]:
        """Privileged per-agent arrays (N, ...) of the current state, for reference agents."""
        return {name: value[0] for name, value in self.model.agent_info(self._state).items()}

    def state(self) -> np.ndarray:
        """The global state of the current episode, in ``state_space``."""
        if self._state is None:
            raise RuntimeError("state() called before reset()")
        return self.model.global_state(self._state)[0]

    @property
    def core_state(self) -> State:
        """The model's batch-first state (B = 1), for tools that read arrays directly."""
        return self._state

    def render(self) -> np.ndarray | None:
        """Draw the current state: an (H, W, 3) uint8 frame in ``rgb_array`` mode, a window in ``human``."""
        if self.render_mode is None:
            raise ValueError("render() needs render_mode='human' or 'rgb_array' at construction")
        if self._state is None:
            raise RuntimeError("render() called before reset()")
        from swarmgym.core.rendering import Canvas

        if self._canvas is None:
            self._canvas = Canvas(fps=self.model.render_fps, window=self.render_mode == "human")
        self.model.render(self._canvas, self._state, 0, self._metrics or self.metrics())
        if self.render_mode == "human":
            self._canvas.show()
            return None
        return self._canvas.to_array()

    def close(self) -> None:
        """Close the render window, if any."""
        if self._canvas is not None:
            self._canvas.close()
            self._canvas = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_canvas"] = None
        return state


def env_constructors(model_cls: type[SwarmModel], default_max_cycles: int):
    """The PettingZoo module trio for a model: ``parallel_env``, ``raw_env`` (AEC) and ``env`` (wrapped AEC).

    Every constructor takes the model's config fields as keywords (unknown ones are a TypeError,
    bad values a ValueError), plus ``max_cycles`` and ``render_mode``.
    """

    def parallel_env(
        render_mode: str | None = None,
        max_cycles: int = default_max_cycles,
        with_info: bool = True,
        **config: Any,
    ):
        model = model_cls(model_cls.config_cls(**config))
        return SwarmParallelEnv(model, max_cycles=max_cycles, render_mode=render_mode, with_info=with_info)

    def raw_env(**kwargs: Any):
        return parallel_to_aec(parallel_env(**kwargs))

    def env(**kwargs: Any):
        return wrappers.OrderEnforcingWrapper(wrappers.AssertOutOfBoundsWrapper(raw_env(**kwargs)))

    for function, role in ((parallel_env, "ParallelEnv"), (raw_env, "AEC env"), (env, "wrapped AEC env")):
        function.__doc__ = f"A {model_cls.name} {role}. " + (model_cls.__doc__ or "")
        function.__qualname__ = function.__name__
        function.__module__ = f"swarmgym.{model_cls.name}"
    return parallel_env, raw_env, env
