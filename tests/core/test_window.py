"""The window operator against a slow per-agent reference on random worlds."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmgym.core.window import (
    HEADINGS,
    WindowIndex,
    box_sums,
    lattice_neighbour_mean,
    lattice_windows,
)


def slow_window(raster, row, col, k, torus, pad, facing):
    """Cell (i, j) looks rad - i cells ahead and j - rad to the right of the heading."""
    height, width = raster.shape[:2]
    rad = k // 2
    forward = HEADINGS[facing]
    right = np.array([forward[1], -forward[0]])
    out = np.empty((k, k, *raster.shape[2:]), dtype=raster.dtype)
    for i in range(k):
        for j in range(k):
            r, c = np.array([row, col]) + (rad - i) * forward + (j - rad) * right
            if torus:
                out[i, j] = raster[r % height, c % width]
            elif 0 <= r < height and 0 <= c < width:
                out[i, j] = raster[r, c]
            else:
                out[i, j] = pad
    return out


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 3),
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    channels=st.sampled_from([None, 1, 3, 4]),
    k=st.sampled_from([1, 3, 5, 7, 11]),
    torus=st.booleans(),
    rotate=st.booleans(),
    n_fill=st.sampled_from([0, 1, 4, 30]),
    seed=st.integers(0, 2**31),
)
def test_lattice_windows_match_reference(batch, height, width, channels, k, torus, rotate, n_fill, seed):
    """Every window equals the slow reference; with ``constant``, the chosen agents get uniform fills."""
    rng = np.random.default_rng(seed)
    shape = (batch, height, width) + (() if channels is None else (channels,))
    raster = rng.integers(0, 250, size=shape).astype(np.uint8)
    n = 5
    rows = rng.integers(0, height, size=(batch, n))
    cols = rng.integers(0, width, size=(batch, n))
    facing = rng.integers(0, 4, size=(batch, n)) if rotate else None
    constant = None
    if n_fill:
        which = np.where(rng.random((batch, n)) < 0.5, rng.integers(0, n_fill, (batch, n)), -1)
        fill = rng.integers(0, 250, size=(n_fill,) + shape[3:]).astype(np.uint8)
        constant = (which, fill)
    out = lattice_windows(raster, rows, cols, k, torus, pad_value=255, facing=facing, constant=constant)
    assert out.shape == (batch, n, k, k) + shape[3:]
    for b in range(batch):
        for i in range(n):
            f = 0 if facing is None else facing[b, i]
            expected = slow_window(raster[b], rows[b, i], cols[b, i], k, torus, 255, f)
            if constant is not None and which[b, i] >= 0:
                expected = np.broadcast_to(fill[which[b, i]], expected.shape)
            np.testing.assert_array_equal(out[b, i], expected)


@settings(max_examples=40, deadline=None)
@given(
    height=st.integers(1, 9),
    width=st.integers(1, 9),
    channels=st.sampled_from([None, 3, 8]),
    k=st.sampled_from([1, 3, 5, 11]),
    torus=st.booleans(),
    rotate=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_lookup_expands_codes_while_cutting(height, width, channels, k, torus, rotate, seed):
    """With ``lookup`` every window cell is the table row of its code (the pad code too); constant
    windows are filled with table-typed rows as given."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 256, size=(2, height, width)).astype(np.uint8)
    table = rng.integers(0, 2**62, size=(256,) + (() if channels is None else (channels,))).astype(np.uint64)
    rows, cols = rng.integers(0, height, (2, 4)), rng.integers(0, width, (2, 4))
    facing = rng.integers(0, 4, (2, 4)) if rotate else None
    which = np.where(rng.random((2, 4)) < 0.3, 0, -1)
    fill = rng.integers(0, 2**62, size=(1,) + table.shape[1:]).astype(np.uint64)
    out = lattice_windows(codes, rows, cols, k, torus, pad_value=5, facing=facing, constant=(which, fill),
                          lookup=table)  # fmt: skip
    plain = lattice_windows(codes, rows, cols, k, torus, pad_value=5, facing=facing)
    expected = table[plain]
    expected[which >= 0] = fill[0]
    assert out.dtype == np.uint64
    np.testing.assert_array_equal(out, expected)


def test_float_channels_and_rotation_direction():
    raster = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    right = lattice_windows(raster, np.array([[2]]), np.array([[2]]), 3, torus=True, facing=np.array([[1]]))
    # Facing right (east): row 0 looks east, its left end is north of that.
    np.testing.assert_array_equal(right[0, 0, 0, :, 0], [8, 13, 18])


@settings(max_examples=30, deadline=None)
@given(k=st.sampled_from([1, 3, 5, 9]), torus=st.booleans(), seed=st.integers(0, 2**31))
def test_box_sums_equal_window_sums(k, torus, seed):
    rng = np.random.default_rng(seed)
    raster = rng.random((2, 6, 7, 2))
    rows, cols = np.meshgrid(np.arange(6), np.arange(7), indexing="ij")
    rows, cols = np.broadcast_to(rows.ravel(), (2, 42)), np.broadcast_to(cols.ravel(), (2, 42))
    expected = lattice_windows(raster, rows, cols, k, torus).sum(axis=(2, 3))
    np.testing.assert_allclose(box_sums(raster, k, torus).reshape(2, 42, 2), expected)


def test_neighbour_mean_excludes_self_and_empty_views():
    values = np.array([[[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]])
    rows, cols = np.array([[0, 0, 5]]), np.array([[0, 1, 5]])
    mean = lattice_neighbour_mean(values, rows, cols, (8, 8), 3, torus=False)
    np.testing.assert_allclose(mean[0], [[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])


@settings(max_examples=40, deadline=None)
@given(
    batch=st.integers(1, 3),
    size=st.integers(2, 8),
    k=st.sampled_from([1, 3, 5, 9]),
    torus=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_window_index_matches_the_operator(batch, size, k, torus, seed):
    """The cached path for static agents equals lattice_windows and box_sums on the same raster."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, size * size + 1))
    cell = np.stack([rng.permutation(size * size)[:n] for _ in range(batch)])
    values = rng.random((batch, n))
    index = WindowIndex(cell, size, k, torus)
    assert index.matches(cell)
    assert not index.matches((cell + 1) % (size * size))  # every agent moved one cell
    if n > 1:
        assert not index.matches(cell[:, ::-1])  # same cells, other agents
    raster = np.zeros((batch, size * size))
    raster[np.arange(batch)[:, None], cell] = values
    raster = raster.reshape(batch, size, size)
    rows, cols = np.divmod(cell, size)
    expected = lattice_windows(raster, rows, cols, k, torus).reshape(batch * n, k * k)
    np.testing.assert_array_equal(index.windows(values.reshape(-1)), expected)
    sums = box_sums(raster[..., None], k, torus)[..., 0][np.arange(batch)[:, None], rows, cols]
    np.testing.assert_allclose(index.box_sums(values.reshape(-1)), sums.reshape(-1), atol=1e-9)


@pytest.mark.parametrize("torus", [True, False])
def test_world_aligned_windows_read_the_given_page_and_pad_per_channel(torus):
    """``page`` picks each agent's raster page; a (C,) ``pad_value`` fills the cells beyond walls."""
    rng = np.random.default_rng(3)
    raster = rng.integers(0, 250, size=(4, 6, 5, 3)).astype(np.uint8)
    rows, cols = rng.integers(0, 6, (2, 7)), rng.integers(0, 5, (2, 7))
    page = rng.integers(0, 4, (2, 7))
    pad = np.array([251, 252, 253], dtype=np.uint8)
    out = lattice_windows(raster, rows, cols, 5, torus, pad_value=pad, page=page)
    for b in range(2):
        for i in range(7):
            expected = slow_window(raster[page[b, i]], rows[b, i], cols[b, i], 5, torus, pad, 0)
            np.testing.assert_array_equal(out[b, i], expected)


def test_lookup_must_cover_every_code_the_raster_can_hold():
    """The table is read unchecked in the kernel, so a raster with codes beyond it is refused up front."""
    import pytest

    rows = cols = np.zeros((1, 1), dtype=np.int64)
    with pytest.raises(ValueError, match="lookup needs"):
        lattice_windows(np.zeros((1, 3, 3), np.uint8), rows, cols, 3, True, lookup=np.zeros(16, np.uint64))
    with pytest.raises(ValueError, match="lookup needs"):
        lattice_windows(np.zeros((1, 3, 3), np.float32), rows, cols, 3, True, lookup=np.zeros(256, np.uint64))
    out = lattice_windows(np.full((1, 3, 3), 7, np.uint8), rows, cols, 3, True, lookup=np.arange(256.0))
    np.testing.assert_array_equal(out, 7.0)
