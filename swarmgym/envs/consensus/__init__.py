"""Kuramoto synchronisation and opinion consensus: the model folder behind ``swarmgym.consensus_v0``."""
