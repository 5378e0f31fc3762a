"""``compare`` on samples larger than a worker's memory, on a dask.distributed LocalCluster.

Writes two samples of ``--rows`` rows x ``--d`` float64 columns as directories of ``.npy``
parts (``--chunk-rows`` rows each; 2 x 5e7 x 4 is 3.2 GB), unless they are already there,
then in one process:

* starts a LocalCluster (``--workers`` worker processes, one thread each, ``--memory-limit``
  each) or connects to ``--scheduler``;
* times the **read floor**: the column sums of both samples (one pass over every chunk,
  nothing else);
* times ``divlab.compare(x, y)`` with the default metrics on the Dask arrays opened by
  :func:`divlab.io_lazy.open_samples` (the same path ``divlab compare DIR_X DIR_Y`` takes);
* reads the peak resident memory (RSS) of every process: the client (which also runs the
  scheduler of a LocalCluster) and each worker.

``--output FILE`` writes the Markdown table committed in ``docs/dask-compare.md``.

    python benchmarks/bench_compare_dask.py --folder /tmp/divlab-large --rows 50000000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

import numpy as np


def write_samples(folder: Path, rows: int, d: int, chunk_rows: int, seed: int = 0) -> None:
    """x ~ N(0, I_d); y ~ N(0, I_d) with the first column shifted by 0.1 and the second
    scaled by 1.2: a small, known difference. One ``.npy`` per ``chunk_rows`` rows."""
    rng = np.random.default_rng(seed)
    for name in ("x", "y"):
        out = folder / name
        out.mkdir(parents=True, exist_ok=True)
        for i, start in enumerate(range(0, rows, chunk_rows)):
            k = min(chunk_rows, rows - start)
            a = rng.standard_normal((k, d))
            if name == "y":
                a[:, 0] += 0.1
                if d > 1:
                    a[:, 1] *= 1.2
            np.save(out / f"part-{i:05d}.npy", a)


def peak_rss_mib() -> float:
    """Peak resident memory of the calling process, MiB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folder", type=Path, default=Path("/tmp/divlab-large"))
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--d", type=int, default=4)
    ap.add_argument("--chunk-rows", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="1.5GB")
    ap.add_argument("--scheduler", default=None)
    ap.add_argument("--n-resamples", type=int, default=200)
    ap.add_argument("--output", type=Path, default=None)
    args = ap.parse_args()

    import dask
    import distributed

    import divlab
    from divlab.io_lazy import open_samples

    marker = args.folder / f"done-{args.rows}-{args.d}-{args.chunk_rows}"
    if not marker.exists():
        t0 = time.perf_counter()
        write_samples(args.folder, args.rows, args.d, args.chunk_rows)
        marker.touch()
        print(f"wrote 2 x {args.rows} x {args.d} in {time.perf_counter() - t0:.1f} s")
    size_gb = 2 * args.rows * args.d * 8 / 1e9

    if args.scheduler:
        client = distributed.Client(args.scheduler)
        cluster = None
    else:
        cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                           processes=True, memory_limit=args.memory_limit,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
    try:
        x, names = open_samples(args.folder / "x")
        y, _ = open_samples(args.folder / "y")
        t0 = time.perf_counter()
        dask.compute(x.sum(axis=0), y.sum(axis=0))
        floor = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = divlab.compare(x, y, n_resamples=args.n_resamples, rng=0, feature_names=names)
        wall = time.perf_counter() - t0
        workers = client.run(peak_rss_mib)
        client_rss = peak_rss_mib()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

    print(report)
    lines = [
        f"Two samples of {args.rows:.3g} rows x {args.d} float64 columns ({size_gb:.1f} GB on "
        f"disk, `.npy` parts of {args.chunk_rows:.3g} rows), LocalCluster of {args.workers} "
        f"worker processes (1 thread, memory limit {args.memory_limit} each); "
        f"{platform.processor() or platform.machine()}, {len(workers)} workers; "
        f"`n_resamples={args.n_resamples}`, default metrics; load average "
        f"{os.getloadavg()[0]:.1f}.",
        "",
        "| step | time (s) | ratio to read floor |",
        "|---|---|---|",
        f"| read floor (column sums of both samples) | {floor:.1f} | 1.0 |",
        f"| `divlab.compare(x, y)` | {wall:.1f} | {wall / floor:.1f} |",
        "",
        "| process | peak RSS (MiB) |",
        "|---|---|",
        f"| client (runs the LocalCluster's scheduler) | {client_rss:.0f} |",
    ]
    lines += [f"| worker {i} | {v:.0f} |" for i, v in enumerate(workers.values())]
    lines += ["", "| metric | estimate | 95 % CI |", "|---|---|---|"]
    for row in report.rows:
        ci = row.estimate.ci
        ci_s = "-" if ci is None else f"[{ci[0]:.4g}, {ci[1]:.4g}]"
        lines.append(f"| {row.metric} | {row.estimate.value:.4g} | {ci_s} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text("# compare on data larger than memory (Dask)\n\n" + text)


if __name__ == "__main__":
    main()
