"""Common-pool resource appropriation (commons harvest): the model folder behind ``swarmgym.commons_v0``."""
