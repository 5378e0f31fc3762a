"""The ``divlab`` command line: ``divlab compare`` and ``divlab info``.

``divlab compare a.csv b.parquet`` estimates how far apart two datasets are (see
:func:`divlab.compare`); ``divlab compare --demo`` runs on built-in data with known true
values; ``divlab info`` prints versions, backends and CUDA devices. Files are read by
:mod:`divlab.io`; columns are matched by header name (``--columns``, ``--by-position``), a
row-index first column is refused (``--drop-index``). Directories of ``.npy`` or Parquet
files, zarr stores, and large ``.npy``/Parquet files (or any with ``--dask``) are opened
lazily by :mod:`divlab.io_lazy` and compared on a ``dask.distributed`` cluster: a
``LocalCluster`` of ``--workers`` processes (``--memory-limit`` each) started and closed by
the command, or the scheduler at ``--scheduler ADDRESS``; one line on stderr names it. Bad
input ends with a one-line message on stderr and exit status 2 (no traceback); warnings are
one line each with the flag to use; Ctrl-C prints the metrics already finished (exit 130); a
closed stdout pipe ends quietly (exit 1, the recipe of the Python docs).

Start-up is kept short: NumPy and the estimators are imported only by the command that needs
them, so ``divlab --help`` and ``divlab info`` load neither SciPy's statistics nor POT nor
matplotlib (``tests/test_startup.py`` checks what each one imports).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .io import Samples

__all__ = ["main", "build_parser", "CLIError"]

EXIT_OK, EXIT_INPUT, EXIT_INTERRUPTED = 0, 2, 130


class CLIError(Exception):
    """A problem with the command-line input (shown as one line, exit status 2)."""


# --------------------------------------------------------------------------- loading


def __getattr__(name: str) -> Any:
    # ``divlab.cli.load_samples`` (older name): the reader now lives in divlab.io; imported
    # on use, so that ``divlab --help`` does not import NumPy
    if name in ("load_samples", "read_samples"):
        from . import io

        return getattr(io, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _parse_columns(spec: str | None) -> list[str] | None:
    if spec is None:
        return None
    cols = [c.strip() for c in spec.split(",") if c.strip()]
    if not cols:
        raise CLIError("--columns is empty")
    return cols


def _names(names: Sequence[str], limit: int = 12) -> str:
    from .io import _name_list

    return _name_list(names, limit)


def _match_columns(a: Samples, b: Samples, *, by_position: bool) -> tuple[list[str] | None, str]:
    """The feature names of the comparison and how the columns were matched.

    Columns are matched by name: both files must list the same names in the same order
    (after ``--columns``), else the comparison is refused with what differs and the flag that
    says what the user means. ``--by-position`` pairs them by position instead.
    """
    da, db = a.values.shape[1], b.values.shape[1]
    if by_position:
        if da != db:
            raise CLIError(f"dimension mismatch: {a.source} has {da} column(s), {b.source} "
                           f"has {db} (--by-position pairs columns by position)")
        names = a.names or b.names
        how = "paired by position (--by-position)"
        if a.names is not None and b.names is not None and a.names != b.names:
            pairs = [f"{p}={q}" for p, q in zip(a.names, b.names, strict=True) if p != q]
            how += (f"; differently named pairs: {', '.join(pairs[:6])}"
                    + (f", ... ({len(pairs) - 6} more)" if len(pairs) > 6 else ""))
        return (list(names) if names is not None else None), how
    if a.names is None and b.names is None:
        if da != db:
            raise CLIError(f"dimension mismatch: {a.source} has {da} column(s), {b.source} "
                           f"has {db}")
        return None, "paired by position (the files have no column names)"
    if a.names is None or b.names is None:
        named, plain = (a, b) if a.names is not None else (b, a)
        raise CLIError(
            f"{named.source} has column names ({_names(named.names)}) but {plain.source} has "
            "none (no header row), so its columns cannot be matched by name; pass "
            "--by-position if both list the same features in the same order")
    if a.names == b.names:
        return list(a.names), "matched by name"
    if len(set(a.names)) == len(a.names) and set(a.names) == set(b.names):
        raise CLIError(
            f"{a.source} and {b.source} have the same columns in a different order "
            f"({_names(a.names)} vs {_names(b.names)}); columns are matched by name: choose "
            f"them and their order with --columns {','.join(a.names)} (or pass --by-position "
            "if the files are positional and a header is wrong)")
    only_a = [n for n in a.names if n not in b.names]
    only_b = [n for n in b.names if n not in a.names]
    common = [n for n in a.names if n in b.names]
    advice = (f"compare the common columns with --columns {','.join(common)}" if common
              else "no column name is common")
    raise CLIError(
        f"{a.source} and {b.source} have different columns (only in {a.source}: "
        f"{_names(only_a, 6) or '-'}; only in {b.source}: {_names(only_b, 6) or '-'}); "
        f"{advice}, or pass --by-position if the files are positional")


# --------------------------------------------------------------------------- Dask

#: ``divlab compare`` reads its inputs lazily and computes on a Dask cluster when X or Y is a
#: directory (of ``.npy`` or Parquet files, or a zarr store), when ``--dask`` or a cluster
#: option is given, or when the ``.npy``/Parquet inputs together take more than this
#: fraction of the memory available now (``DASK_AUTO_DEFAULT_BYTES`` when that is unknown):
#: read whole as float64 they might not fit. ``--no-dask`` reads them into memory anyway.
DASK_AUTO_FRACTION = 0.5
DASK_AUTO_DEFAULT_BYTES = 8 * 2**30

#: Defaults of the local cluster ``divlab compare --dask`` starts: worker processes, one
#: thread each, and the memory limit per worker (Dask spills to disk, then pauses, above it).
DASK_WORKERS, DASK_MEMORY_LIMIT = 2, "1.5GB"

#: Seconds to wait for the workers of a cluster to be up.
DASK_WAIT_S = 60

_LAZY_SUFFIXES = (".npy", ".parquet", ".pq")


def _auto_dask_bytes() -> int:
    from ._validate import available_memory

    avail = available_memory()
    return int(DASK_AUTO_FRACTION * avail) if avail else DASK_AUTO_DEFAULT_BYTES


def _cluster_flags(args: argparse.Namespace) -> list[str]:
    given = [("--scheduler", args.scheduler), ("--workers", args.workers),
             ("--memory-limit", args.memory_limit), ("--chunk-rows", args.chunk_rows)]
    return [flag for flag, value in given if value is not None]


def _use_dask(args: argparse.Namespace) -> bool:
    """Whether to read lazily and compute on a Dask cluster (see DASK_AUTO_FRACTION)."""
    flags = _cluster_flags(args)
    if args.dask is False:
        if flags:
            raise CLIError(f"--no-dask contradicts {', '.join(flags)}")
        return False
    if args.chunk_rows is not None and args.chunk_rows < 1:
        raise CLIError(f"--chunk-rows must be a positive integer, got {args.chunk_rows}")
    if args.dask or flags:
        return True
    paths = [args.x, args.y]
    if any(os.path.isdir(p) for p in paths):
        return True
    size = sum(os.path.getsize(p) for p in paths
               if os.path.isfile(p) and p.lower().endswith(_LAZY_SUFFIXES))
    return size > _auto_dask_bytes()


def _read_lazy(path: str, **kwargs: Any) -> Samples:
    """Open ``path`` lazily; a file no lazy reader knows (text, ``.npz``) is read into memory
    and wrapped as a Dask array (said in the notes)."""
    from .io_lazy import _dask, read_samples_lazy

    if os.path.isdir(path) or path.lower().endswith(_LAZY_SUFFIXES):
        return read_samples_lazy(path, **kwargs)
    from dataclasses import replace

    from ._array import default_chunk_rows

    _, da = _dask()  # a one-line error without Dask
    from .io import read_samples

    chunk_rows = kwargs.pop("chunk_rows", None)
    s = read_samples(path, **kwargs)
    rows = chunk_rows or default_chunk_rows(s.values.shape[1])
    return replace(s, values=da.from_array(s.values, chunks=(rows, -1)),
                   notes=(*s.notes, f"{path}: read into memory (only .npy, Parquet and zarr "
                                    "are read in chunks)"))


def _check_memory_limit(text: str) -> None:
    from dask.utils import parse_bytes

    if text.strip().lower() == "auto":
        return
    try:
        ok = parse_bytes(text) >= 0
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise CLIError(f"--memory-limit: cannot read {text!r} as a size (e.g. 1.5GB, 800MB, "
                       "auto; 0: no limit)")


def _start_client(args: argparse.Namespace) -> tuple[Any, Any]:
    """A ``distributed.Client`` and the ``LocalCluster`` started for it (None: --scheduler)."""
    import logging

    import distributed

    if args.scheduler is not None:
        extra = [f for f in _cluster_flags(args) if f in ("--workers", "--memory-limit")]
        if extra:
            raise CLIError(f"{', '.join(extra)} configure a local cluster; with --scheduler "
                           "the workers of that cluster are used")
        try:
            return distributed.Client(args.scheduler), None
        except Exception as exc:  # refused, timed out, malformed address
            raise CLIError(f"cannot connect to the Dask scheduler at {args.scheduler} "
                           f"({_one_line(exc)})") from None
    workers = DASK_WORKERS if args.workers is None else args.workers
    if workers < 1:
        raise CLIError(f"--workers must be at least 1, got {workers}")
    memory = DASK_MEMORY_LIMIT if args.memory_limit is None else args.memory_limit
    _check_memory_limit(memory)
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       memory_limit=memory, silence_logs=logging.ERROR)
    try:
        return distributed.Client(cluster), cluster
    except BaseException:
        cluster.close()
        raise


def _cluster_line(client: Any, local: bool) -> str:
    """One line: scheduler, workers, threads, memory limit, dashboard."""
    from dask.utils import format_bytes

    info = client.scheduler_info(n_workers=-1)
    workers = list(info.get("workers", {}).values())
    threads = sum(int(w.get("nthreads", 0)) for w in workers)
    limits = sorted({int(w.get("memory_limit") or 0) for w in workers})
    memory = ("no memory limit" if limits == [0] else
              "memory limit " + "/".join(format_bytes(m) for m in limits) + " per worker")
    dashboard = (client.dashboard_link if "dashboard" in info.get("services", {})
                 else "off (pip install bokeh)")
    kind = "local cluster" if local else "cluster"
    return (f"{kind} {client.scheduler.address}: {len(workers)} worker(s), {threads} "
            f"thread(s), {memory}, dashboard {dashboard}")


def _wait_and_describe(client: Any, cluster: Any, args: argparse.Namespace) -> str:
    """Wait for the workers; the cluster's line (printed on stderr, kept as a note)."""
    n = 1 if cluster is None else (args.workers or DASK_WORKERS)
    try:
        client.wait_for_workers(n, timeout=DASK_WAIT_S)
    except (TimeoutError, OSError):
        raise CLIError(f"the Dask scheduler at {client.scheduler.address} has no workers "
                       f"after {DASK_WAIT_S} s; start some (dask worker ADDRESS)") from None
    line = _cluster_line(client, cluster is not None)
    print(f"divlab: dask: {line}", file=sys.stderr)
    return f"computed on Dask, {line}"


@contextmanager
def _dask_cluster(args: argparse.Namespace) -> Iterator[str]:
    """Connect to ``--scheduler`` or start a LocalCluster; close what was started at the end
    (also on errors and Ctrl-C). Yields the one-line description printed on stderr."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise CLIError("computing on a Dask cluster needs dask.distributed: pip install "
                       "'dask[array]' distributed") from None
    with warnings.catch_warnings():
        # noise of a cluster's start: sockets probed for free ports, a dashboard port taken
        # (the line printed shows the one used)
        warnings.filterwarnings("ignore", category=ResourceWarning)
        warnings.filterwarnings("ignore", message=r"Port \d+ is already in use")
        client, cluster = _start_client(args)
        try:
            yield _wait_and_describe(client, cluster, args)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


# --------------------------------------------------------------------------- commands


def _column_note(names: list[str] | None, how: str, d: int) -> str:
    if names is None:
        return f"columns: {d}, {how}"
    shown = ", ".join(names[:20]) + (f", ... ({len(names) - 20} more)" if len(names) > 20
                                     else "")
    return f"columns ({d}, {how}): {shown}"


def _compare_kwargs(compare: Any, **kwargs: Any) -> dict[str, Any]:
    """Keywords the installed ``compare`` accepts (``standardize`` and ``feature_names`` came
    later); asking for a missing feature is an error, a missing name is only not passed."""
    import inspect

    params = inspect.signature(compare).parameters
    if kwargs.get("standardize") and "standardize" not in params:
        raise CLIError("--standardize needs a newer divlab.compare")
    return {k: v for k, v in kwargs.items() if k in params and v is not None}


#: POT imports every installed framework at its own import, to register a backend; the
#: ``divlab compare`` process hands POT NumPy arrays only, so it turns them off (when the user
#: has not set them): 1-3 s less start-up with PyTorch installed (docs/cli.rst).
POT_QUIET = ("POT_BACKEND_DISABLE_PYTORCH", "POT_BACKEND_DISABLE_JAX",
             "POT_BACKEND_DISABLE_TENSORFLOW", "POT_BACKEND_DISABLE_CUPY")


def _run_compare(a: Samples, b: Samples, names: list[str] | None, how: str,
                 args: argparse.Namespace, more_notes: tuple[str, ...]) -> Any:
    """``compare`` on two read datasets (arrays in memory or Dask arrays), with the notes."""
    from dataclasses import replace

    from .estimators import compare  # after the files: bad input fails fast

    categorical = {"auto": None, "categorical": True, "continuous": False}[args.data]
    extra = _compare_kwargs(compare, standardize=args.standardize or None,
                            feature_names=names)
    notes = (*a.notes, *b.notes, _column_note(names, how, a.values.shape[1]), *more_notes)
    try:
        report = compare(a.values, b.values, metrics=args.metrics,
                         n_resamples=args.n_resamples, alpha=args.alpha, rng=args.seed,
                         progress=args.progress, max_exact_n=args.max_exact_n,
                         categorical=categorical, **extra)
    except KeyboardInterrupt as exc:
        partial = getattr(exc, "report", None)
        if partial is not None:
            exc.report = replace(partial, notes=(*notes, *partial.notes))
        raise
    return replace(report, notes=(*notes, *report.notes),
                   extra={**report.extra, "column_matching": how,
                          "files": [a.source, b.source]})


def _cmd_compare(args: argparse.Namespace) -> int:
    if getattr(args, "program", False) and "ot" not in sys.modules:
        for var in POT_QUIET:
            os.environ.setdefault(var, "1")

    if args.demo:
        if args.x or args.y:
            raise CLIError("--demo uses built-in data; do not pass files with it")
        from ._demo import run_demo

        report = run_demo(n_resamples=args.n_resamples, rng=args.seed, progress=args.progress,
                          metrics=args.metrics, standardize=args.standardize)
    else:
        if not args.x or not args.y:
            raise CLIError("give two data files (divlab compare X Y) or --demo")
        cols = _parse_columns(args.columns)
        index = "drop" if args.drop_index else "refuse"
        lazy = _use_dask(args)
        if lazy:
            read: Any = _read_lazy
            opts: dict[str, Any] = {"chunk_rows": args.chunk_rows}
        else:
            from .io import read_samples as read

            opts = {}
        a = read(args.x, key=args.key, columns=cols, index=index, **opts)
        b = read(args.y, key=args.key_y or args.key, columns=cols, index=index, **opts)
        names, how = _match_columns(a, b, by_position=args.by_position)
        if lazy:
            with _dask_cluster(args) as where:
                report = _run_compare(a, b, names, how, args, (where,))
        else:
            report = _run_compare(a, b, names, how, args, ())
    _print_report(report, args)
    return EXIT_OK


def _print_report(report: Any, args: argparse.Namespace) -> None:
    if args.json:
        print(report.to_json())
    elif args.markdown:
        print(report.to_markdown(), end="")
    else:
        print(report)


def _cmd_info(args: argparse.Namespace) -> int:
    from .info import format_info, info

    d = info()
    print(json.dumps(d, indent=2) if args.json else format_info(d))
    return EXIT_OK


def _metrics_help() -> str:
    from .estimators.metrics import METRIC_ALIASES, METRIC_TABLE, default_metrics

    rows = "\n".join(f"  {k:<10} {m.description}" for k, m in METRIC_TABLE.items())
    rows += "".join(f"\n  {k:<10} = {','.join(v)}" for k, v in METRIC_ALIASES.items())
    return (f"metrics (default: {','.join(default_metrics('continuous'))}; categorical data: "
            f"{','.join(default_metrics('categorical'))}):\n{rows}\n\n"
            "file formats: .csv/.tsv/.txt (header optional), .parquet, .npy, .npz (--key)\n\n"
            "larger than memory: a directory of .npy or Parquet files (sorted by name, same "
            "columns\nin each), or a zarr store (--key: array of a group), is read in chunks "
            "on a Dask\ncluster (a local one with --workers processes unless --scheduler); so "
            "are .npy/Parquet\nfiles with --dask or when larger than half of the available "
            "memory. The cluster is\nshown on stderr; Ctrl-C and errors close it.\n\n"
            "columns: matched by header name; two files whose names differ (or are in a "
            "different\norder) are refused unless --columns picks the same names from both "
            "or --by-position\nsays the files are positional. A first column that looks "
            "like a row index (empty\nheader cell, or 'index'/'Unnamed: 0'/'id' holding "
            "0..n-1 or 1..n) is refused:\n--drop-index drops it, --columns chooses the "
            "columns.\n\n"
            "examples:\n  divlab compare --demo\n  divlab compare train.csv test.csv "
            "--columns age,income --metrics kl,js,w1 --json\n"
            "  divlab compare a.npz b.npz --key features --n-resamples 500 --seed 1\n"
            "  divlab compare old.csv new.csv --drop-index --standardize\n"
            "  divlab compare features_a/ features_b/ --workers 4 --memory-limit 4GB --json\n"
            "  divlab compare a.parquet b.parquet --dask --scheduler tcp://10.0.0.5:8786\n\n"
            "exit status: 0 ok, 2 bad input (one-line message on stderr), 130 interrupted "
            "(Ctrl-C:\nthe metrics finished so far are printed)")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose epilog may be a callable, evaluated only when help is shown.

    The epilog of ``divlab compare`` lists the metrics, which live in the estimators; building
    it lazily keeps ``divlab --help`` and ``divlab info`` from importing them.
    """

    def format_help(self) -> str:
        if callable(self.epilog):
            self.epilog = self.epilog()
        return super().format_help()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``divlab`` command."""
    from . import __version__

    parser = _Parser(
        prog="divlab",
        description="divlab: divergences and distribution distances. "
                    "Compare two datasets, or show the installation.",
        epilog="Run 'divlab compare --help' for the comparison options.",
    )
    parser.add_argument("--version", action="version", version=f"divlab {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="{compare,info}", parser_class=_Parser)
    cmp_ = sub.add_parser(
        "compare", help="estimate divergences/distances between two datasets",
        description="Estimate how far apart two datasets are: KL, JS, Wasserstein, sliced "
                    "Wasserstein, MMD, energy distance, each with a confidence interval and "
                    "the p-value of a permutation test of 'same distribution'. Rows are "
                    "observations, columns are features.",
        epilog=_metrics_help, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmp_.add_argument("x", nargs="?", help="first dataset (sample of P)")
    cmp_.add_argument("y", nargs="?", help="second dataset (sample of Q)")
    cmp_.add_argument("--demo", action="store_true",
                      help="use built-in data (two 2-D Gaussians) and show the true values")
    cmp_.add_argument("--metrics", default=None,
                      help="comma-separated metric names (see below)")
    cmp_.add_argument("--columns", default=None,
                      help="comma-separated column names (or 0-based indices) to use, in this "
                           "order, from both files")
    cmp_.add_argument("--by-position", action="store_true",
                      help="pair the columns of the two files by position, not by name")
    cmp_.add_argument("--drop-index", action="store_true",
                      help="drop a first column that looks like a row index (pandas to_csv)")
    cmp_.add_argument("--standardize", action="store_true",
                      help="divide each column by its pooled standard deviation for the "
                           "scale-dependent metrics (W, sliced W, MMD, energy)")
    cmp_.add_argument("--key", default=None, help="array name inside .npz files")
    cmp_.add_argument("--key-y", default=None, help="array name inside the second .npz file "
                      "(default: --key)")
    cmp_.add_argument("--n-resamples", type=int, default=200,
                      help="half-samples per CI and relabellings per test (default 200; 0: none)")
    cmp_.add_argument("--alpha", type=float, default=0.05,
                      help="CI level is 1 - alpha (default 0.05)")
    cmp_.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    cmp_.add_argument("--max-exact-n", type=int, default=2000,
                      help="exact OT on at most this many points per sample (default 2000)")
    cmp_.add_argument("--data", choices=("auto", "continuous", "categorical"), default="auto",
                      help="estimator family (default: detect)")
    big = cmp_.add_argument_group(
        "data larger than memory (Dask)",
        "read the inputs in chunks and compute on a dask.distributed cluster; the default\n"
        "when X or Y is a directory (of .npy or Parquet files, or a zarr store) or when\n"
        "the .npy/Parquet inputs are larger than half of the available memory")
    lazy = big.add_mutually_exclusive_group()
    lazy.add_argument("--dask", dest="dask", action="store_true", default=None,
                      help="read lazily and compute on a Dask cluster (implied by the "
                           "options below)")
    lazy.add_argument("--no-dask", dest="dask", action="store_false",
                      help="read the inputs into memory even when large")
    big.add_argument("--scheduler", metavar="ADDRESS", default=None,
                     help="address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786); "
                          "default: start a local cluster")
    big.add_argument("--workers", type=int, default=None, metavar="N",
                     help=f"worker processes of the local cluster, 1 thread each (default "
                          f"{DASK_WORKERS})")
    big.add_argument("--memory-limit", default=None, metavar="SIZE",
                     help=f"memory limit per local worker (default {DASK_MEMORY_LIMIT}; "
                          "'auto': RAM / workers; 0: none)")
    big.add_argument("--chunk-rows", type=int, default=None, metavar="N",
                     help="rows per chunk (default: ~64 MiB per .npy chunk, one Parquet row "
                          "group, the zarr chunks)")
    out = cmp_.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the report as JSON")
    out.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    prog = cmp_.add_mutually_exclusive_group()
    prog.add_argument("--progress", dest="progress", action="store_true", default=None,
                      help="show a progress bar (default: only on a terminal)")
    prog.add_argument("--no-progress", dest="progress", action="store_false")
    cmp_.set_defaults(func=_cmd_compare)
    inf = sub.add_parser("info", help="versions, array backends and CUDA devices",
                         description="Show versions of divlab and its dependencies, the array "
                                     "backends found and the CUDA devices (or 'none').")
    inf.add_argument("--json", action="store_true", help="print as JSON")
    inf.set_defaults(func=_cmd_info)
    return parser


def _one_line(exc: BaseException | str) -> str:
    msg = " ".join(str(exc).split())
    return msg or type(exc).__name__


#: Python keywords of compare() named in messages, and the command-line flag for each.
_FLAGS = {"standardize": "--standardize", "n_resamples": "--n-resamples",
          "max_exact_n": "--max-exact-n", "metrics": "--metrics", "alpha": "--alpha",
          "rng": "--seed", "columns": "--columns", "categorical": "--data"}
_KEYWORD = re.compile(r"`?\b(" + "|".join(_FLAGS) + r")\s*=\s*(\w+)`?|`(" + "|".join(_FLAGS)
                      + r")`")


#: Python-level advice in estimator warnings, and what to do on the command line instead.
_REWRITES = (
    (re.compile(r"\(e\.g\. plugin_\w+\([^()]*\)\)"), "(--data categorical)"),
    (re.compile(r"details\['(\w+)'\]"), r"details.\1 in --json"),
)


def _cli_advice(message: str) -> str:
    """Rewrite Python advice for the command line: ``standardize=True`` becomes
    ``--standardize``, ``plugin_kl(x, y, bins='categorical')`` becomes ``--data categorical``
    (keywords are left alone where the message already names the flags)."""
    has_flags = re.search(r"(?<![\w-])--[a-z]", message) is not None
    for pattern, repl in _REWRITES:
        message = pattern.sub(repl, message)
    if has_flags:
        return message

    def flag(m: re.Match) -> str:
        key, value = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), None)
        if key == "standardize":
            return "--standardize" if value in (None, "True") else "(no --standardize)"
        if key == "categorical" and value in ("True", "False"):
            return "--data " + ("categorical" if value == "True" else "continuous")
        return _FLAGS[key] + (f" {value}" if value not in (None, "True") else "")

    return _KEYWORD.sub(flag, message)


def _show_warning(message: Any, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """``warnings.showwarning`` of the command line: one line, CLI advice, no source line."""
    from .errors import DivlabWarning

    text = _cli_advice(_one_line(str(message)))
    if not issubclass(category, DivlabWarning):
        text += f" ({category.__name__})"
    try:
        print(f"divlab: warning: {text}", file=sys.stderr if file is None else file)
    except OSError:
        pass


def _stdout_to_devnull() -> None:
    """After EPIPE: point stdout at /dev/null so that the interpreter's final flush is silent
    (the recipe of the Python docs, 'Note on SIGPIPE' in the signal module)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout without a file descriptor (tests): nothing is flushed at exit


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Exit status 0 on success; 2 on bad input or options, after one line ``divlab: error: ...``
    on stderr; 130 on Ctrl-C (the metrics finished by then are printed first); 1 when stdout
    is closed early (``divlab compare ... | head -1``), without a message, as the Python docs
    recommend for a closed pipe. Warnings are printed as one line each, with the flag to use.
    """
    from .errors import CompareInterrupted, DivlabError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help / --version / usage errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_INPUT
    args.program = argv is None  # the divlab program itself, not a call from Python
    if args.command is None:
        print("divlab: error: a command is required: compare or info (e.g. divlab compare "
              "--demo; divlab --help lists everything)", file=sys.stderr)
        return EXIT_INPUT
    with warnings.catch_warnings():
        warnings.simplefilter("default")  # each distinct warning once
        warnings.showwarning = _show_warning
        try:
            status = int(args.func(args))
            sys.stdout.flush()
            return status
        except BrokenPipeError:
            _stdout_to_devnull()
            return 1
        except (CLIError, DivlabError, ValueError, TypeError, OSError, MemoryError) as exc:
            print(f"divlab: error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_INPUT
        except KeyboardInterrupt as exc:
            partial = exc.report if isinstance(exc, CompareInterrupted) else None
            done = len(partial.rows) if partial is not None else 0
            try:
                if partial is not None and partial.rows:
                    _print_report(partial, args)
                    sys.stdout.flush()
            except BrokenPipeError:
                _stdout_to_devnull()
            print(f"divlab: interrupted (Ctrl-C); {done} metric(s) had finished"
                  + (" and are shown above" if done else ""), file=sys.stderr)
            return EXIT_INTERRUPTED
