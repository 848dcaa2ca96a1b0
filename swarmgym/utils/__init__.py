"""Tools for people writing or checking envs: :func:`check_env` tests a model against the contract."""

from swarmgym.utils.env_checker import CHECKS, SKIPPABLE, EnvCheckError, EnvCheckReport, check_env

__all__ = ["check_env", "EnvCheckError", "EnvCheckReport", "CHECKS", "SKIPPABLE"]
