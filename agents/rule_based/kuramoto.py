"""The Kuramoto coupling rule for ``consensus_v0`` (state_kind ``"phase"``), from exact aggregates."""

from __future__ import annotations

from typing import Any

import numpy as np

from swarmgym.envs.consensus.dynamics import coupling_sums
from swarmgym_agents.base import Policy, RuleBasedAgent


class KuramotoPolicy(Policy):
    """Play the classical coupling term: a_i = dt * (K / n) * sum_j sin(theta_j - theta_i).

    The sum runs over the agent's coupling set of the env's ``coupling`` (k×k view or every agent), n
    its size, the agent included; globally this is ``dt * K * r * sin(psi - theta_i)``. Since the env
    adds omega_i * dt, the phases follow d theta_i / dt = omega_i + (K / n) sum_j sin(theta_j - theta_i).

    ``integrator="euler"`` reads the env's exact sums ``coupled_sin`` / ``coupled_count`` (one explicit
    Euler step). ``"rk4"`` integrates the same ODE over one step with the classical Runge-Kutta scheme,
    evaluating the coupling at intermediate phases of every agent from ``phase``, ``frequency`` and
    ``cell`` in ``agent_info`` (so it needs the env's geometry), and plays the phase increment minus the
    env's omega_i * dt. Either way |a_i| <= dt * K; actions beyond ``max_action`` (the env's bound) are
    saturated by the policy, never by the env.

    Args:
        coupling_strength: K, a float, or a (B, 1) array for one K per env copy.
        dt: the env's time step.
        max_action: the env's ``max_correction``.
        integrator: ``"euler"`` or ``"rk4"``.
        size, view_size, torus, coupling: the env's geometry, needed by ``"rk4"`` only.
    """

    def __init__(
        self,
        coupling_strength: float | np.ndarray = 2.0,
        dt: float = 0.1,
        max_action: float = np.inf,
        integrator: str = "euler",
        size: int | None = None,
        view_size: int | None = None,
        torus: bool = True,
        coupling: str = "local",
    ):
        if integrator not in ("euler", "rk4"):
            raise ValueError(f"integrator must be 'euler' or 'rk4', got {integrator!r}")
        if integrator == "rk4" and coupling == "local" and (size is None or view_size is None):
            raise ValueError("integrator='rk4' with local coupling needs the env's size and view_size")
        self.coupling_strength = coupling_strength
        self.dt = dt
        self.max_action = max_action
        self.integrator = integrator
        self.geometry = (size, view_size, torus, coupling)

    @classmethod
    def for_model(
        cls, model: Any, coupling_strength: float | np.ndarray = 2.0, integrator: str = "euler"
    ) -> KuramotoPolicy:
        """The policy matched to a ``consensus_v0`` model's dt, action bound and geometry."""
        cfg = model.config
        if cfg.state_kind != "phase":
            raise ValueError(f"the kuramoto agent needs state_kind='phase', got {cfg.state_kind!r}")
        return cls(
            coupling_strength,
            cfg.dt,
            cfg.max_correction,
            integrator,
            cfg.size,
            cfg.view_size,
            cfg.torus,
            cfg.coupling,
        )

    def _rate(self, phase: np.ndarray, cell: np.ndarray) -> np.ndarray:
        """(B, N) coupling term (K / n) sum_j sin(theta_j - theta_i) at the given phases."""
        size, view_size, torus, coupling = self.geometry
        sin_sum, _, count = coupling_sums(phase, cell, size, view_size, torus, coupling)
        return self.coupling_strength * sin_sum / count

    def act(self, observations: np.ndarray, info: dict[str, Any]) -> np.ndarray:
        """(B, N, 1) float32 phase corrections."""
        agent = info["agent"]
        if self.integrator == "euler":
            action = self.dt * self.coupling_strength * agent["coupled_sin"] / agent["coupled_count"]
        else:
            phase, omega, cell, dt = agent["phase"], agent["frequency"], agent["cell"], self.dt
            k1 = omega + self._rate(phase, cell)
            k2 = omega + self._rate(phase + 0.5 * dt * k1, cell)
            k3 = omega + self._rate(phase + 0.5 * dt * k2, cell)
            k4 = omega + self._rate(phase + dt * k3, cell)
            # The RK4 increment minus the drift the env adds itself.
            action = dt / 6.0 * ((k1 - omega) + 2.0 * (k2 - omega) + 2.0 * (k3 - omega) + (k4 - omega))
        return np.clip(action, -self.max_action, self.max_action)[..., None].astype(np.float32)


AGENTS = (
    RuleBasedAgent(
        "kuramoto", "consensus_v0", lambda model, seed: KuramotoPolicy.for_model(model), reference=True
    ),
)
