"""``check_env``: checks that a model keeps the :class:`~swarmgym.core.model.SwarmModel` contract.

The counterpart of ``gymnasium.utils.env_checker.check_env`` and ``pettingzoo.test`` for swarmgym: it
runs PettingZoo's own API, seed, max-cycles, render and state tests through the adapter, then what
those leave out (many-step determinism, the batched env against single envs, finite values, stable
metric keys) and the contract items only a model can break (every State field batch-first, ``step``
leaving ``t`` alone, ``neighbour_mean_action``, ``view_size``, ``name``). The first failure raises
:class:`EnvCheckError` naming the check, so a new env is debugged from one message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib
import io
import re
import time
import types
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import numpy as np
from gymnasium import spaces

from swarmgym.core.model import State, SwarmModel, Transition
from swarmgym.core.parallel_env import SwarmParallelEnv, env_constructors
from swarmgym.core.rng import BatchRandom
from swarmgym.core.vector import SwarmVecEnv

CHECKS = (
    "name",
    "config_view_size",
    "render_implemented",
    "spaces",
    "state_batch_axis",
    "step_keeps_t",
    "transition",
    "termination_sticky",
    "observations_in_space",
    "finite_values",
    "metrics",
    "stable_metric_keys",
    "neighbour_mean_action",
    "global_state",
    "pettingzoo_parallel_api",
    "pettingzoo_aec_api",
    "pettingzoo_seed",
    "pettingzoo_max_cycles",
    "pettingzoo_render",
    "pettingzoo_state",
    "multi_step_determinism",
    "batched_equals_singles",
)
"""Every check, in the order :func:`check_env` runs them (the names in errors and the report)."""

SKIPPABLE = (
    "name",
    "config_view_size",
    "render_implemented",
    "pettingzoo_parallel_api",
    "pettingzoo_aec_api",
    "pettingzoo_seed",
    "pettingzoo_max_cycles",
    "pettingzoo_render",
    "pettingzoo_state",
    "multi_step_determinism",
    "batched_equals_singles",
)
"""Checks ``skip`` may leave out; the model rollout's checks always run (they are cheap and the core)."""

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*_v\d+$")


class EnvCheckError(AssertionError):
    """A check failed; ``check`` is its name (one of :data:`CHECKS`), the message says what broke."""

    def __init__(self, check: str, env: str, detail: str):
        self.check = check
        self.env = env
        super().__init__(f"check {check!r} failed for {env}: {detail}")


@dataclasses.dataclass(frozen=True)
class EnvCheckReport:
    """What :func:`check_env` found on success."""

    env: str
    """The model's ``name``."""
    passed: tuple[str, ...]
    """The checks run and passed, in order."""
    skipped: tuple[str, ...]
    """The checks skipped on request."""
    warnings: tuple[str, ...]
    """Warnings PettingZoo's tests raised (e.g. a live agent given no observation); empty is clean."""
    seconds: float
    """Wall time of the whole check."""


@dataclasses.dataclass
class _Target:
    """The model under check and how to build fresh copies of it and of its envs."""

    model_cls: type[SwarmModel]
    overrides: dict[str, Any]
    max_cycles: int
    module: Any
    registered_id: str | None

    def model(self) -> SwarmModel:
        return self.model_cls(self.model_cls.config_cls(**self.overrides))

    def parallel(self, max_cycles: int | None = None, render_mode: str | None = None) -> SwarmParallelEnv:
        return SwarmParallelEnv(
            self.model(), max_cycles=max_cycles or self.max_cycles, render_mode=render_mode
        )

    def vec(self, num_envs: int, max_cycles: int) -> SwarmVecEnv:
        return SwarmVecEnv(self.model(), num_envs=num_envs, max_cycles=max_cycles)


def check_env(
    env: str | SwarmModel | type[SwarmModel],
    config: Mapping[str, Any] | None = None,
    *,
    preset: str | None = "small",
    max_cycles: int | None = None,
    seed: int = 0,
    steps: int = 40,
    skip: tuple[str, ...] = (),
) -> EnvCheckReport:
    """Check that ``env`` keeps the swarmgym contract; raise :class:`EnvCheckError` at the first failure.

    Args:
        env: a registered env id (``"segregation_v0"``), a :class:`SwarmModel` subclass, or an instance
            (its config is kept).
        config: config overrides, on top of ``preset`` for a registered id, of the defaults for a class,
            of the instance's config for an instance.
        preset: the registered env's preset to start from (``"small"`` keeps the check quick); ignored
            for a model class or instance.
        max_cycles: default episode length of the PettingZoo envs built (the registry's for a registered
            id, else 100).
        seed: seed of the direct model rollout (copies ``seed``, ``seed + 1``).
        steps: steps of the direct model rollout, with random valid actions.
        skip: names from :data:`SKIPPABLE` not to run, e.g. ``("pettingzoo_render",)`` on a machine
            without a display driver (or set ``SDL_VIDEODRIVER=dummy``, as the test suite does).

    Returns:
        An :class:`EnvCheckReport` listing the checks passed.

    Example: ``check_env("segregation_v0").passed`` or ``check_env(MyModel, {"n": 8})``.
    """
    unknown = sorted(set(skip) - set(SKIPPABLE))
    if unknown:
        raise ValueError(f"skip names {unknown}; the checks that can be skipped are {list(SKIPPABLE)}")
    start = time.perf_counter()
    target = _target(env, dict(config or {}), preset, max_cycles)
    run = _Run(str(getattr(target.model_cls, "name", target.model_cls.__name__)), set(skip))
    _check_declarations(run, target)
    model = target.model()  # a bad config override raises the config's own ValueError / TypeError
    _check_spaces(run, model)
    _check_rollout(run, model, seed, steps)
    _check_pettingzoo(run, target)
    _check_determinism(run, target)
    _check_batched(run, target)
    return EnvCheckReport(
        env=run.env,
        passed=tuple(name for name in CHECKS if name in run.passed),
        skipped=tuple(name for name in CHECKS if name in run.skip),
        warnings=tuple(run.warnings),
        seconds=time.perf_counter() - start,
    )


class _Run:
    """Bookkeeping of one ``check_env`` call: which checks passed, which to skip, warnings seen."""

    def __init__(self, env: str, skip: set[str]):
        self.env = env
        self.skip = skip
        self.passed: set[str] = set()
        self.failed: set[str] = set()
        self.warnings: list[str] = []

    def wanted(self, name: str) -> bool:
        """Whether check ``name`` runs (not skipped)."""
        return name not in self.skip

    @contextmanager
    def check(self, name: str) -> Iterator[None]:
        """Run the block as (part of) check ``name``: any exception becomes an EnvCheckError naming it."""
        try:
            yield
        except EnvCheckError:
            raise
        except Exception as error:
            detail = str(error) or type(error).__name__
            raise EnvCheckError(name, self.env, f"{type(error).__name__}: {detail}") from error
        self.passed.add(name)

    def fail(self, name: str, detail: str) -> None:
        """Fail check ``name`` unless skipped."""
        if name not in self.skip:
            raise EnvCheckError(name, self.env, detail)

    def require(self, name: str, condition: Any, detail: str) -> None:
        """Fail check ``name`` with ``detail`` unless ``condition`` holds; else count it as passed."""
        if not condition:
            self.fail(name, detail)
        if name not in self.skip:
            self.passed.add(name)


def _target(env: Any, config: dict[str, Any], preset: str | None, max_cycles: int | None) -> _Target:
    """Resolve an env id, model class or model instance to what the checks build envs from."""
    if isinstance(env, str):
        from swarmgym.registry import spec

        env_spec = spec(env)
        overrides = {**env_spec.preset(preset), **config}
        try:
            module = importlib.import_module(f"swarmgym.{env_spec.id}")
        except ModuleNotFoundError as error:
            detail = f"swarmgym/{env_spec.id}.py (the env_constructors module) is missing"
            raise EnvCheckError("name", env_spec.id, detail) from error
        cycles = max_cycles or env_spec.max_cycles
        shim = types.SimpleNamespace(
            parallel_env=functools.partial(module.parallel_env, max_cycles=cycles, **overrides),
            env=functools.partial(module.env, max_cycles=cycles, **overrides),
        )
        return _Target(env_spec.model, overrides, cycles, shim, env_spec.id)
    if isinstance(env, SwarmModel):
        if not dataclasses.is_dataclass(env.config):
            raise EnvCheckError(
                "config_view_size", type(env).__name__, f"config must be a dataclass, got {env.config!r}"
            )
        fields = dataclasses.fields(env.config)
        overrides = {f.name: getattr(env.config, f.name) for f in fields if f.init}
        return _target(type(env), {**overrides, **config}, preset, max_cycles)
    if isinstance(env, type) and issubclass(env, SwarmModel):
        cycles = max_cycles or 100
        parallel_env, _, aec_env = env_constructors(env, cycles)
        shim = types.SimpleNamespace(
            parallel_env=functools.partial(parallel_env, **config), env=functools.partial(aec_env, **config)
        )
        return _Target(env, config, cycles, shim, None)
    raise TypeError(f"check_env takes an env id, a SwarmModel subclass or instance, got {env!r}")


def _check_declarations(run: _Run, target: _Target) -> None:
    """What a model declares before it runs: name, config class, renderer."""
    model_cls = target.model_cls
    name = getattr(model_cls, "name", None)
    if not run.wanted("name"):
        pass
    elif target.registered_id is not None:
        run.require(
            "name",
            name == target.registered_id,
            f"{model_cls.__name__}.name is {name!r}; it must be the module id {target.registered_id!r}",
        )
    else:
        run.require(
            "name",
            isinstance(name, str) and NAME_PATTERN.match(name),
            f"{model_cls.__name__}.name is {name!r}; it must be a module id like 'segregation_v0'",
        )
    config_cls = getattr(model_cls, "config_cls", None)
    if run.wanted("config_view_size"):
        is_dataclass = dataclasses.is_dataclass(config_cls)
        fields = {f.name for f in dataclasses.fields(config_cls)} if is_dataclass else set()
        run.require(
            "config_view_size",
            "view_size" in fields,
            f"{model_cls.__name__}.config_cls ({config_cls!r}) must be a dataclass with a view_size field",
        )
    if run.wanted("render_implemented"):
        run.require(
            "render_implemented",
            model_cls.render is not SwarmModel.render,
            f"{model_cls.__name__} must implement render(canvas, state, copy, metrics)",
        )


def _check_spaces(run: _Run, model: SwarmModel) -> None:
    """Spaces and agent count: a (k, k, C) Box of named channels, Discrete or Box actions, Box state."""
    with run.check("spaces"):
        n = model.n_agents
        assert isinstance(n, (int, np.integer)) and n >= 1, f"n_agents must be an int >= 1, got {n!r}"
        obs = model.observation_space
        assert isinstance(obs, spaces.Box), f"observation_space must be a Box, got {obs!r}"
        k = model.config.view_size
        assert len(obs.shape) == 3 and obs.shape[:2] == (k, k), (
            f"observation_space shape must be (k, k, C) with k = view_size = {k}, got {obs.shape}"
        )
        assert len(model.channels) == obs.shape[2], (
            f"channels names {len(model.channels)} channels, the observation has {obs.shape[2]}"
        )
        assert isinstance(model.action_space, (spaces.Discrete, spaces.Box)), (
            f"action_space must be Discrete or Box, got {model.action_space!r}"
        )
        state_space = model.state_space
        assert isinstance(state_space, spaces.Box), f"state_space must be a Box, got {state_space!r}"


def _sample_actions(space: spaces.Space, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Uniform valid actions of the given batch shape (Box bounds that are infinite: a unit normal)."""
    if isinstance(space, spaces.Discrete):
        return rng.integers(space.start, space.start + space.n, size=shape)
    low = np.where(np.isfinite(space.low), space.low, -1.0)
    high = np.where(np.isfinite(space.high), space.high, 1.0)
    return rng.uniform(low, high, size=(*shape, *space.shape)).astype(space.dtype)


def _check_state(run: _Run, state: Any, batch: int, when: str) -> None:
    """Every field of ``state`` is an array with the leading batch axis; ``t`` is (B,) int64."""
    name = "state_batch_axis"
    if not (isinstance(state, State) and dataclasses.is_dataclass(state)):
        run.fail(name, f"{when}: the state must be a dataclass subclassing State, got {type(state).__name__}")
    for field in dataclasses.fields(state):
        value = getattr(state, field.name)
        if not isinstance(value, np.ndarray) or value.ndim == 0 or value.shape[0] != batch:
            shape = getattr(value, "shape", type(value).__name__)
            detail = f"State field {field.name!r} is {shape}; every field needs a leading axis B={batch}"
            run.fail(name, f"{when}: {detail}")
    if state.t.shape != (batch,) or state.t.dtype != np.int64:
        run.fail(name, f"{when}: t must be ({batch},) int64, got {state.t.shape} {state.t.dtype}")
    run.passed.add(name)


def _require_finite(run: _Run, what: str, value: np.ndarray) -> None:
    if np.asarray(value).dtype.kind in "fc" and not np.isfinite(value).all():
        run.fail("finite_values", f"{what} holds NaN or inf")
    run.passed.add("finite_values")


def _check_rollout(run: _Run, model: SwarmModel, seed: int, steps: int) -> None:
    """Drive the bare model for ``steps`` steps of two copies and check every array it returns."""
    batch, n = 2, model.n_agents
    rng = BatchRandom.from_seeds([seed, seed + 1])
    actions_rng = np.random.default_rng(seed)
    with run.check("state_batch_axis"):
        state = model.reset(rng)
    _check_state(run, state, batch, "after reset")
    run.require("step_keeps_t", not state.t.any(), f"reset must start t at 0, got {state.t.tolist()}")
    keys = _check_arrays(run, model, state, None, "after reset")
    terminated = np.zeros((batch, n), dtype=bool)
    for step in range(1, steps + 1):
        when = f"at step {step}"
        before = state.t.copy()
        actions = _sample_actions(model.action_space, (batch, n), actions_rng)
        with run.check("transition"):
            transition = model.advance(state, actions, rng)
        if not np.array_equal(state.t, before + 1):
            run.fail(
                "step_keeps_t",
                f"{when}: t went {before.tolist()} -> {state.t.tolist()} over one advance(); step() must "
                "not change state.t (advance() adds 1)",
            )
        _check_state(run, state, batch, when)
        with run.check("transition"):
            assert isinstance(transition, Transition), (
                f"step must return a Transition, not {type(transition)}"
            )
            rewards, now = transition.rewards, transition.terminated
            assert isinstance(rewards, np.ndarray) and rewards.shape == (batch, n), (
                f"{when}: rewards must be ({batch}, {n}), got {getattr(rewards, 'shape', rewards)}"
            )
            assert rewards.dtype == np.float32, f"{when}: rewards must be float32, got {rewards.dtype}"
            assert isinstance(now, np.ndarray) and now.shape == (batch, n) and now.dtype == np.bool_, (
                f"{when}: terminated must be ({batch}, {n}) bool, got "
                f"{getattr(now, 'shape', now)} {getattr(now, 'dtype', '')}"
            )
        _require_finite(run, f"{when}: rewards", rewards)
        revived = terminated & ~now
        if revived.any():
            run.fail(
                "termination_sticky",
                f"{when}: (copy, agent) {np.argwhere(revived)[:5].tolist()} were terminated and came back; "
                "terminated must stay True until reset",
            )
        run.passed.add("termination_sticky")
        terminated = now.copy()
        _check_arrays(run, model, state, keys, when)


def _check_arrays(run: _Run, model: SwarmModel, state: State, keys: set[str] | None, when: str) -> set[str]:
    """Observations, metrics, agent info and global state of ``state``; returns the metric keys."""
    batch, n = state.batch, model.n_agents
    space = model.observation_space
    with run.check("observations_in_space"):
        obs = model.observe(state)
        assert isinstance(obs, np.ndarray), f"{when}: observe must return an array, got {type(obs)}"
        assert obs.shape == (batch, n, *space.shape), (
            f"{when}: observations must be {(batch, n, *space.shape)}, got {obs.shape}"
        )
        assert obs.dtype == space.dtype, f"{when}: observations are {obs.dtype}, the space says {space.dtype}"
    _require_finite(run, f"{when}: observations", obs)
    with run.check("observations_in_space"):
        inside = (obs >= space.low) & (obs <= space.high)
        if not inside.all():
            b, i = np.argwhere(~inside.reshape(batch, n, -1).all(axis=2))[0]
            raise AssertionError(f"{when}: the observation of agent_{i} (copy {b}) is outside {space}")
        assert space.contains(obs[0, 0]), f"{when}: observation_space.contains refuses agent_0's observation"
    with run.check("metrics"):
        metrics = model.metrics(state)
        assert isinstance(metrics, dict), f"{when}: metrics must return a dict, got {type(metrics)}"
        for key, value in metrics.items():
            assert isinstance(value, np.ndarray) and value.shape == (batch,) and value.dtype == np.float64, (
                f"{when}: metric {key!r} must be ({batch},) float64, got "
                f"{getattr(value, 'shape', value)} {getattr(value, 'dtype', '')}"
            )
    if keys is not None and set(metrics) != keys:
        changed = sorted(set(metrics) ^ keys)
        run.fail("stable_metric_keys", f"{when}: metric keys changed: {changed} (the same at every step)")
    run.passed.add("stable_metric_keys")
    for key, value in metrics.items():
        _require_finite(run, f"{when}: metric {key!r}", value)
    with run.check("neighbour_mean_action"):
        info = model.agent_info(state)
        assert "neighbour_mean_action" in info, (
            f"agent_info must give 'neighbour_mean_action' (B, N, A) float32, got keys {sorted(info)}"
        )
        actions = model.action_space
        width = actions.n if isinstance(actions, spaces.Discrete) else int(np.prod(actions.shape))
        mean_action = info["neighbour_mean_action"]
        shape = getattr(mean_action, "shape", type(mean_action).__name__)
        assert isinstance(mean_action, np.ndarray) and shape == (batch, n, width), (
            f"{when}: neighbour_mean_action must be {(batch, n, width)}, got {shape}"
        )
        assert mean_action.dtype == np.float32, f"neighbour_mean_action is {mean_action.dtype}, not float32"
    _require_finite(run, f"{when}: neighbour_mean_action", mean_action)
    with run.check("global_state"):
        global_state = model.global_state(state)
        shape = (batch, *model.state_space.shape)
        assert isinstance(global_state, np.ndarray) and global_state.shape == shape, (
            f"{when}: global_state must be {shape}, got {getattr(global_state, 'shape', global_state)}"
        )
        for b in range(batch):
            assert model.state_space.contains(global_state[b]), (
                f"{when}: global_state of copy {b} is outside state_space {model.state_space}"
            )
    return set(metrics)


def _check_pettingzoo(run: _Run, target: _Target) -> None:
    """PettingZoo's own tests through the adapter (the counts the conformance suite always used)."""
    from pettingzoo.test import (
        api_test,
        max_cycles_test,
        parallel_api_test,
        render_test,
        seed_test,
        state_test,
    )

    module = target.module

    def render_env(render_mode: str | None = None) -> Any:
        return module.env(render_mode=render_mode)

    tests: tuple[tuple[str, Callable[[], Any]], ...] = (
        ("pettingzoo_parallel_api", lambda: parallel_api_test(module.parallel_env(), num_cycles=60)),
        ("pettingzoo_aec_api", lambda: api_test(module.env(), num_cycles=30)),
        ("pettingzoo_seed", lambda: seed_test(module.env, num_cycles=30)),
        ("pettingzoo_max_cycles", lambda: max_cycles_test(module)),
        ("pettingzoo_render", lambda: render_test(render_env)),
        ("pettingzoo_state", lambda: state_test(module.env(), module.parallel_env())),
    )
    for name, test in tests:
        if not run.wanted(name):
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with run.check(name), _quiet():
                test()
        for message in dict.fromkeys(str(w.message) for w in caught if w.category is not DeprecationWarning):
            run.warnings.append(f"{name}: {message}")


@contextmanager
def _quiet() -> Iterator[None]:
    """PettingZoo's tests print "Passed ..." lines; keep the checker silent."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


def _sample_dict(env: SwarmParallelEnv, rng: np.random.Generator) -> dict[str, Any]:
    """Random valid actions for the live agents of a dict env."""
    return dict(zip(env.agents, _sample_actions(env.model.action_space, (len(env.agents),), rng)))


def _assert_same(a: Any, b: Any, where: str = "") -> None:
    """Equal nested tuples / dicts of arrays and numbers, bit for bit and dtype for dtype (NaN == NaN)."""
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{where}: lengths {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a)[:5]} != {sorted(b)[:5]}"
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        same = a.dtype == b.dtype and a.shape == b.shape
        if not (
            same and (np.array_equal(a, b) or (a.dtype.kind in "fc" and np.array_equal(a, b, equal_nan=True)))
        ):
            np.testing.assert_array_equal(a, b, err_msg=where, strict=True)
    elif not (type(a) is type(b) and (a == b or (a != a and b != b))):
        raise AssertionError(f"{where}: {a!r} != {b!r}")


def _check_determinism(run: _Run, target: _Target) -> None:
    """The same seed and actions give the same trajectory over a whole episode, not only the first step."""
    name = "multi_step_determinism"
    if not run.wanted(name):
        return
    with run.check(name):
        runs = []
        for _ in range(2):
            env = target.parallel(max_cycles=25)
            rng = np.random.default_rng(7)
            trace = [env.reset(seed=123)]
            while env.agents:
                trace.append(env.step(_sample_dict(env, rng)))
            runs.append(trace)
        assert len(runs[0]) == len(runs[1]), f"episode lengths {len(runs[0]) - 1} != {len(runs[1]) - 1}"
        names = ("observations", "rewards", "terminations", "truncations", "infos")
        for step, (first, second) in enumerate(zip(*runs)):
            parts = names if step else (names[0], names[-1])
            for part, x, y in zip(parts, first, second):
                _assert_same(x, y, f"two runs seeded 123 differ at step {step} in {part}")


def _check_batched(run: _Run, target: _Target) -> None:
    """Copy b of the batched env seeded s is the single env seeded s + b, through an auto-reset."""
    name = "batched_equals_singles"
    if not run.wanted(name):
        return
    with run.check(name):
        batch, horizon, seed = 3, 4, 40
        vec = target.vec(batch, horizon)
        singles = [target.parallel(max_cycles=horizon) for _ in range(batch)]
        obs, info = vec.reset(seed=seed)
        for b, env in enumerate(singles):
            first, _ = env.reset(seed=seed + b)
            np.testing.assert_array_equal(
                obs[b], np.stack([first[a] for a in env.possible_agents]), err_msg=f"copy {b} at reset"
            )
        rng = np.random.default_rng(0)
        space = vec.observation_space
        for step in range(2 * horizon + 2):
            actions = _sample_actions(vec.action_space, (batch, vec.num_agents), rng)
            obs, rewards, terminated, truncated, info = vec.step(actions)
            assert obs.shape == (batch, vec.num_agents, *space.shape) and obs.dtype == space.dtype, (
                f"batched observations are {obs.shape} {obs.dtype}"
            )
            for b, env in enumerate(singles):
                where = f"copy {b}, step {step + 1}"
                live = [env.possible_agents.index(a) for a in env.agents]
                agents = list(env.agents)
                s_obs, s_rew, s_term, s_trunc, s_info = env.step(dict(zip(agents, actions[b, live])))
                np.testing.assert_allclose(
                    rewards[b, live], [s_rew[a] for a in agents], rtol=1e-6, err_msg=f"{where}: rewards"
                )
                assert truncated[b, live].tolist() == [s_trunc[a] for a in agents], f"{where}: truncations"
                assert terminated[b, live].tolist() == [s_term[a] for a in agents], f"{where}: terminations"
                metrics = info["final_metrics"] if info["done"][b] else info["metrics"]
                for key, value in (s_info[agents[0]] if agents else {}).items():
                    np.testing.assert_allclose(
                        metrics[key][b], value, rtol=1e-9, atol=1e-12, err_msg=f"{where}: metric {key}"
                    )
                final = info["final_observation"][b] if info["done"][b] else obs[b]
                np.testing.assert_array_equal(
                    final[live], np.stack([s_obs[a] for a in agents]), err_msg=f"{where}: observations"
                )
                assert bool(info["done"][b]) == (not env.agents), (
                    f"{where}: the batched copy is done={bool(info['done'][b])}, the single env has "
                    f"{len(env.agents)} live agents"
                )
                if not env.agents:
                    restarted, _ = env.reset()
                    fresh = np.stack([restarted[a] for a in env.possible_agents])
                    np.testing.assert_array_equal(obs[b], fresh, err_msg=f"{where}: after the auto-reset")
