"""Random draws from predicted distributions.

A center is drawn by its weight, then an offset from its atom: the kernel
plus, for a box atom, a uniform offset within the box.  :func:`sample_rows`
is :meth:`skkdece.KDEDistribution.sample`.
"""

import numpy as np
from sklearn.utils import check_random_state

from ._tables._atoms import atom_offsets


def sample_rows(dist, n_draws, random_state):
    """``n_draws`` draws from each row, shape (n_samples, n_draws).

    In the window when periodic.
    """
    n_draws = int(n_draws)
    if n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer; got {n_draws}.")
    rng = check_random_state(random_state)
    # numpy's Generator API for the kernels; seeded from the RandomState.
    gen = np.random.default_rng(rng.randint(np.iinfo(np.int32).max))
    n = len(dist)
    cum = np.cumsum(dist.weights, axis=1)
    cum /= cum[:, -1:]
    u = gen.uniform(size=(n, n_draws))
    shift = 2.0 * np.arange(n)[:, None]
    comp = np.searchsorted((cum + shift).ravel(), (u + shift).ravel(), side="right")
    M = dist.centers.shape[-1]
    comp = comp.reshape(n, n_draws) - M * np.arange(n)[:, None]
    comp = np.minimum(comp, M - 1)
    centers = np.broadcast_to(dist._row_centers(), (n, M))
    half = dist._row_half()
    if half is not None:
        half = np.take_along_axis(np.broadcast_to(half, (n, M)), comp, axis=1)
    h = dist.bandwidth if np.ndim(dist.bandwidth) == 0 else dist.bandwidth[comp]
    draws = np.take_along_axis(centers, comp, axis=1) + atom_offsets(
        gen, (n, n_draws), half, dist.kernel, h, dist.period
    )
    return dist.to_window(draws)
