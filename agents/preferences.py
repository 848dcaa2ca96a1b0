"""Social preferences: reward transformations a learner trains on, while the env pays selfish rewards.

A learner with a social preference optimises a transformed reward r' computed from the true (B, N)
rewards of all N agents of each copy. The env, its metrics and every evaluation keep the true rewards:
the transformation lives only in the training path (:class:`swarmgym_agents.sb3_vec_env.SwarmSB3VecEnv`
and :class:`swarmgym_agents.mean_field.MeanFieldEnv` apply it), so a prosocial and a selfish learner are
judged on the same numbers.

Kinds (``preference`` dicts, recorded in run.json as the agent's identity):

- ``{"kind": "selfish"}`` or None: r' = r.
- ``{"kind": "prosocial", "alpha": a}``: r'_i = (1 − a) r_i + a · mean_j r_j, a in [0, 1]; a = 1 is the
  collective reward of Hughes et al. (2018), everyone paid the group mean.
- ``{"kind": "inequity", "alpha": a, "beta": b, "decay": g}``: Fehr–Schmidt inequity aversion on
  temporally smoothed rewards (Hughes et al. 2018): e_i(t) = g e_i(t − 1) + r_i(t) (g = γλ, traces
  restart at 0 with each episode) and
  r'_i = r_i − a/(N−1) Σ_j max(e_j − e_i, 0) − b/(N−1) Σ_j max(e_i − e_j, 0); a weighs
  disadvantageous inequity (envy), b advantageous inequity (guilt).

The functions are pure numpy over the last (agent) axis; :class:`RewardTransform` holds the traces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("selfish", "prosocial", "inequity")
#: γλ of Hughes et al. (2018): 0.99 · 0.95.
DEFAULT_DECAY = 0.9405


def prosocial(rewards: np.ndarray, alpha: float) -> np.ndarray:
    """(1 − alpha) r_i + alpha · mean_j r_j along the last axis."""
    rewards = np.asarray(rewards, dtype=np.float64)
    return (1.0 - alpha) * rewards + alpha * rewards.mean(axis=-1, keepdims=True)


def smooth(traces: np.ndarray, rewards: np.ndarray, decay: float) -> np.ndarray:
    """e(t) = decay · e(t − 1) + r(t)."""
    return decay * np.asarray(traces, dtype=np.float64) + rewards


def inequity_sums(traces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_j max(e_j − e_i, 0) and Σ_j max(e_i − e_j, 0) along the last axis, in O(N log N).

    With e sorted ascending (e_(0) <= … <= e_(N−1)) and prefix sums c_k = Σ_{m<=k} e_(m), agent at rank
    k envies the N−1−k above it by (c_total − c_k) − (N−1−k) e_(k) and is ahead of the k below it by
    k e_(k) − c_(k−1); ties contribute 0 either way.
    """
    traces = np.asarray(traces, dtype=np.float64)
    order = np.argsort(traces, axis=-1)
    ranked = np.take_along_axis(traces, order, axis=-1)
    n = ranked.shape[-1]
    rank = np.arange(n)
    through = np.cumsum(ranked, axis=-1)
    envy_sorted = (through[..., -1:] - through) - (n - 1 - rank) * ranked
    guilt_sorted = rank * ranked - (through - ranked)
    envy, guilt = np.empty_like(traces), np.empty_like(traces)
    np.put_along_axis(envy, order, envy_sorted, axis=-1)
    np.put_along_axis(guilt, order, guilt_sorted, axis=-1)
    return envy, guilt


def inequity_aversion(rewards: np.ndarray, traces: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    """r_i − alpha/(N−1) Σ_j max(e_j − e_i, 0) − beta/(N−1) Σ_j max(e_i − e_j, 0), e the current traces."""
    rewards = np.asarray(rewards, dtype=np.float64)
    envy, guilt = inequity_sums(traces)
    scale = 1.0 / max(rewards.shape[-1] - 1, 1)
    return rewards - alpha * scale * envy - beta * scale * guilt


@dataclass(frozen=True)
class Preference:
    """A validated social preference; :meth:`record` is its JSON identity (None for selfish)."""

    kind: str = "selfish"
    """One of :data:`KINDS`."""
    alpha: float = 0.0
    """Prosocial weight of the group mean, in [0, 1]; inequity: disadvantageous weight, >= 0."""
    beta: float = 0.0
    """Inequity: advantageous weight, >= 0 (unused otherwise)."""
    decay: float = DEFAULT_DECAY
    """Inequity: trace decay γλ, in [0, 1) (unused otherwise)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"preference kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("alpha", "beta", "decay"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ValueError(f"preference {name} must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if self.kind == "prosocial" and not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"prosocial alpha must be in [0, 1], got {self.alpha}")
        if self.kind == "inequity":
            if self.alpha < 0 or self.beta < 0:
                raise ValueError(f"inequity alpha and beta must be >= 0, got {self.alpha}, {self.beta}")
            if not 0.0 <= self.decay < 1.0:
                raise ValueError(f"inequity decay must be in [0, 1), got {self.decay}")

    @classmethod
    def parse(cls, spec: Preference | dict[str, Any] | str | None) -> Preference:
        """From a dict (run.json), a ``KIND[:key=value,...]`` string (command line), or None (selfish)."""
        if isinstance(spec, Preference):
            return spec
        if spec is None:
            return cls()
        if isinstance(spec, str):
            kind, _, rest = spec.partition(":")
            fields: dict[str, Any] = {"kind": kind.strip()}
            for item in filter(None, (part.strip() for part in rest.split(","))):
                key, sep, value = item.partition("=")
                if not sep:
                    raise ValueError(f"preference item {item!r} is not key=value (inequity:alpha=5,beta=0)")
                fields[key.strip()] = float(value)
            spec = fields
        if not isinstance(spec, dict):
            raise ValueError(f"preference must be a dict, a string or None, got {spec!r}")
        unknown = set(spec) - {"kind", "alpha", "beta", "decay"}
        if unknown:
            raise ValueError(f"unknown preference keys {sorted(unknown)}; use kind, alpha, beta, decay")
        return cls(**spec)

    def record(self) -> dict[str, Any] | None:
        """The identity to store with the agent (run.json, checkpoints, results); None when selfish."""
        if self.kind == "selfish":
            return None
        if self.kind == "prosocial":
            return {"kind": "prosocial", "alpha": self.alpha}
        return {"kind": "inequity", "alpha": self.alpha, "beta": self.beta, "decay": self.decay}

    def label(self) -> str:
        """A short name for tables, e.g. ``inequity(a=5, b=0.05)``."""
        if self.kind == "prosocial":
            return f"prosocial(a={self.alpha:g})"
        if self.kind == "inequity":
            return f"inequity(a={self.alpha:g}, b={self.beta:g}, g={self.decay:g})"
        return "selfish"


class RewardTransform:
    """Applies a :class:`Preference` to the (B, N) rewards of a batched env, step by step.

    Holds the inequity traces e (B, N); a copy's traces restart at 0 after the step that ends its
    episode (the vector env has already reset that copy), so they never leak across episodes.
    """

    def __init__(
        self, preference: Preference | dict[str, Any] | str | None, num_copies: int, num_agents: int
    ):
        self.preference = Preference.parse(preference)
        self.traces = np.zeros((num_copies, num_agents))

    @property
    def selfish(self) -> bool:
        """True when the transform is the identity."""
        return self.preference.kind == "selfish"

    def reset(self) -> None:
        """Restart every copy's traces (after a reset of all copies)."""
        self.traces[:] = 0.0

    def __call__(self, rewards: np.ndarray, done: np.ndarray | None = None) -> np.ndarray:
        """Transformed float32 (B, N) rewards; ``done`` (B,) flags copies whose episode ended this step."""
        pref = self.preference
        if pref.kind == "selfish":
            return rewards
        if pref.kind == "prosocial":
            out = prosocial(rewards, pref.alpha)
        else:
            self.traces = smooth(self.traces, rewards, pref.decay)
            out = inequity_aversion(rewards, self.traces, pref.alpha, pref.beta)
            if done is not None and np.any(done):
                self.traces[np.asarray(done, dtype=bool)] = 0.0
        return out.astype(np.float32)
