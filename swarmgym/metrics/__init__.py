"""Cross-env pure metrics: social outcomes (gini, Perolat U/E/S/P) and statistics (bootstrap CIs, IQM)."""

from swarmgym.metrics.social import efficiency, equality, gini, peace, social_outcomes, sustainability

__all__ = ["gini", "equality", "efficiency", "sustainability", "peace", "social_outcomes"]
