"""The blocked objective: kernel tables and a logits model, summed over rows.

The objective of every model in the family is::

    sum_i sw_i L_i(z_i(params)) + penalty(params)

with ``L_i`` the per-row loss of a kernel table (:mod:`skkdece._loss`) and
``z_i`` the logits a model produces from its parameters.  This module owns
how that sum is evaluated; a model owns only how it makes logits.

A logits model (:class:`skkdece._linear.LinearLogits` is one) provides

* ``n_params``: the length of the flat parameter vector;
* ``bind(data, table, budget)``: per-data state, kept for a whole fit, with
  ``buffer()`` (scratch space for one thread, or None) and ``buffer_bytes``;
* ``prepare(params)``: whatever one evaluation shares between blocks;
* ``forward(state, bound, b, buffer, out)``: the logits of the rows of the
  table's block ``b``, in table order, written into ``out`` of shape
  (n_rows, n_centers); a constant per row may be left in them (the softmax
  ignores it);
* ``backward(state, bound, b, buffer, grad_logits, out)``: add the block's
  share of the parameter gradient, given ``d loss / d logits`` of its rows,
  into the flat ``out``;
* ``penalty(params)``: the penalty's value and gradient.

Rows are evaluated in the table's blocks.  Consecutive blocks form a fixed
number of groups, each summed in block order into its own partial loss and
gradient; the partials are then added in group order.  With ``n_threads > 1``
the groups are shared out to that many threads, and every matrix product runs
single-threaded inside them (a multithreaded BLAS spins its own threads
between calls and would take the cores from ours).  The groups do not depend
on ``n_threads``, so the result is the same, bit for bit, with any number of
threads.
"""

from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
from scipy import sparse
from sklearn import get_config
from threadpoolctl import ThreadpoolController

from ._tables._threads import THREADSAFE_ERRSTATE as _THREADSAFE_ERRSTATE
from ._tables._threads import share_out as _share_out

# At most this many groups of blocks (partial sums) per evaluation: enough to
# share the work evenly among a few threads, few enough that adding the
# partial gradients costs nothing.
_MAX_GROUPS = 64


_CONTROLLER = []


def thread_controller():
    """One ``ThreadpoolController`` for the process, as scikit-learn keeps.

    Building one scans the loaded libraries (about 4 ms); a CV search runs
    hundreds of small fits, and the scans cost a fifth of its time.  Its
    ``info()`` and ``limit()`` read and set the current counts each call.
    """
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def blas_threads():
    """How many threads the BLAS may use here and now (1 if none is found).

    It follows ``threadpoolctl.threadpool_limits`` and the usual environment
    variables (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``...), including
    the limits joblib's workers set to avoid oversubscription.
    """
    counts = [
        info["num_threads"]
        for info in thread_controller().info()
        if info["user_api"] == "blas"
    ]
    return max(1, min(counts, default=1))


class BlockedObjective:
    """Penalised weighted loss of a logits model over a kernel table.

    Parameters
    ----------
    table : KernelTable
        Kernel values at the training targets.
    model : logits model
        Maps the flat parameters to logits and back (see the module's
        docstring).
    data : object
        What ``model.bind`` turns into per-block inputs (X for the linear
        model); kept for the objective's lifetime.
    sample_weight : ndarray of shape (n_samples,)
        Weights of the rows, summing to one.
    n_threads : int, default=1
        Threads evaluating the groups of blocks.
    """

    def __init__(self, table, model, data, sample_weight, *, n_threads=1):
        self.table = table
        self.model = model
        self.data = data
        self.sample_weight = sample_weight
        self.n_threads = int(n_threads)
        self._bound = None
        self._pool = None
        # Whether a run (``running``) already holds the BLAS to one thread.
        self._blas_held = False

    def close(self):
        """Stop the worker threads (a later evaluation starts new ones)."""
        if self._pool is not None:
            self._pool[0].shutdown()
            self._pool = None

    @contextmanager
    def running(self):
        """Context for a run of evaluations (a solver's): threads, then cleanup.

        The loss is shared out to as many threads as the BLAS may use (one
        where the user or joblib's workers set that limit).  Small problems,
        and runs whose loss is shared out to several threads, run with a
        single-threaded BLAS: its threads' wake-ups and spinning between
        calls cost more than the product (fits of 1000 rows ran 7-15x slower
        on a loaded 2-core machine).
        """
        self.n_threads = blas_threads() if _THREADSAFE_ERRSTATE else 1
        n = self.table.n_samples
        small = n * (self.model.n_params + 1) < 2**24
        # Shared out to several threads, every block's products already run on
        # a single-threaded BLAS, and between evaluations only small vectors
        # remain: BLAS threads there would only spin against the loss's own
        # threads (a 64-atom fit of 20 000 rows ran 1.3x slower on two
        # threads than on one).
        shared_out = len(self._bind()[2]) > 1
        one = small or shared_out
        with thread_controller().limit(limits=1 if one else None, user_api="blas"):
            self._blas_held = one
            try:
                yield self
            finally:
                self._blas_held = False
                self.close()

    def _bind(self):
        """State kept between calls: groups of blocks, the model's, buffers."""
        if self._bound is None or self._bound[0] != self.n_threads:
            table, model = self.table, self.model
            M, n_params = table.n_centers, model.n_params
            budget = int(get_config()["working_memory"] * 2**20)
            # Each group has a partial gradient; together at most budget / 8.
            # Neither the groups nor the model's pieces depend on the thread
            # count: they fix the order of every sum.
            n_groups = min(
                table.n_blocks, _MAX_GROUPS, max(1, budget // (64 * n_params))
            )
            groups = np.linspace(0, table.n_blocks, n_groups + 1).round()
            bound = model.bind(self.data, table, budget // 32)
            max_block = int(np.max(np.diff(table.block_rows)))
            # Each thread's buffers; all of them within budget / 4.
            per_thread = 8 * (3 * M + 1) * max_block + bound.buffer_bytes
            n_threads = max(
                1, min(self.n_threads, n_groups, budget // (4 * per_thread))
            )
            work = [
                ((*np.empty((3, max_block, M)), np.ones(max_block)), bound.buffer())
                for _ in range(n_threads)
            ]
            partials = np.empty((n_groups, n_params + 1))
            index = [table.block_row_index(b) for b in range(table.n_blocks)]
            self._bound = (
                self.n_threads,
                bound,
                groups.astype(np.intp),
                work,
                partials,
                index,
            )
        return self._bound[1:]

    def loss_gradient(self, params):
        """Objective and its gradient, as ``minimize(jac=True)`` wants them."""
        self.table.check_covered()
        bound, groups, work, partials, index = self._bind()
        state = self.model.prepare(params)

        def run_group(j, buffers):
            self._group(j, groups, bound, state, index, buffers, partials[j])

        n_groups = groups.shape[0] - 1
        if len(work) == 1:
            for j in range(n_groups):
                run_group(j, work[0])
        elif self._blas_held:
            _share_out(run_group, n_groups, work, self._executor(len(work)))
        else:
            with self._single_threaded_blas():
                _share_out(run_group, n_groups, work, self._executor(len(work)))
        # Columns: the parameter gradient, then the loss.
        total = np.sum(partials, axis=0)
        grad, loss = total[:-1], float(total[-1])
        value, penalty_grad = self.model.penalty(params)
        grad += penalty_grad
        return loss + value, grad

    def _group(self, j, groups, bound, state, index, buffers, out):
        """Add up the loss and gradient of the blocks of group ``j`` into ``out``."""
        table, model = self.table, self.model
        (Z, G, E, ones), buffer = buffers
        out[:] = 0.0
        for b in range(groups[j], groups[j + 1]):
            n_rows = table.block_rows[b + 1] - table.block_rows[b]
            z, g = Z[:n_rows], G[:n_rows]
            model.forward(state, bound, b, buffer, z)
            sw = self.sample_weight[index[b]]
            loss_b = table.block_loss(
                b, z, sw, exp_work=E[:n_rows], grad=g, shifted=model.shifted
            )
            out[-1] += float(np.dot(sw, loss_b))
            model.backward(state, bound, b, buffer, g, ones[:n_rows], out[:-1])

    def _executor(self, n_threads):
        """The pool of ``n_threads - 1`` helpers (the caller is the last thread)."""
        if self._pool is None or self._pool[1] != n_threads:
            self.close()
            pool = ThreadPoolExecutor(n_threads - 1, thread_name_prefix="skkdece-loss")
            self._pool = (pool, n_threads)
        return self._pool[0]

    def _single_threaded_blas(self):
        # The process's controller: building one scans the loaded libraries
        # (3-4 ms, a twentieth of a 60-iteration fit of 5 000 rows).
        return thread_controller().limit(limits=1, user_api="blas")


class BlockRows:
    """The rows of X in the table's blocks, as float64 arrays or CSR matrices.

    ``index[b]`` is the slice or index array of block ``b``'s rows of X (the
    table may hold its rows sorted by node count).  C-ordered float64 X is
    sliced without copies when the table keeps the rows in order.  Otherwise
    dense X (float32, Fortran order, gathered rows) is copied into float64 in
    pieces of at most ``budget`` bytes, into a buffer of the calling
    thread's.  Sparse X is converted to CSR once (if needed) and cut into one
    CSR matrix per block: views, or copies of gathered rows.
    """

    def __init__(self, X, table, budget):
        self.index = [table.block_row_index(b) for b in range(table.n_blocks)]
        self.is_sparse = sparse.issparse(X)
        if self.is_sparse:
            X = X.tocsr() if X.format != "csr" else X
            ptr = X.indptr
            self._sparse = []
            for rows in self.index:
                if not isinstance(rows, slice):
                    self._sparse.append(X[rows])
                    continue
                a, c = ptr[rows.start], ptr[rows.stop]
                self._sparse.append(
                    sparse.csr_matrix(
                        (
                            X.data[a:c],
                            X.indices[a:c],
                            ptr[rows.start : rows.stop + 1] - a,
                        ),
                        shape=(rows.stop - rows.start, X.shape[1]),
                    )
                )
            return
        self.X = X
        self._copy = table.row_order is not None or not (
            X.dtype == np.float64 and X.flags.c_contiguous
        )
        max_rows = int(np.max(np.diff(table.block_rows)))
        self._piece_rows = max(1, min(max_rows, budget // (8 * max(X.shape[1], 1))))

    @property
    def buffer_bytes(self):
        """Bytes of one :meth:`buffer`."""
        if self.is_sparse or not self._copy:
            return 0
        return 8 * self._piece_rows * self.X.shape[1]

    def buffer(self):
        """Scratch space for copied rows (None when none is needed)."""
        if self.is_sparse or not self._copy:
            return None
        return np.empty((self._piece_rows, self.X.shape[1]))

    def pieces(self, b, buffer, again=False):
        """``(part, X_rows)`` covering block ``b``; ``part`` indexes the block.

        With ``again``, a block copied in one piece is not copied twice.
        """
        if self.is_sparse:
            yield slice(None), self._sparse[b]
            return
        rows = self.index[b]
        if not self._copy:
            yield slice(None), self.X[rows]
            return
        if isinstance(rows, slice):
            first, n_rows = rows.start, rows.stop - rows.start
        else:
            first, n_rows = None, rows.shape[0]
        step = self._piece_rows
        if again and n_rows <= step:
            yield slice(None), buffer[:n_rows]
            return
        for a in range(0, n_rows, step):
            z = min(a + step, n_rows)
            out = buffer[: z - a]
            if first is not None:
                np.copyto(out, self.X[first + a : first + z])
            elif self.X.dtype == np.float64:
                np.take(self.X, rows[a:z], axis=0, out=out)
            else:
                np.copyto(out, self.X[rows[a:z]])
            yield slice(a, z), out
