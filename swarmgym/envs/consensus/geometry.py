"""Index arithmetic of the consensus env's k×k views, built once per cell layout and reused every step.

The agents of ``consensus_v0`` do not move by default, so every per-step lattice operation (the
observation windows, the exact view sums behind rewards, metrics and ``agent_info``) reduces to
gathers and scatters with index arrays that only change when the cells do. :class:`ViewGeometry`
holds those arrays; the model rebuilds it only when ``state.cell`` changes (mobility, reset).

Every raster is flat: copy b's cell c sits at ``b * L * L + c``, and one trailing cell, always zero,
is what views read beyond walls. The window of an agent is the same k×k block that
:func:`swarmgym.core.window.lattice_windows` crops (wrapped as often as needed on a torus smaller than
the view), and :meth:`ViewGeometry.box_sums` equals :func:`swarmgym.core.window.box_sums` read at the
agents' cells (one integral image per step; only the agents' four corners are read back).
"""

from __future__ import annotations

import numpy as np


class ViewGeometry:
    """Flat index arrays of B copies × N agents on an L×L lattice with k×k views.

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
        self.corners = (top + k * stride + k, top + k, top + k * stride, top)
        count = self.box_sums(np.ones(batch * n_agents)).reshape(cell.shape)
        self.count = count
        others = count - 1.0
        self.inv_others = np.divide(1.0, others, out=np.zeros_like(others), where=others > 0)

    def matches(self, cell: np.ndarray) -> bool:
        """True when ``cell`` is the layout this geometry was built for."""
        return cell.shape == self.shape and cell.tobytes() == self.key

    def box_sums(self, values: np.ndarray) -> np.ndarray:
        """Sums of (B*N, ...) per-agent ``values`` over each agent's view, itself included: (B*N, ...).

        Exact and O(L^2) whatever k (an integral image). float64 or complex128 in, the same dtype out.
        """
        raster = np.zeros((self.n_cells, *values.shape[1:]), dtype=values.dtype)
        raster[self.flat] = values
        padded = raster[self.pad_index]
        integral = np.zeros((self.batch, self.side + 1, self.side + 1, *values.shape[1:]), dtype=values.dtype)
        np.cumsum(np.cumsum(padded, axis=1), axis=2, out=integral[:, 1:, 1:])
        integral = integral.reshape(-1, *values.shape[1:])
        low_right, up_right, low_left, up_left = (integral[c] for c in self.corners)
        return low_right - up_right - low_left + up_left

    def windows(self, records: np.ndarray) -> np.ndarray:
        """(B*N, k*k) per-cell records of each agent's view from (B*N,) per-agent ``records``.

        ``records`` has any fixed-size dtype (e.g. a void dtype holding C float32 channels); cells
        without an agent read zero bytes.
        """
        raster = np.zeros(self.n_cells, dtype=records.dtype)
        raster[self.flat] = records
        return np.take(raster, self.window, mode="clip")  # indices are valid: skip the bounds check
