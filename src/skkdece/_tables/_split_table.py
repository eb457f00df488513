"""Several kernel tables over disjoint sets of rows, seen as one."""

import numpy as np

from ._blocks import RowBlocks


class SplitTable(RowBlocks):
    """Several tables over disjoint sets of rows, seen as one.

    Parameters
    ----------
    parts : list of (table, rows)
        Each table and the caller's rows it holds (its row ``r`` is the
        caller's ``rows[r]``).
    n_samples : int
        Rows in all.
    """

    def __init__(self, parts, n_samples):
        self.parts = [(t, np.asarray(r, dtype=np.intp)) for t, r in parts]
        self._n_samples = int(n_samples)
        orders, offsets, self._block_part = [], [0], []
        for i, (table, rows) in enumerate(self.parts):
            inner = (
                np.arange(rows.shape[0]) if table.row_order is None else table.row_order
            )
            orders.append(rows[inner])
            offsets.extend(offsets[-1] + table.block_rows[1:])
            self._block_part.extend((i, b) for b in range(table.n_blocks))
        self.row_order = np.concatenate(orders) if orders else np.zeros(0, np.intp)
        self.block_rows = np.asarray(offsets, dtype=np.intp)

    @property
    def centers(self):
        return self.parts[0][0].centers

    @property
    def n_centers(self):
        return self.parts[0][0].n_centers

    def check_covered(self, rows=None):
        for table, part_rows in self.parts:
            table.check_covered(
                part_rows if rows is None else np.asarray(rows)[part_rows]
            )

    def block_loss(self, b, logits, *args, **kwargs):
        part, inner = self._block_part[b]
        return self.parts[part][0].block_loss(inner, logits, *args, **kwargs)
