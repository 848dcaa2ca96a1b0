"""Agents for swarmgym: one Policy interface on arrays, loaded by name (:func:`agents.load_policy`)."""

from agents.base import Policy, rollout_parallel
from agents.registry import load_policy, policy_names

__all__ = ["Policy", "rollout_parallel", "load_policy", "policy_names"]
