"""Benchmark divlab.kl / divlab.js against SciPy on the same data, in the same process.

References: ``scipy.special.rel_entr(p, q).sum()``, ``scipy.stats.entropy(p, q)`` and
``scipy.spatial.distance.jensenshannon(p, q)`` (which returns the JS *distance*; divlab's
``js`` returns the divergence, ``js_distance`` its square root -- same work either way).
divlab runs with input validation on (it always validates). Accuracy is measured against
a long-double (80-bit) evaluation of the per-entry terms, summed pairwise in long double.

Usage::

    python benchmarks/bench_discrete.py            # issue sizes: N = 1e6, 1e7, 10000 x 1000
    python benchmarks/bench_discrete.py --quick    # tiny sizes, a few seconds
    python benchmarks/bench_discrete.py --output docs/benchmarks-discrete.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import scipy
import scipy.special as sc
import scipy.stats as sst
from scipy.spatial.distance import jensenshannon

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import divlab
from divlab import _array as _blocked
from divlab.discrete import js, kl


def best_time(fn, repeat):
    return best_times([fn], repeat)[0]


def best_times(fns, repeat):
    """Best-of-``repeat`` wall times (ms), the functions interleaved so that a busy
    machine slows them alike (fairer ratios than timing one after the other)."""
    for fn in fns:
        fn()  # warm-up (thread pool, caches)
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [b * 1e3 for b in best]


def make_pair(shape, dtype, rng, near=False):
    p = rng.random(shape)
    p /= p.sum(-1, keepdims=True)
    if near:
        q = p * (1 + 1e-7 * rng.standard_normal(shape))
    else:
        q = rng.random(shape)
    q /= q.sum(-1, keepdims=True)
    return p.astype(dtype), q.astype(dtype)


def reference(p, q):
    """(KL, JS) per row in long double, from the float inputs as given.

    Entries with |p - q| small relative to q use Taylor series (no cancellation), the
    others the direct formulas; everything in 80-bit long double.
    """
    P = p.astype(np.longdouble)
    Q = q.astype(np.longdouble)
    d = (P - Q) / Q
    near = np.abs(d) < 1e-3
    series = Q * d * d * (0.5 - d / 6 + d * d / 12 - d**3 / 20 + d**4 / 30)
    klv = np.sum(np.where(near, series, P * np.log(P / Q) - P + Q), axis=-1)
    M = (P + Q) / 2
    e = (P - Q) / (P + Q)
    e2 = e * e
    js_series = M * e2 * (0.5 + e2 / 12 + e2 * e2 / 30)
    js_direct = 0.5 * (P * np.log(P / M) + Q * np.log(Q / M))
    jsv = np.sum(np.where(np.abs(e) < 1e-3, js_series, js_direct), axis=-1)
    return klv, jsv


def rel_err(got, want):
    got = np.asarray(got, dtype=np.longdouble)
    err = np.abs(got - want) / np.abs(want)
    return float(np.max(err))


def run_case(label, shape, dtype, repeat, rng, near=False):
    p, q = make_pair(shape, dtype, rng, near)
    axis_kw = {"axis": -1} if len(shape) > 1 else {}
    ref_kl, ref_js = reference(p, q)
    rows = []

    def add(func, t_div, ref_name, t_ref, err_div, err_ref):
        rows.append(
            (label, func, t_div, ref_name, t_ref, t_ref / t_div, err_div, err_ref)
        )

    t_kl, t_rel, t_ent = best_times(
        [
            lambda: kl(p, q, **axis_kw),
            lambda: sc.rel_entr(p, q).sum(-1),
            lambda: sst.entropy(p, q, **axis_kw),
        ],
        repeat,
    )
    kl_val = kl(p, q, **axis_kw)
    add("kl", t_kl, "rel_entr(p, q).sum()", t_rel, rel_err(kl_val, ref_kl),
        rel_err(sc.rel_entr(p, q).sum(-1), ref_kl))
    add("kl", t_kl, "scipy.stats.entropy(p, q)", t_ent, rel_err(kl_val, ref_kl),
        rel_err(sst.entropy(p, q, **axis_kw), ref_kl))
    t_js, t_jsd = best_times(
        [lambda: js(p, q, **axis_kw), lambda: jensenshannon(p, q, **axis_kw)], repeat
    )
    add("js", t_js, "jensenshannon(p, q)", t_jsd, rel_err(js(p, q, **axis_kw), ref_js),
        rel_err(np.asarray(jensenshannon(p, q, **axis_kw), dtype=np.float64) ** 2, ref_js))
    return rows


#: (registry name, dedicated function, extra keyword arguments) for the door comparison
DOORS = [
    ("kl", "kl", {}),
    ("reverse_kl", "reverse_kl", {}),
    ("pearson", "pearson_chi2", {}),
    ("neyman", "neyman_chi2", {}),
    ("squared_hellinger", "squared_hellinger", {}),
    ("js", "js", {}),
    ("total_variation", "total_variation", {}),
    ("jeffreys", "jeffreys", {}),
    ("alpha", "alpha_divergence", {"alpha": 0.5}),
]


def doors(shape, repeat, rng):
    """``f_divergence(p, q, name)`` against the dedicated function: time ratio and the
    largest difference in ulps (both run the same record through the same engine)."""
    p, q = make_pair(shape, np.float64, rng)
    out = []
    for name, func, kw in DOORS:
        dedicated = getattr(divlab, func)
        if name == "alpha":
            def ded(dedicated=dedicated):
                return dedicated(p, q, 0.5)
        else:
            def ded(dedicated=dedicated):
                return dedicated(p, q)
        def gen(name=name, kw=kw):
            return divlab.f_divergence(p, q, name, **kw)
        t_ded, t_gen = best_times([ded, gen], repeat)
        a, b = float(ded()), float(gen())
        ulps = abs(a - b) / np.spacing(max(abs(a), abs(b))) if a != b else 0.0
        out.append((name, func, t_ded, t_gen, t_gen / t_ded, ulps))
    return out


def thread_scaling(shape, repeat, rng):
    p, q = make_pair(shape, np.float64, rng)
    out = {}
    for n in (1, 2):
        old = _blocked.set_threads(n)
        try:
            out[n] = (best_time(lambda: kl(p, q), repeat), best_time(lambda: js(p, q), repeat))
        finally:
            _blocked.set_threads(old)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (seconds)")
    ap.add_argument("--output", help="write the markdown report to this path")
    ap.add_argument("--repeat", type=int, default=None, help="timing repeats (best of)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(0)
    if args.quick:
        sizes = [("N=1e5", (10**5,)), ("N=1e6", (10**6,))]
        batch = ("batch 1000x1000", (1000, 1000))
        repeat = args.repeat or 3
    else:
        sizes = [("N=1e6", (10**6,)), ("N=1e7", (10**7,))]
        batch = ("batch 10000x1000", (10000, 1000))
        repeat = args.repeat or 5
    rows = []
    for label, shape in sizes:
        for dtype in (np.float64, np.float32):
            rows += run_case(f"{label} {np.dtype(dtype).name}", shape, dtype, repeat, rng)
    for dtype in (np.float64, np.float32):
        rows += run_case(f"{batch[0]} {np.dtype(dtype).name}", batch[1], dtype, repeat, rng)
    near_shape = sizes[-1][1]
    rows += run_case(f"{sizes[-1][0]} float64, q = p(1 + 1e-7 e)", near_shape, np.float64,
                     repeat, rng, near=True)
    scaling = thread_scaling(sizes[-1][1], repeat, rng)
    door_rows = doors(sizes[-1][1], repeat, rng)

    lines = [
        "# Benchmark: discrete divergences (divlab.kl, divlab.js vs SciPy)",
        "",
        f"`python benchmarks/bench_discrete.py{' --quick' if args.quick else ''}` -- "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, SciPy {scipy.__version__}, "
        f"divlab {divlab.__version__}; load average {os.getloadavg()[0]:.1f} at the end; "
        f"best of {repeat} interleaved runs, same data, same process. "
        "divlab validates its input (finite, >= 0, sums to 1) on every call; SciPy does not "
        "validate. Speedup = SciPy time / divlab time. Relative errors are against a "
        "long-double evaluation (max over rows).",
        "",
        "| case | divlab | divlab ms | reference | ref ms | speedup | divlab rel. err | "
        "ref rel. err |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for case, func, t_div, ref_name, t_ref, ratio, e_div, e_ref in rows:
        lines.append(
            f"| {case} | `{func}` | {t_div:.2f} | `{ref_name}` | {t_ref:.2f} | "
            f"**{ratio:.1f}x** | {e_div:.1e} | {e_ref:.1e} |"
        )
    lines += [
        "",
        f"Threads ({sizes[-1][0]}, float64): "
        + "; ".join(f"{n} thread(s): kl {v[0]:.1f} ms, js {v[1]:.1f} ms"
                    for n, v in scaling.items()),
        "",
        "float32 rows: divlab accumulates in float64 and returns float32, so its error is "
        "the float32 rounding of the result (~3e-8); SciPy computes in float32.",
        "",
        f"## One record, every door ({sizes[-1][0]}, float64)",
        "",
        "`f_divergence(p, q, name)` and the dedicated function evaluate the same registry "
        "record through the same engine (`divlab.fdiv.engine`): same numbers, same time.",
        "",
        "| registry name | dedicated function | dedicated ms | `f_divergence` ms | time ratio "
        "| difference (ulp) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, func, t_ded, t_gen, ratio, ulps in door_rows:
        lines.append(f"| `{name}` | `{func}` | {t_ded:.2f} | {t_gen:.2f} | {ratio:.2f} | "
                     f"{ulps:.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
