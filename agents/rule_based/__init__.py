"""Model-faithful reference agents, one file per model."""
