"""Work shared out to threads, in an order that does not depend on them.

:func:`share_out` runs numbered tasks on the caller's thread and a pool's;
the objective (:mod:`skkdece._objective`) sums its groups of blocks with it
and a per-row table (:class:`~skkdece._tables.KernelTable`) builds its
blocks' kernel values with it.  NumPy's and SciPy's ufuncs release the GIL,
so the threads' arithmetic runs side by side.
"""

import itertools
import threading
from concurrent import futures

import numpy as np

# NumPy 1.x keeps one global count of threads whose floating-point error
# settings differ from the defaults: a thread leaving its np.errstate can make
# another thread's ufuncs ignore that thread's own errstate, so the overflows
# the tables expect (far logits, tiny densities) came out as RuntimeWarnings
# on NumPy 1.24.  NumPy 2 keeps the settings per context; before it the loss
# runs on one thread (the BLAS keeps its own threads).
THREADSAFE_ERRSTATE = int(np.__version__.split(".")[0]) >= 2


def share_out(task, n_tasks, work, pool):
    """Run ``task(j, work[t])`` for every j, on the caller and the pool's threads.

    The tasks are taken in order from a shared counter, so a thread slowed
    down by other load simply takes fewer.  After a task fails no new task
    starts; every helper has stopped before this returns or raises (the
    caller's own exception first, else a helper's).
    """
    counter = itertools.count()
    lock = threading.Lock()
    failed = threading.Event()
    # NumPy's error settings are per thread: the helpers take the caller's.
    errors = np.geterr()

    def worker(buffers):
        with np.errstate(**errors):
            while not failed.is_set():
                with lock:
                    j = next(counter)
                if j >= n_tasks:
                    return
                try:
                    task(j, buffers)
                except BaseException:
                    failed.set()
                    raise

    helpers = [pool.submit(worker, w) for w in work[1:]]
    try:
        worker(work[0])
    finally:
        futures.wait(helpers)
    for f in helpers:
        f.result()
