"""swarmgym: PettingZoo environments of collective behaviour on a batch-first numpy core.

``swarmgym.make(env_id, **config)`` gives a PettingZoo ``ParallelEnv``; ``swarmgym.make_vec(env_id,
num_envs=B, **config)`` a batched array env of B copies; ``swarmgym.list_envs()`` the registered ids.
Importing swarmgym registers every env with PettingZoo's registry (``pettingzoo.make("parallel",
"swarmgym/segregation-v0")``) when that registry exists (PettingZoo >= 1.27).
"""

from __future__ import annotations

from typing import Any

import pettingzoo

from swarmgym.core.parallel_env import SwarmParallelEnv
from swarmgym.core.vector import SwarmVecEnv
from swarmgym.registry import ENVS, spec

__version__ = "0.1.0"
__all__ = ["make", "make_vec", "make_model", "list_envs", "SwarmParallelEnv", "SwarmVecEnv", "__version__"]


def list_envs() -> list[str]:
    """The registered env ids, e.g. ``["segregation_v0", ...]``."""
    return sorted(ENVS)


def _spec(env_id: Any):
    """The spec of ``env_id``; a ``ValueError`` naming the ``env_id`` argument and the registered ids."""
    if not isinstance(env_id, str):
        raise ValueError(
            f"env_id must be a registered env id string, one of {list_envs()}, got {env_id!r} "
            f"({type(env_id).__name__})"
        )
    return spec(env_id)


def make_model(env_id: str, **config: Any):
    """The numpy model of ``env_id`` with its config validated (no PettingZoo layer)."""
    model_cls = _spec(env_id).model
    return model_cls(model_cls.config_cls(**config))


def make(
    env_id: str,
    render_mode: str | None = None,
    max_cycles: int | None = None,
    with_info: bool = True,
    **config: Any,
) -> SwarmParallelEnv:
    """A PettingZoo ``ParallelEnv`` of ``env_id`` with config overrides as keywords.

    ``with_info=False`` leaves the per-agent infos empty (throughput runs); ``env.metrics()`` still
    gives the emergence metrics on demand.
    """
    env_spec = _spec(env_id)
    return SwarmParallelEnv(
        make_model(env_id, **config),
        max_cycles=env_spec.max_cycles if max_cycles is None else max_cycles,
        render_mode=render_mode,
        with_info=with_info,
    )


def make_vec(
    env_id: str, num_envs: int = 1, max_cycles: int | None = None, with_info: bool = True, **config: Any
) -> SwarmVecEnv:
    """A batched array env of ``num_envs`` copies of ``env_id`` (arrays (B, N, ...) in and out).

    ``with_info=False`` skips the per-step metrics and agent info (throughput runs).
    """
    env_spec = _spec(env_id)
    return SwarmVecEnv(
        make_model(env_id, **config),
        num_envs=num_envs,
        max_cycles=env_spec.max_cycles if max_cycles is None else max_cycles,
        with_info=with_info,
    )


def _register_with_pettingzoo() -> None:
    if not hasattr(pettingzoo, "register"):
        return
    for env_id in ENVS:
        name, version = env_id.rsplit("_v", 1)
        pettingzoo.register(
            "parallel", f"swarmgym/{name}-v{version}", entry_point=f"swarmgym.{env_id}:parallel_env"
        )
        pettingzoo.register("aec", f"swarmgym/{name}-v{version}", entry_point=f"swarmgym.{env_id}:env")


_register_with_pettingzoo()
