"""Schelling segregation: the model folder behind ``swarmgym.segregation_v0``."""
