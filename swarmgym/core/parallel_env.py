"""SwarmParallelEnv: the only PettingZoo adapter, generic over any :class:`SwarmModel`.

It owns what PettingZoo cares about (agent ids, dicts, spaces, seeding, truncation, ``state()``,
render dispatch) and nothing of any model. It is a B = 1 view of the same core the batched
:class:`swarmgym.core.vector.SwarmVecEnv` steps.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.utils import wrappers
from pettingzoo.utils.conversions import parallel_to_aec

from swarmgym.core.actions import ActionError, show, validate_actions
from swarmgym.core.model import State, SwarmModel
from swarmgym.core.rng import BatchRandom, check_seed

RENDER_MODES = ("human", "rgb_array")
_PLAIN_INTEGERS = frozenset((int, *(np.dtype(c).type for c in np.typecodes["AllInteger"])))
_PLAIN_REALS = _PLAIN_INTEGERS | frozenset((float, *(np.dtype(c).type for c in np.typecodes["Float"])))
"""Exact types of one agent's action stacked without a per-agent look (bool is a subclass of int, but
``type(True)`` is ``bool``, so bools are never plain)."""
_PLAIN_DTYPES = frozenset(np.dtype(c) for c in np.typecodes["AllInteger"] + np.typecodes["Float"])
_NUMPY_SCALARS = frozenset(t for t in _PLAIN_REALS if issubclass(t, np.generic))
_DTYPE = operator.attrgetter("dtype")


def check_count(name: str, value: Any) -> int:
    """``value`` as an int if it is an integer >= 1 (Python or numpy, not bool), else a ``ValueError``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= 1, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)


def check_flag(name: str, value: Any) -> bool:
    """``value`` as a bool if it is ``True`` / ``False`` (a numpy bool too), else a ``ValueError``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")
    return bool(value)


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
        max_cycles = check_count("max_cycles", max_cycles)
        if not (render_mode is None or isinstance(render_mode, str) and render_mode in RENDER_MODES):
            raise ValueError(f"render_mode must be one of {(None, *RENDER_MODES)}, got {render_mode!r}")
        self.model = model
        self.max_cycles = max_cycles
        self.render_mode = render_mode
        self.with_info = check_flag("with_info", with_info)
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
        space = model.action_space
        self._plain_types = _PLAIN_INTEGERS if isinstance(space, spaces.Discrete) else _PLAIN_REALS
        # Box actions given as arrays of the Box's dtype and shape are concatenated without a look.
        self._concatenate = isinstance(space, spaces.Box) and space.shape != ()
        self._rng: BatchRandom | None = None
        self._state: State | None = None
        self._metrics: dict[str, float] = {}
        self._canvas = None

    def observation_space(self, agent: str) -> spaces.Box:
        """The (shared, identical) observation space of ``agent``; ``ValueError`` for an unknown agent."""
        self._check_agent(agent)
        return self.model.observation_space

    def action_space(self, agent: str) -> spaces.Space:
        """The (shared, identical) action space of ``agent``; ``ValueError`` for an unknown agent."""
        self._check_agent(agent)
        return self.model.action_space

    def _check_agent(self, agent: Any) -> None:
        if not (isinstance(agent, str) and agent in self._agent_set):
            last = len(self.possible_agents) - 1
            raise ValueError(
                f"unknown agent {agent!r}: agents are named 'agent_0' .. 'agent_{last}' (env.possible_agents)"
            )

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        """Start an episode; reseed only when ``seed`` is given (else the stream continues)."""
        seed = check_seed(seed)
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
        if not isinstance(actions, dict) and not isinstance(actions, Mapping):
            raise TypeError(
                f"actions must be a dict mapping every agent of env.agents to its action, "
                f"got {type(actions).__name__}"
            )
        if actions.keys() != self._live_set:
            unknown = sorted(set(actions) - self._agent_set)
            missing = sorted(self._live_set - set(actions))
            ended = sorted(set(actions) & (self._agent_set - self._live_set))
            raise ValueError(
                f"actions must name every agent once: unknown {unknown[:5]}, missing {missing[:5]}"
                + (f", terminated (no action allowed) {ended[:5]}" if ended else "")
            )
        stacked = self._stack(actions)
        live = self._live
        if live is not None:
            stacked = self._fill_terminated(stacked, live)
        try:
            transition = self.model.advance(self._state, stacked[None], self._rng)
        except ActionError as error:
            name = None if error.agent is None else self.possible_agents[error.agent]
            if name not in actions:  # not one live agent's action (the filler rows are always valid)
                raise
            raise ActionError(f"action {show(actions[name])} of {name} {error.reason}", 0, error.agent,
                              error.reason) from None
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

    def _stack(self, actions: Mapping[str, Any]) -> np.ndarray:
        """The live agents' actions as one (N_live, ...) array, refusing bools and non-numbers per agent.

        Fast paths (no per-agent Python work): Box actions as arrays of the Box's dtype and shape (one
        ``np.concatenate`` that refuses any other dtype), and numbers of plain int / float types. Any
        other value (a bool, a string, a list, a bool or object array, ...) is checked agent by agent,
        so the error names the agent and the value it was given.
        """
        gathered = self._action_getter(actions)
        values = gathered if len(self._live_set) > 1 else (gathered,)
        space = self.model.action_space
        if self._concatenate:
            try:
                flat = np.concatenate(values, dtype=space.dtype, casting="no")
            except (TypeError, ValueError):
                pass
            else:
                if flat.shape[0] == len(values) * space.shape[0]:
                    return flat.reshape(len(values), *space.shape)
        types = set(map(type, values))
        if len(types) == 1 and (kind := next(iter(types))) in _NUMPY_SCALARS:
            return np.array(values, dtype=kind)  # e.g. every value an np.int64 from space.sample()
        if types <= self._plain_types or types == {np.ndarray} and set(map(_DTYPE, values)) <= _PLAIN_DTYPES:
            try:
                return np.array(values)
            except ValueError:
                pass  # inconsistent shapes: the per-agent look below names the agent
        return self._stack_checked(values)

    def _stack_checked(self, values: tuple) -> np.ndarray:
        """Validate every live agent's action alone (naming it), then stack them."""
        space = self.model.action_space
        checked = []
        for name, value in zip(self.agents, values):
            wrapped = value[None, None] if isinstance(value, np.ndarray) else [[value]]
            try:
                checked.append(validate_actions(wrapped, space, (1, 1))[0, 0])
            except ActionError as error:
                raise ActionError(f"action {show(value)} of {name} {error.reason}", 0,
                                  int(name.rsplit("_", 1)[1]), error.reason) from None
            except ValueError:
                try:
                    shape = np.shape(value)
                except ValueError:
                    shape = "ragged"
                raise ValueError(
                    f"action {show(value)} of {name} has shape {shape}; each agent's action must have "
                    f"shape {space.shape}" + (" (or be a number)" if space.shape == (1,) else "")
                ) from None
        return np.array(checked)

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
        """The emergence metrics of the current state, name -> value (``RuntimeError`` before reset)."""
        if self._state is None:
            raise RuntimeError("metrics() called before reset(); call reset() first")
        return {name: float(value[0]) for name, value in self.model.metrics(self._state).items()}

    def agent_info(self) -> dict[str, np.ndarray]:
        """Privileged per-agent arrays (N, ...) of the current state (``RuntimeError`` before reset)."""
        if self._state is None:
            raise RuntimeError("agent_info() called before reset(); call reset() first")
        return {name: value[0] for name, value in self.model.agent_info(self._state).items()}

    def state(self) -> np.ndarray:
        """The global state of the current episode, in ``state_space``."""
        if self._state is None:
            raise RuntimeError("state() called before reset(); call reset() first")
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
            raise RuntimeError("render() called before reset(); call reset() first")
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
