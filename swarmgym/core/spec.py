"""What one env declares about itself, next to its code: :class:`EnvSpec` and :class:`LearningSpec`.

Each ``swarmgym/envs/<model>/__init__.py`` defines ``SPEC = EnvSpec(...)``; ``swarmgym/registry.py``
only collects them. Specs are plain data (Gymnasium's ``register(...)`` calls are the model): presets
are named config overrides, never copied config files, and the learning defaults name presets instead
of repeating their values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from swarmgym.core.model import SwarmModel


def _agents_only(n: int) -> dict[str, Any]:
    return {"n_agents": n}


@dataclass(frozen=True)
class LearningSpec:
    """How the learners (PPO, MF-Q, MF-AC) train on this env by default on a 2-core machine."""

    preset: str | None
    """Name of the env preset the learners train on (a small world), or None for the defaults."""
    max_cycles: int
    """Episode length of training and of the run's final evaluation."""
    main_metric: str
    """The emergence metric the learning evidence is judged on (one of the env's metric keys)."""
    mean_field_preset: str | None = None
    """A preset MF-Q / MF-AC add on top (e.g. the env's discrete-action option), or None."""
    num_copies: int = 8
    """B, the env copies stepped together while training."""
    budget: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({"ppo": 1_000_000, "mfq": 300_000, "mfac": 400_000})
    )
    """Default agent-steps per algorithm."""
    hyper: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-algorithm hyperparameter defaults of this env (e.g. a long value horizon), under ``--hyper``."""


@dataclass(frozen=True)
class EnvSpec:
    """One environment: its id, model, episode length, presets, scale rule and learning defaults."""

    id: str
    """The versioned id, ``<name>_v<N>``; also the name of the module ``swarmgym/<id>.py``."""
    model: type[SwarmModel]
    """The :class:`~swarmgym.core.model.SwarmModel` subclass (its ``name`` equals ``id``)."""
    max_cycles: int
    """Default episode length (steps until every agent is truncated)."""
    summary: str
    """One line for ``swarmgym list`` and the README."""
    learning: LearningSpec
    """The learners' defaults on this env."""
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Named config overrides; ``small`` is a quick variant (tests, smoke runs) of the same model."""
    scale: Callable[[int], dict[str, Any]] = _agents_only
    """Config overrides giving about ``n`` agents at the default density (benchmarks, scaling studies)."""

    def preset(self, name: str | None) -> dict[str, Any]:
        """The overrides of preset ``name`` (``{}`` for None); a ``ValueError`` lists the presets."""
        if name is None:
            return {}
        if name not in self.presets:
            raise ValueError(f"unknown preset {name!r} for {self.id}; choose from {sorted(self.presets)}")
        return dict(self.presets[name])
