"""THE egocentric k×k window operator, shared by every env.

Two entry points, one output convention: (B, N, k, k[, C]), channels last, centred on each agent.

- :func:`lattice_windows` crops per-cell rasters (lattice envs). The raster is padded once (wrapped on
  a torus, filled with ``pad_value`` outside walls) and, for rotated windows, turned into four
  quarter-turned pages, so every window row is a contiguous run of cells; one compiled kernel then
  copies every agent's k rows (cells as opaque words, all channels at once) and writes the constant
  windows (e.g. of agents out of play) directly: no per-agent Python, no index arrays.
- Continuous agents are binned into the same k×k grid of cells by flocking's own compiled kernels:
  exactly, pair by pair in the agent's frame, or via a world grid of cells cropped around each agent
  (``view_binning="grid"``).

Window orientation: row 0 is "ahead" (up in world-aligned lattice windows, the facing direction when
rotated), column 0 is the agent's left.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from swarmgym.core.compiled import kernel
from swarmgym.core.lattice import pad_lattice

#: Lattice headings as (d_row, d_col) unit steps: 0 = up (north), 1 = right, 2 = down, 3 = left.
HEADINGS = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]], dtype=np.int64)


def check_view_size(k: int, field: str = "view_size") -> None:
    """Raise ``ValueError`` naming ``field`` unless ``k`` is an odd integer >= 1."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1 or k % 2 == 0:
        raise ValueError(f"{field} must be an odd integer >= 1, got {k!r}")


def lattice_windows(
    raster: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    k: int,
    torus: bool,
    pad_value: float | np.ndarray = 0,
    facing: np.ndarray | None = None,
    page: np.ndarray | None = None,
    constant: tuple[np.ndarray, np.ndarray] | None = None,
    lookup: np.ndarray | None = None,
) -> np.ndarray:
    """Crop a k×k window around every agent from a per-cell raster.

    The raster is padded once (wrapped on a torus, ``pad_value`` beyond walls) and one compiled kernel
    copies each window's k rows (contiguous runs of k cells, copied as opaque words whatever the dtype
    and channels) or writes its constant fill. World-aligned windows are padded inside that kernel (one
    compiled call: the fixed cost of small worlds); rotated ones from four quarter-turned pages built
    in a reused scratch buffer by numpy copies (a compiled per-cell rotation was slower at large N).

    Args:
        raster: (P, H, W) or (P, H, W, C) per-cell values; P pages, normally one per copy (P = B).
        rows, cols: (B, N) integer cell coordinates of the agents.
        k: odd window side.
        torus: wrap around the edges; otherwise cells outside read ``pad_value``.
        pad_value: scalar, or (C,) per channel, for cells outside a walled world.
        facing: optional (B, N) heading index into :data:`HEADINGS`; the window is rotated so the
            agent's heading is row 0 ("ahead"). ``None`` gives world-aligned windows (up = row 0).
        page: optional (B, N) raster page each agent reads (e.g. a copy's raster as seen by the
            agent's group); default: page b for the agents of copy b.
        constant: optional ``(which, fill)``: agents with ``which[b, n] = t >= 0`` get a window whose
            every cell is ``fill[t]`` (fill is (T,) or (T, C)) instead of their crop, e.g. the blank
            view of an agent out of play.
        lookup: optional (V,) or (V, C) table: the raster holds integer codes below V (e.g. bits of
            several channels) and each window cell is ``lookup[code]``, expanded while it is copied
            (the raster stays small). ``pad_value`` is then a code; ``fill`` rows are table rows.

    Returns:
        (B, N, k, k) or (B, N, k, k, C) array, same dtype as ``raster`` (as ``lookup`` if given).
    """
    check_view_size(k, "k")
    pages, height, width = raster.shape[:3]
    channels = raster.shape[3:]
    batch, n_agents = rows.shape
    rad = k // 2
    if lookup is not None:
        channels = lookup.shape[1:]
        codes = np.iinfo(raster.dtype) if raster.dtype.kind in "iu" else None
        # The kernel reads lookup[code] unchecked: the table must cover every value the codes can hold.
        if codes is None or codes.min < 0 or codes.max >= len(lookup):
            raise ValueError(
                f"lookup needs an unsigned integer raster whose every value indexes it: {len(lookup)} rows "
                f"for a {raster.dtype} raster"
            )
    dtype = raster.dtype if lookup is None else lookup.dtype
    itemsize = dtype.itemsize * math.prod(channels)
    word = _WORDS[itemsize & -itemsize] if itemsize % 8 else _WORDS[8]  # the largest that divides it
    n_words = itemsize // word.itemsize
    if constant is None:
        which, fill = _NO_AGENTS, _NO_TABLES[word]
    else:
        which, fill = _as_index(constant[0]), np.array(constant[1], dtype=dtype)  # a writable copy
        fill = fill.view(word).reshape(len(fill), n_words)
    if lookup is None:
        table = _NO_TABLES[word]
    else:
        table = np.ascontiguousarray(lookup).view(word).reshape(len(lookup), n_words)
    out = np.empty((batch, n_agents, k, k, *channels), dtype=dtype)
    if facing is None:
        # World-aligned: padding and cutting in one compiled call (the padding's slice copies and
        # their Python overhead dominated small worlds).
        cells = raster.reshape(-1) if lookup is not None else raster.reshape(-1).view(word)
        if torus:
            pad = cells[:0]  # never read
        elif lookup is None:
            pad = _pad_words(pad_value, dtype, channels, word)
        else:
            pad = np.full(1, pad_value, dtype=raster.dtype)
        _cut_aligned(
            cells,
            table,
            pages,
            height,
            width,
            n_words,
            torus,
            pad,
            _as_index(rows),
            _as_index(cols),
            _NO_AGENTS if page is None else _as_index(page),
            which,
            fill,
            k,
            out,
        )
        return out
    # Turn the padded pages instead of the windows: page (t, p) holds np.rot90 of page p by t
    # counter-clockwise quarter turns (which brings heading t to the top), in one square buffer.
    side = max(height, width) + 2 * rad
    turned = _scratch((4 * pages, side, side, *raster.shape[3:]), raster.dtype)
    padded = turned[:pages, : height + 2 * rad, : width + 2 * rad]
    pad_lattice(raster, rad, torus, pad_value, out=padded)
    # np.rot90(padded, quarter, axes=(1, 2)) as plain views (rot90's own overhead shows at small N).
    quarters = (padded[:, :, ::-1].swapaxes(1, 2), padded[:, ::-1, ::-1], padded[:, ::-1].swapaxes(1, 2))
    for quarter, rotated in enumerate(quarters, start=1):
        turned[quarter * pages : (quarter + 1) * pages, : rotated.shape[1], : rotated.shape[2]] = rotated
    cells = turned.reshape(-1) if lookup is not None else turned.reshape(-1).view(word)
    _cut_windows(
        cells,
        table,
        np.array([pages, height, width, side, n_words]),
        _as_index(rows),
        _as_index(cols),
        _as_index(facing),
        _NO_AGENTS if page is None else _as_index(page),
        which,
        fill,
        k,
        out.reshape(-1).view(word),
    )
    return out


#: Unsigned word dtypes by size: cells are copied as whole words.
_WORDS = {size: np.dtype(f"u{size}") for size in (1, 2, 4, 8)}
#: Stand for an absent ``lookup`` of :func:`_cut_windows`, per word type (0 rows, never read).
_NO_TABLES = {np.dtype(f"u{size}"): np.zeros((0, 1), dtype=f"u{size}") for size in (1, 2, 4, 8)}
#: Stands for an absent (B, N) index argument of :func:`_cut_windows` (a 0×0 array, never read). Left
#: writable, like every argument, so the kernel compiles once per word size, not per flag combination.
_NO_AGENTS = np.zeros((0, 0), dtype=np.int64)
_INT64 = np.dtype(np.int64)


def _as_index(array: np.ndarray) -> np.ndarray:
    """``array`` as writable C-ordered int64 (B, N) indices (one compiled signature for all).

    Checked by its flags first: ``np.require`` alone costs microseconds per call at small N.
    """
    flags = array.flags
    if array.dtype is _INT64 and flags.c_contiguous and flags.writeable:  # identity: a builtin dtype
        return array
    return np.array(array, dtype=np.int64, order="C")


def _pad_words(pad_value: float | np.ndarray, dtype: np.dtype, channels: tuple[int, ...], word: np.dtype):
    """The (n_words,) words of one cell holding ``pad_value`` (scalar or per channel)."""
    if not (isinstance(pad_value, np.ndarray) and pad_value.dtype == dtype and pad_value.shape == channels):
        pad_value = np.full(channels, pad_value, dtype=dtype)
    return np.array(pad_value).reshape(-1).view(word)  # a writable copy: one compiled signature


@kernel
def _cut_aligned(
    raster, table, pages, height, width, words, torus, pad, rows, cols, page, which, fill, k, out
):
    """World-aligned windows: pad the flat (P, H, W) ``raster`` into ``turned``, then :func:`_cut_windows`.

    ``out`` is the (B, N, k, k[, C]) result; ``table`` has the word dtype even when empty. A cell
    takes one element of ``raster`` (a code) with a ``table``, else ``words`` words, and ``pad``
    is one cell (unread on a torus). Page p of ``turned`` (side × side, as :func:`_cut_windows` reads
    it; the top-left (H + 2 rad) × (W + 2 rad) used) is page p of the raster with rad cells around it,
    wrapped on a torus (modulo, so worlds narrower than the window tile) or ``pad`` beyond walls; each
    padded row is one contiguous copy of the raster's row plus its 2 rad edge cells.
    """
    rad = k // 2
    side = max(height, width) + 2 * rad
    shape = np.array((pages, height, width, side, words))
    cell = np.uint64(1) if table.shape[0] > 0 else np.uint64(words)
    turned = np.empty(np.uint64(pages * side * side) * cell, dtype=raster.dtype)
    row_elements = np.uint64(width) * cell
    edge = np.uint64(rad) * cell
    for p in range(pages):
        for y in range(height + 2 * rad):
            target = np.uint64((p * side + y) * side) * cell
            r = y - rad
            if torus:
                r %= height
            elif r < 0 or r >= height:
                for x in range(np.uint64(width + 2 * rad)):
                    for i in range(cell):
                        turned[target + x * cell + i] = pad[i]
                continue
            source = np.uint64((p * height + r) * width) * cell
            middle = target + edge
            right = middle + row_elements
            for i in range(row_elements):
                turned[middle + i] = raster[source + i]
            if torus and rad <= width:  # the row's last and first rad cells, as two runs
                last = source + row_elements - edge
                for i in range(edge):
                    turned[target + i] = raster[last + i]
                for i in range(edge):
                    turned[right + i] = raster[source + i]
            elif torus:  # a world narrower than rad: wrap cell by cell
                for x in range(rad):
                    left_from = source + np.uint64((x - rad) % width) * cell
                    right_from = source + np.uint64(x % width) * cell
                    for i in range(cell):
                        turned[target + np.uint64(x) * cell + i] = raster[left_from + i]
                        turned[right + np.uint64(x) * cell + i] = raster[right_from + i]
            else:
                for x in range(np.uint64(rad)):
                    for i in range(cell):
                        turned[target + x * cell + i] = pad[i]
                        turned[right + x * cell + i] = pad[i]
    words_out = out.reshape(-1).view(table.dtype)  # cells as opaque words, as ``table`` holds them
    _cut_windows(turned, table, shape, rows, cols, which[:0], page, which, fill, k, words_out)


@kernel
def _cut_windows(turned, table, shape, rows, cols, facing, page, which, fill, k, out):
    """Copy every agent's k×k window out of the turned pages (flat arrays of cells of ``n_words`` words).

    With a ``table`` of rows (codes -> ``n_words`` words), ``turned`` holds one code per cell and each
    copied cell is its table row. ``shape`` is (P, H, W, side, n_words). The window of an agent at
    (r, c) with heading t starts at (r, c), (W-1-c, r), (H-1-r, W-1-c) or (c, H-1-r) of its page in
    turn t, and its rows are runs of k cells ``side`` cells apart. ``facing`` / ``page`` / ``which``
    are (B, N), or 0×0 when absent (heading 0, page b, no constant window). Unsigned indices: the row
    copies compile to vector moves.
    """
    pages, height, width, side = shape[0], shape[1], shape[2], shape[3]
    words = np.uint64(shape[4])
    rotate, paged, fixed = facing.shape[0] > 0, page.shape[0] > 0, which.shape[0] > 0
    expand = table.shape[0] > 0
    kk = np.uint64(k)
    row_words = kk * words
    cell_words = np.uint64(1) if expand else words  # what one cell takes in ``turned``
    stride = np.uint64(side) * cell_words
    n_agents = rows.shape[1]
    for b in range(rows.shape[0]):
        for a in range(n_agents):
            base = np.uint64(b * n_agents + a) * kk * row_words
            if fixed and which[b, a] >= 0:
                t = which[b, a]
                for cell in range(kk * kk):
                    for w in range(words):
                        out[base + cell * words + w] = fill[t, w]
                continue
            r, c = rows[b, a], cols[b, a]
            heading = facing[b, a] if rotate else 0
            if heading == 0:
                top, left = r, c
            elif heading == 1:
                top, left = width - 1 - c, r
            elif heading == 2:
                top, left = height - 1 - r, width - 1 - c
            else:
                top, left = c, height - 1 - r
            p = page[b, a] if paged else b
            first = (heading * pages + p) * side * side + top * side + left
            source = np.uint64(first) * cell_words
            for _ in range(kk):
                if expand and words == 1:
                    for j in range(kk):
                        out[base + j] = table[turned[source + j], 0]
                elif expand:
                    for j in range(kk):
                        code = turned[source + j]
                        for w in range(words):
                            out[base + j * words + w] = table[code, w]
                else:
                    for j in range(row_words):
                        out[base + j] = turned[source + j]
                base += row_words
                source += stride


@kernel
def _integral_sums(values, flat, pad_index, corners, n_cells, out):
    """:meth:`WindowIndex.box_sums`: values laid on the raster, padded, an integral image, 4 corners.

    The same float operations in the same order as numpy's ``cumsum`` along rows then columns (a
    running sum that starts from the first element itself) and ``lr - ur - ll + ul``, so bit-identical.
    """
    raster = np.zeros(n_cells, dtype=values.dtype)
    for i in range(flat.shape[0]):
        raster[flat[i]] = values[i]
    batch, side = pad_index.shape[0], pad_index.shape[1]
    integral = np.zeros((batch, side + 1, side + 1), dtype=values.dtype)
    column = np.empty(side, dtype=values.dtype)  # the running sums down each column
    for b in range(batch):
        for y in range(side):
            for x in range(side):
                cell = raster[pad_index[b, y, x]]
                column[x] = cell if y == 0 else column[x] + cell
            integral[b, y + 1, 1] = column[0]
            for x in range(1, side):
                integral[b, y + 1, x + 1] = integral[b, y + 1, x] + column[x]
    flat_integral = integral.reshape(-1)
    for i in range(out.shape[0]):
        total = flat_integral[corners[0, i]] - flat_integral[corners[1, i]]
        total -= flat_integral[corners[2, i]]
        total += flat_integral[corners[3, i]]
        out[i] = total


_SCRATCH = threading.local()


def _scratch(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """An uninitialised array reusing this thread's buffer: no fresh pages (and page faults) per step.

    Only for temporaries that never leave the function that asked (the gather copies out of them),
    and never two at once. Memory, not data: nothing read from it survives a call, so no state is
    carried between calls; it is per thread (``threading.local``), so concurrent envs never share
    it, and it is module-level, so models stay picklable. The buffer keeps the largest size asked
    for: the working memory of the biggest env stepped here.
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    buffer = getattr(_SCRATCH, "buffer", None)
    if buffer is None or len(buffer) < nbytes:
        buffer = _SCRATCH.buffer = np.empty(max(nbytes, 1), dtype=np.uint8)
    return np.ndarray(shape, dtype, buffer)  # the first nbytes of the buffer, no slicing


def box_sums(raster: np.ndarray, k: int, torus: bool) -> np.ndarray:
    """Sum of a (B, H, W, C) raster over the k×k window centred on every cell, via an integral image.

    O(H W C) whatever k: the cheap way to aggregate per-cell values (e.g. one-hot actions) over every
    agent's view. Cells beyond walls contribute 0. Returns (B, H, W, C) float64.
    """
    check_view_size(k, "k")
    rad = k // 2
    batch, height, width = raster.shape[:3]
    padded = pad_lattice(raster, rad, torus)
    integral = np.zeros((batch, padded.shape[1] + 1, padded.shape[2] + 1, raster.shape[3]))
    np.cumsum(np.cumsum(padded, axis=1, dtype=np.float64), axis=2, out=integral[:, 1:, 1:])
    return (
        integral[:, k : k + height, k : k + width]
        - integral[:, :height, k : k + width]
        - integral[:, k : k + height, :width]
        + integral[:, :height, :width]
    )


def lattice_neighbour_mean(
    values: np.ndarray, rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int], k: int, torus: bool
) -> np.ndarray:
    """Mean of per-agent ``values`` (B, N, C) over the *other* agents in each agent's k×k view.

    Agents must occupy distinct cells. An agent with nobody in view gets zeros. Used for the mean
    action of mean-field agents (Yang et al. 2018), computed from the same window as the observation.
    """
    batch, n_agents, n_channels = values.shape
    height, width = shape
    raster = np.zeros((batch, height, width, n_channels + 1))
    copy = np.arange(batch)[:, None]
    raster[copy, rows, cols, :n_channels] = values
    raster[copy, rows, cols, n_channels] = 1.0
    sums = box_sums(raster, k, torus)[copy, rows, cols]
    others = sums[..., :n_channels] - values
    count = sums[..., n_channels:] - 1.0
    return np.divide(others, count, out=np.zeros_like(others), where=count > 0).astype(np.float32)


def share(derived: object | None, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """State fields holding one object derived from a whole batch of B copies: ``(refs, copy)``.

    ``refs`` (B,) object array with ``derived`` in every slot and ``copy`` (B,) int64 = 0 .. B-1, the
    slot each copy had when ``derived`` was built. Both have the leading batch axis, so
    :meth:`swarmgym.core.model.State.put` and ``take`` carry them along; :func:`shared` then tells
    whether they still describe the whole batch in order. Objects stored this way must not change
    after they are stored (read-only arrays, or properties computed once from them). ``share(None, B)``
    stores nothing (:func:`shared` gives ``None``).
    """
    refs = np.empty(batch, dtype=object)
    refs.fill(derived)
    return refs, np.arange(batch, dtype=np.int64)


def shared(refs: np.ndarray, copy: np.ndarray) -> object | None:
    """The object :func:`share` stored, or ``None`` if ``put`` / ``take`` mixed or reordered its copies.

    O(B): every slot holds the same object, built for exactly these B copies in this order.
    """
    batch = refs.shape[0]
    derived = refs[0] if batch else None
    if derived is None or derived.batch != batch or copy.tolist() != list(range(batch)):  # 10x array_equal
        return None
    return derived if all(ref is derived for ref in refs.tolist()) else None


class WindowIndex:
    """The window operator's cached path for agents that stay put: flat index arrays of their views.

    When the agents' cells do not change between steps (e.g. ``consensus_v0`` without mobility),
    :func:`lattice_windows` and :func:`box_sums` reduce to gathers with index arrays that can be built
    once per cell layout; :meth:`windows` equals :func:`lattice_windows` (world-aligned) of a raster
    holding each agent's record at its cell, and :meth:`box_sums` equals :func:`box_sums` read at the
    agents' cells (one integral image; only the agents' four corners are read back). Rebuild it when
    :meth:`matches` is False. Rasters are flat: copy b's cell c is ``b * L * L + c``, plus one trailing
    cell, always zero, that views read beyond walls.

    Flat index arrays of B copies × N agents on an L×L lattice with k×k views:

    ``flat`` (B*N,) raster index of each agent; ``window`` (B*N, k*k) raster indices of each agent's
    view, row-major (row 0 is up); ``count`` (B, N) float64 cells of the view holding an agent (the
    agent included, with multiplicity on a torus smaller than the view); ``inv_others`` (B, N)
    ``1 / (count - 1)``, 0 where the agent has nobody else in view.
    """

    def __init__(self, cell: np.ndarray, size: int, k: int, torus: bool):
        batch, n_agents = cell.shape
        self.key = cell.tobytes()
        self.shape = cell.shape
        self.batch, self.n_agents = batch, n_agents
        rad = k // 2
        area = size * size
        self.n_cells = batch * area + 1
        empty = batch * area
        base = np.repeat(np.arange(batch, dtype=np.intp) * area, n_agents)
        flat_cell = cell.reshape(-1).astype(np.intp)
        self.flat = base + flat_cell
        row, col = np.divmod(flat_cell, size)
        offsets = np.arange(-rad, rad + 1)
        rows, cols = row[:, None] + offsets, col[:, None] + offsets
        if torus:
            rows %= size
            cols %= size
        window = (base[:, None] + rows * size)[:, :, None] + cols[:, None, :]
        if not torus:
            outside = ((rows < 0) | (rows >= size))[:, :, None] | ((cols < 0) | (cols >= size))[:, None, :]
            window[outside] = empty
        self.window = window.reshape(batch * n_agents, k * k)

        # Integral image over the raster padded by rad: padded cell (i, j) is lattice cell (i - rad, j - rad).
        side = size + 2 * rad
        pad = np.arange(side) - rad
        pad_ok = np.ones(side, dtype=bool) if torus else (pad >= 0) & (pad < size)
        pad %= size
        pad_index = (np.arange(batch)[:, None, None] * area + pad[:, None] * size) + pad[None, :]
        pad_index[:, ~(pad_ok[:, None] & pad_ok[None, :])] = empty
        self.pad_index = pad_index
        self.side = side
        # The view of the agent at (r, c) covers padded rows r .. r + k - 1 and columns c .. c + k - 1.
        stride = side + 1
        top = (np.arange(batch * n_agents) // n_agents) * stride * stride + row * stride + col
        self.corners = np.stack((top + k * stride + k, top + k, top + k * stride, top))
        count = self.box_sums(np.ones(batch * n_agents)).reshape(cell.shape)
        self.count = count
        others = count - 1.0
        self.inv_others = np.divide(1.0, others, out=np.zeros_like(others), where=others > 0)
        for array in (self.flat, self.window, self.pad_index, *self.corners, self.count, self.inv_others):
            array.flags.writeable = False  # shared by every hook (and thread) reading this layout

    def matches(self, cell: np.ndarray) -> bool:
        """True when ``cell`` is the layout this geometry was built for."""
        return cell.shape == self.shape and cell.tobytes() == self.key

    def box_sums(self, values: np.ndarray) -> np.ndarray:
        """Sums of (B*N,) per-agent ``values`` over each agent's view, itself included: (B*N,).

        Exact and O(L^2) whatever k (an integral image, in one compiled pass). float64 or complex128
        in, the same dtype out.
        """
        out = np.empty_like(values)
        _integral_sums(values, self.flat, self.pad_index, self.corners, self.n_cells, out)
        return out

    def windows(self, records: np.ndarray) -> np.ndarray:
        """(B*N, k*k) per-cell records of each agent's view from (B*N,) per-agent ``records``.

        ``records`` has any fixed-size dtype (e.g. a void dtype holding C float32 channels); cells
        without an agent read zero bytes.
        """
        raster = np.zeros(self.n_cells, dtype=records.dtype)
        raster[self.flat] = records
        return raster.take(self.window, mode="clip")  # indices are valid: skip the bounds check
