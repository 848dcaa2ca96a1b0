"""Action validation shared by every adapter: refuse, never clip or coerce, and name what was wrong.

:func:`validate_actions` turns (B, N, ...) actions into the array a model steps on, or raises:

* ``TypeError`` when ``actions`` is not array-like at all (``None``, a dict, a string, a set, ...);
* ``ValueError`` for a wrong shape, and :class:`ActionError` (a ``ValueError``) for an action that is
  not valid, naming the agent, the copy and the value as the caller passed it (before any conversion).

An action is valid when it is a real number (``int`` / ``float`` or a numpy integer / floating value;
never ``bool``, complex, a string or an object array) inside the space: for ``Discrete(n, start)`` a
whole number in [start, start + n) (``2.0`` is 2; ``2.5``, NaN, inf, ``1e20`` and ``2**63`` are
refused), for a ``Box`` a finite value in [low, high] after conversion to the Box's dtype.

The fast path (a numeric ndarray) is a copy, one dtype test and one vectorised range test; the
element-by-element checks only run for nested lists and for arrays that fail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from swarmgym.core.compiled import kernel

NUMERIC_KINDS = frozenset("iuf")
"""dtype kinds of arrays accepted as actions: signed / unsigned integers and floats."""
_KIND_NAMES = {
    "b": "bool",
    "c": "complex",
    "O": "object",
    "U": "string",
    "S": "bytes",
    "V": "structured",
    "M": "datetime",
    "m": "timedelta",
}


class ActionError(ValueError):
    """An invalid action: the message names the agent, the copy and the value as passed.

    ``copy`` and ``agent`` are the (b, i) indices of the first offending action (``None`` when the
    problem is not one action's); ``reason`` is the message's explanation without the value, so an
    adapter can name the agent its own way (the dict adapter shows the value from the user's dict).
    """

    def __init__(self, message: str, copy: int | None = None, agent: int | None = None, reason: str = ""):
        super().__init__(message)
        self.copy = copy
        self.agent = agent
        self.reason = reason or message


def show(value: Any) -> str:
    """``repr`` of a value as the user wrote it: numpy scalars and arrays as plain Python values."""
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, np.ndarray):
        return repr(value.tolist())
    return repr(value)


def describe_space(space: spaces.Space) -> str:
    """A short text of the space and its bounds, e.g. ``Discrete(6) [0, 5]``."""
    if isinstance(space, spaces.Discrete):
        return f"Discrete({space.n}) [{space.start}, {space.start + space.n - 1}]"
    if isinstance(space, spaces.Box):
        return f"Box [{space.low.tolist()}, {space.high.tolist()}]"
    return repr(space)


def element_problem(value: Any, space: spaces.Space) -> str | None:
    """Why one scalar ``value`` cannot be (part of) an action of ``space``, or None if its type is fine.

    Checks the type (bool, complex, strings and non-numbers are refused), and for ``Discrete`` also
    that the value is a whole number in range (exactly, in Python arithmetic); ``Box`` bounds are
    checked later on the converted array.
    """
    expected = "an integer" if isinstance(space, spaces.Discrete) else "a real number"
    if isinstance(value, (bool, np.bool_)):
        return f"is a bool, not {expected}"
    if isinstance(value, (complex, np.complexfloating)):
        return f"is complex, not {expected}"
    if not isinstance(value, (int, float, np.integer, np.floating)):
        return f"is a {type(value).__name__}, not {expected}"
    if isinstance(space, spaces.Discrete):
        if isinstance(value, (float, np.floating)):
            if math.isnan(value):
                return "is NaN, not an integer"
            if math.isinf(value):
                return "is infinite, not an integer"
            if not float(value).is_integer():
                return "is not a whole number"
        if not space.start <= int(value) < space.start + space.n:
            return f"is outside {describe_space(space)}"
    return None


def _expected_shape(space: spaces.Space, batch_shape: tuple[int, int]) -> str:
    shape = batch_shape + space.shape
    if isinstance(space, spaces.Box) and space.shape == (1,):
        return f"{shape} (or {batch_shape})"
    return str(shape)


def _refuse(actions: np.ndarray, index: tuple[int, ...], reason: str) -> ActionError:
    """The error for the action at ``index`` (b, i, ...) of ``actions``, showing the agent's value."""
    b, i = int(index[0]), int(index[1])
    value = actions[b, i]
    return ActionError(f"action {show(value)} of agent_{i} (copy {b}) {reason}", b, i, reason)


def _scan(elements: np.ndarray, space: spaces.Space) -> None:
    """Raise an :class:`ActionError` for the first element (of an object array) that is not valid."""
    for index, element in zip(np.ndindex(elements.shape), elements.flat):
        reason = element_problem(element, space)
        if reason is not None:
            raise _refuse(elements, index, reason)


def _from_python(
    actions: Any, space: spaces.Space, batch_shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """(array, as passed) from nested lists, numbers or array-likes, refusing bools and non-numbers.

    The second array holds the values as the caller wrote them (an object array for nested lists), so
    an error shows ``2**70``, not its float conversion.
    """
    if (
        actions is None
        or isinstance(actions, (Mapping, str, bytes, set, frozenset))
        or not isinstance(actions, (list, tuple, int, float, complex, np.generic))
        and not hasattr(actions, "__array__")
    ):
        raise TypeError(
            f"actions must be an array of shape {_expected_shape(space, batch_shape)} (a numpy array or "
            f"nested lists of numbers), got {type(actions).__name__}"
        )
    if not isinstance(actions, (list, tuple)):
        array = np.asarray(actions)
        return array, array
    try:
        elements = np.array(actions, dtype=object)
    except ValueError:
        raise ValueError(
            f"actions must have shape {_expected_shape(space, batch_shape)}: got ragged nested sequences"
        ) from None
    if elements.shape[:2] == batch_shape:
        _scan(elements, space)
    array = np.array(actions)
    if array.dtype.kind == "O":  # Box: Python ints beyond int64 (Discrete refused them above)
        for index, element in zip(np.ndindex(elements.shape), elements.flat):
            try:
                float(element)
            except OverflowError:
                raise _refuse(elements, index, f"is outside the {describe_space(space)}") from None
        array = array.astype(np.float64)
    return array, elements if elements.shape == array.shape else array


def _dtype_error(actions: np.ndarray, space: spaces.Space) -> ActionError:
    """The error for a whole array of a non-numeric dtype (bool, complex, strings, object)."""
    if actions.dtype.kind == "O":
        _scan(actions, space)  # raises for the first non-number
    kind = _KIND_NAMES.get(actions.dtype.kind, str(actions.dtype))
    kind = "" if kind == str(actions.dtype) else f" ({kind})"
    expected = "integers" if isinstance(space, spaces.Discrete) else "real numbers"
    first = f" (agent_0 of copy 0: {show(actions.flat[0])})" if actions.size else ""
    message = (
        f"actions of dtype {actions.dtype}{kind} are refused: {describe_space(space)} actions must be "
        f"{expected} (an int or float array){first}"
    )
    return ActionError(message, 0, 0, message) if actions.size else ActionError(message)


@kernel
def _first_outside(flat: np.ndarray, low: int, high: int) -> int:
    """Flat index of the first integer of ``flat`` outside [low, high), or -1: one pass, no temporaries.

    (numba compares an unsigned value with a signed bound as floats: exact for the small bounds of a
    ``Discrete`` space, and an unsigned value is never below a negative ``low``.)
    """
    for i in range(flat.size):
        value = flat[i]
        if value < low or value >= high:
            return i
    return -1


@kernel
def _first_outside_box(flat: np.ndarray, low: np.ndarray, high: np.ndarray) -> int:
    """Flat index of the first NaN, infinite or out-of-[low, high] value of ``flat``, or -1.

    The bounds repeat every ``len(low)`` values (the Box's shape). One pass, no temporaries.
    """
    size = low.shape[0]
    for i in range(flat.size):
        value = flat[i]
        if not (value >= low[i % size] and value <= high[i % size] and np.isfinite(value)):
            return i
    return -1


def validate_actions(actions: Any, space: spaces.Space, batch_shape: tuple[int, int]) -> np.ndarray:
    """Return ``actions`` as an array of shape batch_shape + space.shape, or raise (see the module doc).

    Never clips or coerces: an action out of the space, NaN / inf, not a whole number (``Discrete``),
    or not a real number is refused with the first offending (copy, agent) and its value as passed.
    The result is a copy, so a model may keep it in its state.
    """
    source = actions
    if not isinstance(actions, np.ndarray):
        actions, source = _from_python(actions, space, batch_shape)
    kind = actions.dtype.kind
    if isinstance(space, spaces.Discrete):
        if actions.shape != batch_shape:
            raise ValueError(
                f"actions must have shape {batch_shape} for a Discrete space, got {actions.shape}"
            )
        low, high = space.start, space.start + space.n
        if kind in "iu":
            array = np.array(actions)
            first = _first_outside(array.reshape(-1), low, high)
            if first >= 0:
                index = np.unravel_index(first, array.shape)
                raise _refuse(source, index, f"is outside {describe_space(space)}")
            return array
        if kind == "f":
            # NaN fails every comparison; inf and 1e20 fail the range; 2.5 fails the whole-number test.
            valid = (actions >= low) & (actions < high) & (actions == np.floor(actions))
            if not valid.all():
                index = np.argwhere(~valid)[0]
                raise _refuse(source, index, element_problem(actions[tuple(index)], space) or "")
            return actions.astype(np.int64)
        raise _dtype_error(actions, space)
    if isinstance(space, spaces.Box):
        if kind not in NUMERIC_KINDS:
            raise _dtype_error(actions, space)
        if actions.dtype == space.dtype:
            array = actions.copy()
        else:
            with np.errstate(over="ignore"):  # float64 beyond float32 becomes inf, refused below
                array = actions.astype(space.dtype)
        expected = batch_shape + space.shape
        if array.shape != expected:
            if array.shape == batch_shape and space.shape == (1,):
                array = array[..., None]
            else:
                raise ValueError(f"actions must have shape {expected}, got {array.shape}")
        first = _first_outside_box(array.reshape(-1), space.low.reshape(-1), space.high.reshape(-1))
        if first >= 0:
            index = np.unravel_index(first, array.shape)
            raise _refuse(source, index, f"is NaN/inf or outside the {describe_space(space)}")
        return array
    raise TypeError(f"unsupported action space {space!r}")
