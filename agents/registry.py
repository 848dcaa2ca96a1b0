"""Load any agent by name: ``random``, an env's rule-based agents, later learned checkpoints.

One table per env id maps names to factories ``(model, seed) -> Policy``; ``random`` works everywhere.
"""

from __future__ import annotations

from collections.abc import Callable

from swarmgym.core.model import SwarmModel
from swarmgym.registry import spec
from swarmgym_agents.base import Policy, RandomPolicy
from swarmgym_agents.rule_based import harvesters
from swarmgym_agents.rule_based.couzin import CouzinPolicy
from swarmgym_agents.rule_based.kuramoto import KuramotoPolicy
from swarmgym_agents.rule_based.opinion import DeffuantPolicy, DeGrootPolicy, HegselmannKrausePolicy
from swarmgym_agents.rule_based.schelling import SchellingPolicy
from swarmgym_agents.rule_based.vicsek import VicsekLocalPolicy, VicsekPolicy

Factory = Callable[[SwarmModel, "int | None"], Policy]

RULE_BASED: dict[str, dict[str, Factory]] = {
    "commons_v0": {
        "greedy": harvesters.greedy,
        "restrained": harvesters.restrained,
        "sanctioner": harvesters.sanctioner,
    },
    "consensus_v0": {
        "kuramoto": lambda model, seed: KuramotoPolicy.for_model(model),
        "hegselmann_krause": lambda model, seed: HegselmannKrausePolicy.for_model(model),
        "deffuant": lambda model, seed: DeffuantPolicy.for_model(model, seed=seed),
        "degroot": lambda model, seed: DeGrootPolicy.for_model(model),
    },
    "flocking_v0": {
        "vicsek": lambda model, seed: VicsekPolicy.for_model(model),
        "vicsek_local": lambda model, seed: VicsekLocalPolicy.for_model(model),
        "couzin": lambda model, seed: CouzinPolicy.for_model(model),
    },
    "segregation_v0": {
        "schelling": lambda model, seed: SchellingPolicy(model.config.tolerance, model.channels, seed=seed),
        "schelling_walk": lambda model, seed: SchellingPolicy(
            model.config.tolerance, model.channels, walk=True, seed=seed
        ),
    },
}

#: The reference agent of each env: the classic model's own rule (demo, normalised scores).
REFERENCE = {
    "commons_v0": "restrained",
    "consensus_v0": "kuramoto",
    "flocking_v0": "vicsek",
    "segregation_v0": "schelling",
}


def policy_names(env_id: str) -> list[str]:
    """Agent names that work on ``env_id``."""
    return ["random", *RULE_BASED.get(spec(env_id).id, {})]


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
