"""The ``divlab`` command line: ``divlab compare`` and ``divlab info``.

``divlab compare a.csv b.npy`` estimates how far apart two datasets are (see
:func:`divlab.compare`); ``divlab compare --demo`` runs on built-in data with known true
values; ``divlab info`` prints versions, backends and CUDA devices. Bad input ends with a
one-line message on stderr and exit status 2 (no traceback).

Start-up is kept short: NumPy and the estimators are imported only by the command that needs
them, so ``divlab --help`` and ``divlab info`` load neither SciPy's statistics nor POT nor
matplotlib (``tests/test_startup.py`` checks what each one imports).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

__all__ = ["main", "load_samples", "CLIError"]

EXIT_OK, EXIT_INPUT = 0, 2


class CLIError(Exception):
    """A problem with the command-line input (shown as one line, exit status 2)."""


# --------------------------------------------------------------------------- loading


def _parse_columns(spec: str | None) -> list[str] | None:
    if spec is None:
        return None
    cols = [c.strip() for c in spec.split(",") if c.strip()]
    if not cols:
        raise CLIError("--columns is empty")
    return cols


def _select_indices(cols: list[str] | None, header: list[str] | None, ncol: int,
                    path: str) -> list[int]:
    if cols is None:
        return list(range(ncol))
    out = []
    for c in cols:
        if header is not None and c in header:
            out.append(header.index(c))
            continue
        try:
            i = int(c)
        except ValueError:
            where = f"; columns are: {', '.join(header)}" if header else " (the file has no header)"
            raise CLIError(f"{path}: no column named {c!r}{where}") from None
        if not -ncol <= i < ncol:
            raise CLIError(f"{path}: column index {i} out of range (the file has {ncol} columns)")
        out.append(i % ncol)
    return out


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _load_text(path: str, cols: list[str] | None) -> np.ndarray:
    import numpy as np

    delim = "\t" if path.lower().endswith((".tsv", ".tab")) else ","
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.reader(fh, delimiter=delim) if r and any(c.strip() for c in r)]
    if not rows:
        raise CLIError(f"{path}: the file has no data rows")
    first = [c.strip() for c in rows[0]]
    header = first if any(c and not _is_number(c) for c in first) else None
    body = rows[1:] if header is not None else rows
    if not body:
        raise CLIError(f"{path}: the file has a header but no data rows")
    ncol = len(header) if header is not None else len(body[0])
    idx = _select_indices(cols, header, ncol, path)
    out = np.empty((len(body), len(idx)))
    line0 = 2 if header is not None else 1
    for r, row in enumerate(body):
        if len(row) != ncol:
            raise CLIError(f"{path}: line {r + line0} has {len(row)} fields, expected {ncol}")
        for j, c in enumerate(idx):
            cell = row[c].strip()
            try:
                v = float(cell)
            except ValueError:
                name = f"{header[c]!r} ({c})" if header is not None else str(c)
                raise CLIError(
                    f"{path}: column {name} is not numeric (line {r + line0}: {cell!r}); "
                    "choose numeric columns with --columns") from None
            out[r, j] = v
    return out


def _load_binary(path: str, key: str | None, cols: list[str] | None) -> np.ndarray:
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise CLIError(f"{path}: cannot read ({exc})") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            keys = list(data.keys())
            if key is None:
                if len(keys) != 1:
                    raise CLIError(f"{path}: holds arrays {', '.join(keys)}; choose one with --key")
                key = keys[0]
            if key not in keys:
                raise CLIError(f"{path}: no array {key!r}; it holds {', '.join(keys)}")
            arr = data[key]
    else:
        arr = data
    if arr.dtype.kind not in "biuf":
        raise CLIError(f"{path}: array has dtype {arr.dtype}, which is not numeric")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise CLIError(f"{path}: expected a 1-D or 2-D array, got shape {arr.shape}")
    idx = _select_indices(cols, None, arr.shape[1], path)
    return np.asarray(arr[:, idx], dtype=np.float64)


def load_samples(path: str, *, key: str | None = None, columns: str | None = None) -> np.ndarray:
    """Read a sample matrix (rows = observations) from ``.npy``, ``.npz``, ``.csv`` or ``.tsv``.

    CSV/TSV files may have a header row (detected: a first row with a non-numeric field);
    ``columns`` is a comma-separated list of column names or 0-based indices.

    Raises
    ------
    CLIError
        Missing/unreadable file, unknown extension, non-numeric column, NaN/inf values.
    """
    import numpy as np

    if not os.path.exists(path):
        raise CLIError(f"file not found: {path}")
    if os.path.isdir(path):
        raise CLIError(f"{path} is a directory, not a data file")
    cols = _parse_columns(columns)
    low = path.lower()
    if low.endswith((".npy", ".npz")):
        arr = _load_binary(path, key, cols)
    elif low.endswith((".csv", ".tsv", ".tab", ".txt")):
        arr = _load_text(path, cols)
    else:
        raise CLIError(f"{path}: unknown file type; use .npy, .npz, .csv or .tsv")
    if arr.shape[0] == 0:
        raise CLIError(f"{path}: no rows")
    bad = ~np.isfinite(arr)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        what = "NaN" if np.isnan(arr[r, c]) else "an infinite value"
        raise CLIError(f"{path}: {what} in row {r} column {c} "
                       f"({int(bad.sum())} non-finite value(s)); remove or impute them first")
    return arr


# --------------------------------------------------------------------------- commands


def _cmd_compare(args: argparse.Namespace) -> int:
    from .estimators import compare

    if args.demo:
        if args.x or args.y:
            raise CLIError("--demo uses built-in data; do not pass files with it")
        from ._demo import run_demo

        report = run_demo(n_resamples=args.n_resamples, rng=args.seed, progress=args.progress,
                          metrics=args.metrics)
    else:
        if not args.x or not args.y:
            raise CLIError("give two data files (divlab compare X Y) or --demo")
        x = load_samples(args.x, key=args.key, columns=args.columns)
        y = load_samples(args.y, key=args.key_y or args.key, columns=args.columns)
        if x.shape[1] != y.shape[1]:
            raise CLIError(f"dimension mismatch: {args.x} has {x.shape[1]} column(s), "
                           f"{args.y} has {y.shape[1]}")
        categorical = {"auto": None, "categorical": True, "continuous": False}[args.data]
        report = compare(x, y, metrics=args.metrics, n_resamples=args.n_resamples,
                         alpha=args.alpha, rng=args.seed, progress=args.progress,
                         max_exact_n=args.max_exact_n, categorical=categorical)
    if args.json:
        print(report.to_json())
    elif args.markdown:
        print(report.to_markdown(), end="")
    else:
        print(report)
    return EXIT_OK


def _cmd_info(args: argparse.Namespace) -> int:
    from .info import format_info, info

    d = info()
    print(json.dumps(d, indent=2) if args.json else format_info(d))
    return EXIT_OK


def _metrics_help() -> str:
    from .estimators.compare import DEFAULT_METRICS, METRICS

    rows = "\n".join(f"  {k:<10} {v}" for k, v in METRICS.items())
    return (f"metrics (default: {','.join(DEFAULT_METRICS)}):\n{rows}\n\n"
            "file formats: .npy, .npz (--key), .csv/.tsv (numeric columns, header optional)\n\n"
            "examples:\n  divlab compare --demo\n  divlab compare train.csv test.csv "
            "--columns age,income --metrics kl,js,w1 --json\n"
            "  divlab compare a.npz b.npz --key features --n-resamples 500 --seed 1\n\n"
            "exit status: 0 ok, 2 bad input (one-line message on stderr)")


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
                      help="comma-separated column names or 0-based indices to use")
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


def _one_line(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    return msg or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    from .errors import DivlabError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help / --version / usage errors
        return int(exc.code) if isinstance(exc.code, int) else EXIT_INPUT
    if args.command is None:
        print("divlab: error: a command is required: compare or info (e.g. divlab compare "
              "--demo; divlab --help lists everything)", file=sys.stderr)
        return EXIT_INPUT
    try:
        return int(args.func(args))
    except (CLIError, DivlabError, ValueError, TypeError, OSError, MemoryError) as exc:
        print(f"divlab: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("divlab: interrupted", file=sys.stderr)
        return 130
