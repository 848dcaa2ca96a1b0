"""Validation helpers for the frozen config dataclasses: every error names the field and its range.

The rules every env config follows (``docs/reliability.md``, "Configs"):

* **Exact types.** Integers are ``int`` (or a numpy integer), never ``bool`` or ``5.0``; reals are finite
  ``int`` / ``float`` (not ``bool``, complex, strings); a bool field takes ``True`` / ``False`` only
  (:func:`check_bool`); a sequence field takes a list or tuple only (:func:`check_sequence`).
* **Memory cap.** Each config estimates the bytes one copy allocates at construction and reset
  (observations N·k²·C·itemsize, grids, neighbour cell lists, tables) with :func:`check_memory`, and is
  refused above :func:`memory_limit` (4 GiB unless the ``SWARMGYM_MEMORY_LIMIT_GIB`` environment
  variable says otherwise), the message naming the fields that drive the estimate.
* **float32 range.** Rewards, observations, state and metrics are float32: reward weights are bounded so
  the largest possible per-step reward magnitude is at most :data:`REWARD_LIMIT`
  (:func:`check_reward_scale`), and each env bounds the reals that feed its state.
* **Cross-field constraints name the field the user set** (:func:`check_related`): when a field left at
  its default conflicts with one the user set, the message leads with the user's field and says which
  other field to change.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

GIB = 2**30
"""Bytes in one GiB."""
DEFAULT_MEMORY_LIMIT = 4 * GIB
"""The memory cap of one copy of an env (bytes) unless ``SWARMGYM_MEMORY_LIMIT_GIB`` is set."""
MEMORY_LIMIT_VARIABLE = "SWARMGYM_MEMORY_LIMIT_GIB"
"""Environment variable overriding the memory cap, in GiB (a positive number)."""
REWARD_LIMIT = 1e12
"""Bound on the largest possible per-step reward magnitude of any config: far inside float32 (max
3.4e38), so returns summed over many steps and squared rewards (reward normalisation) stay finite."""


def check_int(name: str, value: Any, low: int, high: int | None = None) -> None:
    """``value`` must be an integer in [low, high] (no upper bound when ``high`` is None)."""
    upper = "inf" if high is None else high
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number in {interval}, got {value!r}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond the float range
        finite = False
    if not finite:
        raise ValueError(f"{name} must be a finite number in {interval}, got {value!r}")
    too_low = value <= low if open_low else value < low
    too_high = value >= high if open_high else value > high
    if too_low or too_high:
        raise ValueError(f"{name} must be in {interval}, got {value!r}")


def check_choice(name: str, value: Any, choices: Iterable[Any]) -> None:
    """``value`` must be one of ``choices``."""
    choices = tuple(choices)
    if all(isinstance(c, str) for c in choices) and not isinstance(value, str):
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_bool(name: str, value: Any) -> None:
    """``value`` must be ``True`` or ``False`` (a numpy bool too), never 0, 1.0 or a complex number."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def check_sequence(name: str, value: Any, min_length: int = 1) -> tuple:
    """``value`` must be a list, tuple or 1-D array of at least ``min_length`` items; returned as a tuple.

    A scalar, a string, a set or a mapping where a sequence is expected is a ValueError naming the field.
    """
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list or tuple of at least {min_length} numbers, got {value!r}")
    if len(value) < min_length:
        raise ValueError(f"{name} must hold at least {min_length} items, got {value!r}")
    return tuple(value)


def is_default(config: Any, name: str) -> bool:
    """Whether field ``name`` of the dataclass ``config`` still holds its declared default.

    A value equal to the default counts as the default (the config cannot tell the two apart): such
    fields are the ones derived defaults may adapt and cross-field messages do not blame.
    """
    field = {f.name: f for f in dataclasses.fields(config)}[name]
    value = getattr(config, name)
    try:
        return bool(type(value) is type(field.default) and value == field.default)
    except (TypeError, ValueError):
        return False


def check_related(config: Any, ok: bool, field: str, others: Sequence[str], rule: str) -> None:
    """Raise a ValueError for a cross-field constraint ``rule`` unless ``ok``, naming the user's field.

    ``field`` is the one the rule constrains; ``others`` the fields it depends on. When ``field`` is
    at its default and some of ``others`` are not, the user set those: the message leads with them
    and says to change them or to set ``field`` as well. Otherwise it leads with ``field``.
    """
    if ok:
        return
    set_others = [n for n in others if not is_default(config, n)]
    if is_default(config, field) and set_others:
        lead = ", ".join(f"{n}={getattr(config, n)!r}" for n in set_others)
        raise ValueError(
            f"{lead} conflicts with the default {field}={getattr(config, field)!r}: {rule}; "
            f"change {' / '.join(set_others)} or set {field} too"
        )
    hint = f" (or change {' / '.join(others)})" if others else ""
    raise ValueError(f"{field}={getattr(config, field)!r} is not allowed: {rule}{hint}")


def memory_limit() -> float:
    """The memory cap of one env copy in bytes: ``SWARMGYM_MEMORY_LIMIT_GIB`` GiB, else 4 GiB."""
    text = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if text is None or not text.strip():
        return float(DEFAULT_MEMORY_LIMIT)
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{MEMORY_LIMIT_VARIABLE} must be a positive number of GiB, got {text!r}")
    return value * GIB


def _bytes(value: float) -> str:
    """``value`` bytes in readable units."""
    for unit, size in (("TiB", 2**40), ("GiB", GIB), ("MiB", 2**20), ("KiB", 2**10)):
        if value >= size:
            return f"{value / size:.3g} {unit}"
    return f"{value:.0f} B"


def memory_estimate(terms: Iterable[tuple[str, Any, Sequence[str]]]) -> float:
    """Total bytes of ``(what, bytes, fields)`` terms, as a float (inf when beyond the float range)."""
    total = 0.0
    for _, size, _ in terms:
        try:
            total += float(size)
        except OverflowError:
            return math.inf
    return total


def check_memory(owner: str, terms: Sequence[tuple[str, Any, Sequence[str]]]) -> None:
    """Refuse a config whose estimated memory for one copy exceeds :func:`memory_limit`.

    ``terms`` are ``(what, bytes, fields)``: what one copy allocates at construction or reset (and per
    step), the estimated bytes (int or float; products of validated fields), and the config fields
    that drive it. The message lists the largest terms with their fields.
    """
    limit = memory_limit()
    total = memory_estimate(terms)
    if total <= limit:
        return
    sized = []
    for what, size, fields in terms:
        try:
            sized.append((float(size), what, fields))
        except OverflowError:
            sized.append((math.inf, what, fields))
    sized.sort(key=lambda item: -item[0])
    big = [item for item in sized if item[0] >= 0.1 * total or item is sized[0]]
    parts = "; ".join(
        f"{what} {_bytes(size)} ({', '.join(dict.fromkeys(fields))})" for size, what, fields in big
    )
    names = list(dict.fromkeys(name for _, _, fields in big for name in fields))
    raise ValueError(
        f"{owner}: this config needs about {_bytes(total)} for one copy, above the memory cap of "
        f"{_bytes(limit)}: {parts}. Lower {' / '.join(names)} (or raise the cap with "
        f"{MEMORY_LIMIT_VARIABLE})"
    )


def check_reward_scale(
    owner: str, terms: Sequence[tuple[str, float, float]], related: Sequence[str] = ()
) -> None:
    """Refuse reward weights whose largest possible per-step reward magnitude exceeds :data:`REWARD_LIMIT`.

    ``terms`` are ``(field, weight, multiplier)``: the reward is bounded by the sum of
    ``|weight| * multiplier`` (the multiplier is the largest magnitude of what the weight scales, e.g.
    8 Moore neighbours). Each weight must already be a finite real. ``related`` names further fields
    the multipliers depend on (named in the message too).
    """
    total = sum(abs(float(weight)) * float(multiplier) for _, weight, multiplier in terms)
    if total <= REWARD_LIMIT:
        return
    named = [name for name, weight, multiplier in terms if weight and multiplier] + list(related)
    formula = " + ".join(f"|{name}| * {multiplier:g}" for name, weight, multiplier in terms if weight)
    raise ValueError(
        f"{owner}: the largest possible per-step reward {formula} = {total:.3g} exceeds {REWARD_LIMIT:g} "
        f"(rewards are float32): lower {' / '.join(named)}"
    )


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
