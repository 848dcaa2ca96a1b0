"""Validation helpers for the frozen config dataclasses: every error names the field and its range."""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable
from typing import Any

import numpy as np


def check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    """``value`` must be an integer in [low, high] (no upper bound when ``high`` is None)."""
    upper = "inf" if high is None else high
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer in [{low}, {upper}], got {value!r}")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name} must be in [{low}, {upper}], got {value!r}")


def check_float(
    name: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> None:
    """``value`` must be a finite real number in the interval [low, high] (ends open when asked)."""
    left, right = "(" if open_low else "[", ")" if open_high else "]"
    interval = f"{left}{low}, {high}{right}"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number in {interval}, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    too_low = value <= low if open_low else value < low
    too_high = value >= high if open_high else value > high
    if too_low or too_high:
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """``value`` must be one of ``choices``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_odd(name: str, value: Any, low: int = 1) -> None:
    """``value`` must be an odd integer >= low (window sides)."""
    check_int(name, value, low)
    if value % 2 == 0:
        raise ValueError(f"{name} must be an odd integer >= {low}, got {value!r}")


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """Turn ``["k=v", ...]`` command-line overrides into a dict, values read as Python literals.

    ``size=20`` -> 20, ``torus=False`` -> False, ``group_fractions=(0.3,0.7)`` -> a tuple; anything
    that is not a literal stays a string (``other_channels=single``).
    """
    import ast

    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise ValueError(f"config overrides look like key=value, got {item!r}")
        try:
            overrides[key.strip()] = ast.literal_eval(text.strip())
        except (ValueError, SyntaxError):
            overrides[key.strip()] = text.strip()
    return overrides


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1, else a usage error naming the value."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value
