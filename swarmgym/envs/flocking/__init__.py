"""Vicsek/Couzin flocking: the model folder behind ``swarmgym.flocking_v0``."""
