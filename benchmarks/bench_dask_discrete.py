"""KL and JS of probability vectors larger than memory chunks, on a dask.distributed cluster.

Writes ``p`` and ``q`` (``--n`` float64 entries each, normalised) as ``.npy`` files, opens
them as chunked dask arrays (each chunk read by the worker that needs it), starts a
LocalCluster (``--workers`` processes, one thread each, ``--memory-limit`` each) and times,
in the same process:

* the **read floor**: ``(p.sum(), q.sum())`` -- one pass over both files, nothing else;
* ``divlab.kl(p, q)`` and ``divlab.js(p, q)`` computed on the cluster;
* the in-memory NumPy ``divlab.kl`` on the same data (the exact reference).

Prints the ratios to the read floor and the relative difference to the in-memory value.
``python benchmarks/bench_dask_discrete.py --n 100000000`` is the 1e8-entry case of the
docs (1.6 GB on disk); ``--output docs/dask-discrete.md`` writes the committed table.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np


def write_pair(folder: Path, n: int, chunk: int, seed: int = 0) -> tuple[Path, Path]:
    """Two normalised positive vectors of length n as .npy files, written chunk by chunk."""
    rng = np.random.default_rng(seed)
    paths = []
    for name in ("p", "q"):
        path = folder / f"{name}.npy"
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n,))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            out[start:stop] = rng.random(stop - start) + 1e-3
        total = float(np.sum(out, dtype=np.float64))
        for start in range(0, n, chunk):
            out[start:start + chunk] /= total
        out.flush()
        del out
        paths.append(path)
    return paths[0], paths[1]


def _read_chunk(path: str, start: int, stop: int) -> np.ndarray:
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def open_npy(path: Path, chunk: int):
    """A dask array whose chunks are read from the .npy file by the workers."""
    import dask
    import dask.array as da

    n = np.load(path, mmap_mode="r").shape[0]
    parts = [da.from_delayed(dask.delayed(_read_chunk)(str(path), s, min(n, s + chunk)),
                             shape=(min(n, s + chunk) - s,), dtype=np.float64)
             for s in range(0, n, chunk)]
    return da.concatenate(parts)


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - t)
    return best, value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--chunk", type=int, default=5_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--folder", default=None)
    ap.add_argument("--output", default=None, help="also write the table to this file")
    args = ap.parse_args(argv)

    import dask
    from dask.distributed import Client, LocalCluster

    import divlab

    folder = Path(args.folder or tempfile.mkdtemp(prefix="divlab-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    p_path, q_path = write_pair(folder, args.n, args.chunk)
    with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                      memory_limit=args.memory_limit, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        p, q = open_npy(p_path, args.chunk), open_npy(q_path, args.chunk)
        t_read, _ = best_of(lambda: dask.compute(p.sum(), q.sum()), args.repeat)
        t_kl, kl_value = best_of(lambda: float(divlab.kl(p, q).compute()), args.repeat)
        t_js, js_value = best_of(lambda: float(divlab.js(p, q).compute()), args.repeat)
    pm, qm = np.load(p_path, mmap_mode="r"), np.load(q_path, mmap_mode="r")
    t_mem, kl_mem = best_of(lambda: float(divlab.kl(np.asarray(pm), np.asarray(qm))),
                            args.repeat)
    js_mem = float(divlab.js(np.asarray(pm), np.asarray(qm)))
    load = os.getloadavg()[0]
    lines = [
        f"N = {args.n:.0e} float64, chunks of {args.chunk:.0e}, {args.workers} worker processes "
        f"x 1 thread, memory limit {args.memory_limit}; best of {args.repeat}; "
        f"load average {load:.1f}",
        "",
        "| computation | s | / read floor | rel. diff. to in-memory |",
        "|---|---:|---:|---:|",
        f"| read floor: (p.sum(), q.sum()) on the cluster | {t_read:.2f} | 1.00 | - |",
        f"| `divlab.kl(p, q)` on the cluster | {t_kl:.2f} | {t_kl / t_read:.2f} "
        f"| {abs(kl_value - kl_mem) / kl_mem:.1e} |",
        f"| `divlab.js(p, q)` on the cluster | {t_js:.2f} | {t_js / t_read:.2f} "
        f"| {abs(js_value - js_mem) / js_mem:.1e} |",
        f"| `divlab.kl` in memory (NumPy, data already loaded) | {t_mem:.2f} | "
        f"{t_mem / t_read:.2f} | 0 |",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text("# Discrete divergences on a dask.distributed LocalCluster\n\n"
                                     + text)
    for path in (p_path, q_path):
        path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
