"""Load any agent by name: ``random``, the rule-based agents, learned checkpoints (``ALGO:RUN_DIR``).

The rule-based agents declare themselves: each module in :data:`MODULES` lists its
:class:`~swarmgym_agents.base.RuleBasedAgent` entries in ``AGENTS`` (name, env played, reference or
not); this module only collects them. ``random`` works everywhere.
"""

from __future__ import annotations

from swarmgym.core.model import SwarmModel
from swarmgym.registry import spec
from swarmgym_agents.base import Factory, Policy, RandomPolicy, RuleBasedAgent
from swarmgym_agents.rule_based import couzin, harvesters, kuramoto, opinion, schelling, vicsek

MODULES = (harvesters, kuramoto, opinion, vicsek, couzin, schelling)
"""The rule-based agent modules, each declaring ``AGENTS``. Add a new agent module here."""


def _collect() -> tuple[dict[str, dict[str, Factory]], dict[str, str]]:
    table: dict[str, dict[str, Factory]] = {}
    reference: dict[str, str] = {}
    for module in MODULES:
        entry: RuleBasedAgent
        for entry in module.AGENTS:
            env_agents = table.setdefault(entry.env_id, {})
            if entry.name in env_agents or entry.name == "random":
                raise ValueError(f"{module.__name__}: agent name {entry.name!r} is taken in {entry.env_id}")
            env_agents[entry.name] = entry.factory
            if entry.reference:
                if entry.env_id in reference:
                    raise ValueError(
                        f"{module.__name__}: {entry.env_id} already has the reference agent "
                        f"{reference[entry.env_id]!r}; only one agent per env may set reference=True"
                    )
                reference[entry.env_id] = entry.name
    return table, reference


RULE_BASED, REFERENCE = _collect()
"""env id -> {agent name -> factory}, and env id -> the name of its reference agent."""


def policy_names(env_id: str) -> list[str]:
    """Agent names that work on ``env_id``."""
    return ["random", *RULE_BASED.get(spec(env_id).id, {})]


def reference_agent(env_id: str) -> str:
    """The reference (classic rule-based) agent of ``env_id``, or ``random`` where it declares none."""
    return REFERENCE.get(spec(env_id).id, "random")


def load_policy(name: str, env_id: str, model: SwarmModel, seed: int | None = None) -> Policy:
    """The policy called ``name`` for ``env_id``; raises ``ValueError`` listing the valid names."""
    if name == "random":
        return RandomPolicy(model.action_space, seed)
    if ":" in name:  # a learned checkpoint, ppo:PATH / mfq:PATH / mfac:PATH
        from swarmgym_agents.learned import load_learned

        return load_learned(name, model, seed)
    table = RULE_BASED.get(spec(env_id).id, {})
    if name not in table:
        raise ValueError(f"unknown agent {name!r} for {env_id}; choose from {policy_names(env_id)}")
    return table[name](model, seed)
