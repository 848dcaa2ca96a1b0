"""Opinion rules for ``consensus_v0`` (state_kind ``"opinion"``): Hegselmann-Krause, Deffuant, DeGroot.

Each plays the opinion change its model prescribes; the env adds it and keeps opinions in [0, 1].

Where the inputs come from (the design choice for pairwise and confidence-bounded rules):

- With ``coupling="local"`` the rules act on their own observation: the ``opinion_diff`` channel holds
  x_j - x_i of every agent in the k×k view (float32), the ``occupied`` channel says where agents are.
- With ``coupling="global"`` the coupling set is the whole copy, which no k×k view holds; the rules
  read the copy's opinions (``agent_info["opinion"]``, privileged) and compute the exact aggregate
  themselves: Hegselmann-Krause by sorted prefix sums (O(N log N)), Deffuant by a random matching.
- DeGroot reads the env's exact sums ``coupled_diff_sum`` / ``coupled_count`` for either coupling.

Deffuant needs random partners: the policy draws them from its own seeded generator (``reset(seed)``),
not from the env's, so the env stays a pure function of its seed and the actions. Globally it is the
classical pairwise model with one random perfect matching per step (N/2 encounters; both partners
of a pair move); locally each agent meets one uniformly random occupied cell of its view (one-sided:
the partner need not pick it back).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from swarmgym_agents.base import Policy, RuleBasedAgent, SeededPolicy


def _saturate(change: np.ndarray, max_action: float) -> np.ndarray:
    """(B, N, 1) float32 actions from (B, N) changes, saturated at the env's bound by the policy."""
    return np.clip(change, -max_action, max_action)[..., None].astype(np.float32)


def _check_opinion_model(model: Any) -> None:
    if model.config.state_kind != "opinion":
        raise ValueError(f"this agent needs state_kind='opinion', got {model.config.state_kind!r}")


def confidence_mean_shift(opinion: np.ndarray, epsilon: float) -> np.ndarray:
    """(B, N) mean{x_j : |x_j - x_i| <= epsilon} - x_i over all agents of each copy (self included).

    Exact in O(N log N): sort each copy, prefix sums, and the index range [x_i - eps, x_i + eps] by
    binary search (copies are shifted apart so one search serves the whole batch).
    """
    batch, n = opinion.shape
    shift = (2.0 + 2.0 * epsilon) * np.arange(batch)[
        :, None
    ]  # opinions in [0, 1]: shifted copies never overlap
    keys = np.sort(opinion + shift, axis=1).ravel()
    prefix = np.concatenate([[0.0], np.cumsum(np.sort(opinion, axis=1).ravel())])
    shifted = opinion + shift
    low = np.searchsorted(keys, shifted - epsilon - 1e-12, side="left")
    high = np.searchsorted(keys, shifted + epsilon + 1e-12, side="right")
    return (prefix[high] - prefix[low]) / (high - low) - opinion


class HegselmannKrausePolicy(Policy):
    """Hegselmann-Krause: move to the mean opinion of everyone within ``epsilon``, self included.

    x_i <- mean{x_j : |x_j - x_i| <= epsilon} (synchronous, every agent at once). Local coupling: j runs
    over the occupied cells of the k×k view (from the observation); global: over the whole copy.
    """

    def __init__(self, epsilon: float = 0.25, coupling: str = "local", max_action: float = 1.0):
        self.epsilon = epsilon
        self.coupling = coupling
        self.max_action = max_action

    @classmethod
    def for_model(cls, model: Any, epsilon: float = 0.25) -> HegselmannKrausePolicy:
        """The policy matched to a ``consensus_v0`` opinion model's coupling and action bound."""
        _check_opinion_model(model)
        return cls(epsilon, model.config.coupling, model.config.max_step)

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) float32 opinion changes."""
        if self.coupling == "global":
            return _saturate(confidence_mean_shift(info["agent"]["opinion"], self.epsilon), self.max_action)
        occupied, diff = observations[..., 0] > 0, observations[..., 1].astype(np.float64)
        close = occupied & (np.abs(diff) <= self.epsilon)
        total = np.where(close, diff, 0.0).sum(axis=(2, 3))
        return _saturate(total / close.sum(axis=(2, 3)), self.max_action)  # the centre (self) is always close


class DeffuantPolicy(SeededPolicy):
    """Deffuant-Weisbuch: meet a random partner; if |x_j - x_i| < epsilon move by mu * (x_j - x_i).

    Args:
        epsilon: confidence bound; the number of major clusters is about floor(1 / (2 epsilon)).
        mu: convergence rate in (0, 1/2].
        coupling: ``"local"`` (a random occupied cell of the view) or ``"global"`` (random matching).
        max_action: the env's ``max_step``.
        seed: seed of the partner generator.
    """

    def __init__(
        self,
        epsilon: float = 0.3,
        mu: float = 0.5,
        coupling: str = "local",
        max_action: float = 1.0,
        seed: int | None = None,
    ):
        super().__init__(seed)
        self.epsilon = epsilon
        self.mu = mu
        self.coupling = coupling
        self.max_action = max_action

    @classmethod
    def for_model(
        cls, model: Any, epsilon: float = 0.3, mu: float = 0.5, seed: int | None = None
    ) -> DeffuantPolicy:
        """The policy matched to a ``consensus_v0`` opinion model's coupling and action bound."""
        _check_opinion_model(model)
        return cls(epsilon, mu, model.config.coupling, model.config.max_step, seed)

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) float32 opinion changes."""
        if self.coupling == "global":
            opinion = info["agent"]["opinion"]
            batch, n = opinion.shape
            order = np.argsort(self.rng.random((batch, n)), axis=1)
            pairs = n // 2
            first, second = order[:, 0 : 2 * pairs : 2], order[:, 1 : 2 * pairs : 2]
            copy = np.arange(batch)[:, None]
            diff = np.zeros((batch, n))
            gap = opinion[copy, second] - opinion[copy, first]
            diff[copy, first] = gap
            diff[copy, second] = -gap
        else:
            batch, n, k = observations.shape[:3]
            centre = k // 2
            candidates = observations[..., 0] > 0
            candidates[:, :, centre, centre] = False
            # A uniformly random candidate cell: the one with the largest random key.
            keys = np.where(candidates, self.rng.random(candidates.shape), -1.0).reshape(batch, n, -1)
            pick = keys.argmax(axis=2)
            diff = np.take_along_axis(observations[..., 1].reshape(batch, n, -1), pick[..., None], axis=2)[
                ..., 0
            ]
            diff = np.where(candidates.reshape(batch, n, -1).any(axis=2), diff.astype(np.float64), 0.0)
        return _saturate(np.where(np.abs(diff) < self.epsilon, self.mu * diff, 0.0), self.max_action)


class DeGrootPolicy(Policy):
    """DeGroot: move to the equal-weight mean of the coupling set, self included (x <- W x, W row-stochastic).

    Reads the env's exact ``coupled_diff_sum`` / ``coupled_count``; with ``rate`` < 1 the agent moves
    that fraction of the way (lazy DeGroot, same consensus).
    """

    def __init__(self, rate: float = 1.0, max_action: float = 1.0):
        self.rate = rate
        self.max_action = max_action

    @classmethod
    def for_model(cls, model: Any, rate: float = 1.0) -> DeGrootPolicy:
        """The policy matched to a ``consensus_v0`` opinion model's action bound."""
        _check_opinion_model(model)
        return cls(rate, model.config.max_step)

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) float32 opinion changes."""
        agent = info["agent"]
        return _saturate(self.rate * agent["coupled_diff_sum"] / agent["coupled_count"], self.max_action)


AGENTS = (
    RuleBasedAgent(
        "hegselmann_krause", "consensus_v0", lambda model, seed: HegselmannKrausePolicy.for_model(model)
    ),
    RuleBasedAgent(
        "deffuant", "consensus_v0", lambda model, seed: DeffuantPolicy.for_model(model, seed=seed)
    ),
    RuleBasedAgent("degroot", "consensus_v0", lambda model, seed: DeGrootPolicy.for_model(model)),
)
