"""Kernel tables: what the loss needs of the kernels at the training targets.

The layers, each importing only those above it:

* ``_checks``: input checks and the row lists of error messages;
* ``_kernels``: kernels in the log domain (densities, CDFs, interval masses,
  wrapping, sampling), one bandwidth or one per atom;
* ``_atoms``: box atoms, a kernel smoothed over an interval;
* ``_quadrature``: Gauss-Legendre nodes over each target interval;
* ``_blocks``: what every table shares (row blocks, the shifted softmax, the
  zero-density error);
* ``_kernel_table``: per-row tables (:class:`KernelTable`,
  :class:`IntervalMassTable`);
* ``_grid``: :class:`GridTable`, intervals on one shared quadrature grid;
* ``_split_table``: :class:`SplitTable`, several tables seen as one;
* ``_factory``: :func:`training_table`, which picks the table a fit needs.

A table maps a block of logits to per-row losses and their gradients; it
knows nothing of X.  :mod:`skkdece._objective` joins a table to a logits
model.
"""

from ._factory import training_table, use_grid
from ._grid import GridTable
from ._kernel_table import IntervalMassTable, KernelTable, cross_entropy_from_table
from ._split_table import SplitTable

__all__ = [
    "GridTable",
    "IntervalMassTable",
    "KernelTable",
    "SplitTable",
    "cross_entropy_from_table",
    "training_table",
    "use_grid",
]
