"""DaskSoftmaxKDERegressor on a LocalCluster against in-memory fits.

Usage::

    python benchmarks/dask_benchmarks.py [--quick] [--rows N] [--max-iter K]

Not part of the test suite (it needs minutes and gigabytes).  Point targets,
20 float32 features, 32 centers; the rows are generated lazily, one
partition at a time on the workers (``dask.delayed`` per partition, never
whole on the client), on a ``LocalCluster`` of two worker processes (one
thread each) with a memory limit of 6 GB each.  A worker keeps, per row, its
features (80 bytes in float32) and the kernel table (256 bytes of kernel
values at 32 centers, about 40 more of per-node arrays): 10 million rows are
about 3.8 GB, which float64 features (another 0.8 GB) would push past the
nanny's 95% restart threshold.  The in-memory anchor fits the same float32
rows.  Reported:

* time per L-BFGS iteration of the Dask fit at ``--rows`` (default
  20 000 000) against 20x (rows / 1 000 000) the in-memory per-iteration
  time at 1 000 000 rows on the same machine (both cores: the in-memory
  objective runs on two threads, the cluster on two workers).  Target: at
  most 1.5;
* the same at 1 000 000 rows, where the Dask fit's fixed cost per iteration
  (scheduling, one round trip per evaluation) shows;
* peak memory (resident set high-water mark) of each worker process;
* bytes per iteration: the parameters sent to every partition and the
  partial sums coming back (the payload, computed), and the bytes written to
  Dask's TCP connections per iteration, counted by wrapping
  ``distributed.comm.tcp.TCP.write`` in this process (client and scheduler:
  the graph of every evaluation, the parameters in its tasks, the results)
  and in each worker (results, heartbeats).

Time per iteration is measured between the solver's callbacks (from the
first iteration's end to the last's), so it leaves out reading the data and
building the tables.  Fits run ``--max-iter`` iterations with ``tol=0`` (the
same number of iterations on both sides).  The 1M-row comparisons alternate
in-memory and Dask fits ``--repeats`` times and take medians; the large fit
runs once, between two in-memory anchors.
"""

import argparse
import os
import platform
import time
import warnings

import dask
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster
from sklearn.exceptions import ConvergenceWarning

from skkdece import SoftmaxKDERegressor
from skkdece.dask import DaskSoftmaxKDERegressor

N_FEATURES = 20
N_CENTERS = 32
ANCHOR_ROWS = 1_000_000


def make_block(seed, n_rows, n_features=N_FEATURES):
    """One partition of the benchmark's data: standard features, a linear target."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    beta = np.linspace(-1.0, 1.0, n_features) / np.sqrt(n_features)
    y = X @ beta + 0.5 * rng.standard_normal(n_rows)
    return X, y


def partition_sizes(n_rows, partition_rows):
    sizes = [partition_rows] * (n_rows // partition_rows)
    if n_rows % partition_rows:
        sizes.append(n_rows % partition_rows)
    return sizes


def lazy_data(n_rows, partition_rows):
    """X and y as Dask arrays whose partitions are generated on the workers."""
    X_blocks, y_blocks = [], []
    for seed, size in enumerate(partition_sizes(n_rows, partition_rows)):
        X, y = dask.delayed(make_block, nout=2)(seed, size)
        X_blocks.append(da.from_delayed(X, (size, N_FEATURES), dtype=np.float32))
        y_blocks.append(da.from_delayed(y, (size,), dtype=np.float64))
    return da.concatenate(X_blocks), da.concatenate(y_blocks)


def in_memory_data(n_rows, partition_rows):
    """The same rows as :func:`lazy_data`, generated here."""
    blocks = [
        make_block(seed, size)
        for seed, size in enumerate(partition_sizes(n_rows, partition_rows))
    ]
    return np.concatenate([b[0] for b in blocks]), np.concatenate(
        [b[1] for b in blocks]
    )


class IterationClock:
    """Per-iteration time from the solver's callbacks (first to last)."""

    def __init__(self, on_first=None, on_last=None, last=None):
        self.times = []
        self.on_first, self.on_last, self.last = on_first, on_last, last

    def __call__(self, coef, intercept, n_iter):
        self.times.append(time.perf_counter())
        if n_iter == 1 and self.on_first:
            self.on_first()
        if n_iter == self.last and self.on_last:
            self.on_last()

    @property
    def per_iteration(self):
        return (self.times[-1] - self.times[0]) / (len(self.times) - 1)


def fit_params(max_iter, callback):
    # The model without heads on both sides ("auto" chooses none on Dask).
    return dict(
        centers=N_CENTERS,
        max_iter=max_iter,
        tol=0.0,
        callback=callback,
        location=None,
        scale=None,
    )


def time_in_memory(X, y, max_iter):
    clock = IterationClock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        SoftmaxKDERegressor(**fit_params(max_iter, clock)).fit(X, y)
    return clock.per_iteration


def count_tcp_writes():
    """Count the bytes this process writes to Dask's TCP connections from now on."""
    from distributed.comm import tcp

    if getattr(tcp.TCP.write, "counted", False):
        return
    write = tcp.TCP.write

    async def counted_write(self, *args, **kwargs):
        n = await write(self, *args, **kwargs)
        tcp.bytes_written = getattr(tcp, "bytes_written", 0) + n
        return n

    counted_write.counted = True
    tcp.TCP.write = counted_write


def tcp_bytes_written():
    from distributed.comm import tcp

    return getattr(tcp, "bytes_written", 0)


def bytes_written(client):
    """Bytes written to TCP so far: here (client and scheduler), each worker."""
    return {"client+scheduler": tcp_bytes_written(), **client.run(tcp_bytes_written)}


def worker_peak_rss(client):
    def peak():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        return -1

    return client.run(peak)


def time_dask(client, n_rows, partition_rows, max_iter):
    """Per-iteration time, worker bytes per iteration, and the fitted model."""
    X, y = lazy_data(n_rows, partition_rows)
    io = {}
    clock = IterationClock(
        on_first=lambda: io.__setitem__("first", bytes_written(client)),
        on_last=lambda: io.__setitem__("last", bytes_written(client)),
        last=max_iter,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = DaskSoftmaxKDERegressor(**fit_params(max_iter, clock)).fit(X, y)
    n = len(clock.times) - 1
    moved = {k: (io["last"][k] - io["first"][k]) / n for k in io["first"]}
    return clock.per_iteration, moved, model


def payload_per_evaluation(n_rows, partition_rows, n_params):
    n_partitions = -(-n_rows // partition_rows)
    # Parameters out, (loss, gradient) back, float64, per partition.
    return n_partitions * 8 * (n_params + (n_params + 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes")
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--partition-rows", type=int, default=500_000)
    parser.add_argument("--max-iter", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--memory-limit", default="6GB")
    args = parser.parse_args()
    anchor_rows, rows, part = ANCHOR_ROWS, args.rows, args.partition_rows
    if args.quick:
        anchor_rows, rows, part = 20_000, 100_000, 10_000

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"# load average at start: {os.getloadavg()}")
    # The tables are kept on the workers for the whole fit by design: no
    # spilling them to disk, no pausing below the limit; the nanny still
    # restarts a worker past 95% of it.
    with dask.config.set(
        {
            "distributed.worker.memory.target": False,
            "distributed.worker.memory.spill": False,
            "distributed.worker.memory.pause": False,
        }
    ):
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=args.memory_limit,
            dashboard_address=None,
        )
        client = Client(cluster)
    count_tcp_writes()
    client.run(count_tcp_writes)
    try:
        X, y = in_memory_data(anchor_rows, part)
        n_params = N_CENTERS * (N_FEATURES + 1)
        results = {"memory": [], "dask": [], "bytes": []}
        for _ in range(args.repeats):
            results["memory"].append(time_in_memory(X, y, args.max_iter))
            per_iter, moved, _ = time_dask(client, anchor_rows, part, args.max_iter)
            results["dask"].append(per_iter)
            results["bytes"].append(moved)
        anchor = float(np.median(results["memory"]))
        small = float(np.median(results["dask"]))
        peak_small = worker_peak_rss(client)
        print(f"# load average after the {anchor_rows}-row runs: {os.getloadavg()}")

        large, moved_large, _ = time_dask(client, rows, part, args.max_iter)
        anchor_after = time_in_memory(X, y, args.max_iter)
        peak_large = worker_peak_rss(client)
        print(f"# load average after the {rows}-row run: {os.getloadavg()}")
        scale = rows / anchor_rows
        anchors = sorted([*results["memory"], anchor_after])
        print(
            f"in-memory, {anchor_rows} rows, s/iteration: "
            f"{', '.join(f'{t:.3f}' for t in anchors)} (median {anchor:.3f})"
        )
        print(
            f"dask, {anchor_rows} rows, s/iteration: "
            f"{', '.join(f'{t:.3f}' for t in results['dask'])} (median {small:.3f}); "
            f"ratio to in-memory {small / anchor:.2f}"
        )
        reference = scale * float(np.median(anchors))
        verdict = "yes" if large / reference <= 1.5 else "NO"
        print(
            f"dask, {rows} rows: {large:.3f} s/iteration; {scale:g}x in-memory "
            f"{reference:.3f} s; ratio {large / reference:.2f} (target <= 1.5: "
            f"{verdict})"
        )
        for label, peak in ((anchor_rows, peak_small), (rows, peak_large)):
            print(
                f"peak worker memory after the {label}-row fits (limit "
                f"{args.memory_limit}): "
                + ", ".join(f"{v / 2**30:.2f} GiB" for v in peak.values())
            )
        moved_small = {
            k: float(np.median([b[k] for b in results["bytes"]]))
            for k in results["bytes"][0]
        }
        for label, moved in ((anchor_rows, moved_small), (rows, moved_large)):
            payload = payload_per_evaluation(label, part, n_params)
            print(
                f"bytes per iteration at {label} rows: payload (params out, sums "
                f"back) {payload / 1e3:.1f} kB per evaluation; written to TCP "
                "per iteration: "
                + ", ".join(f"{k} {v / 1e3:.1f} kB" for k, v in moved.items())
            )
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
