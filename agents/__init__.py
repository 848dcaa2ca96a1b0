"""Agents for swarmgym: one Policy interface on arrays, loaded by name (:func:`load_policy`)."""

from swarmgym_agents.base import Policy, rollout_parallel
from swarmgym_agents.registry import load_policy, policy_names

__all__ = ["Policy", "rollout_parallel", "load_policy", "policy_names"]
