"""The ``divlab`` command line: ``divlab compare`` and ``divlab info``.

``divlab compare a.csv b.parquet`` estimates how far apart two datasets are (see
:func:`divlab.compare`); ``divlab compare --demo`` runs on built-in data with known true
values; ``divlab info`` prints versions, backends and CUDA devices. Files are read by
:mod:`divlab.io`; columns are matched by header name (``--columns``, ``--by-position``), a
row-index first column is refused (``--drop-index``). Bad input ends with a one-line message
on stderr and exit status 2 (no traceback); warnings are one line each with the flag to use;
Ctrl-C prints the metrics already finished (exit 130); a closed stdout pipe ends quietly
(exit 1, the recipe of the Python docs).

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
from collections.abc import Sequence
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


def _cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import replace

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
        from .io import read_samples

        cols = _parse_columns(args.columns)
        index = "drop" if args.drop_index else "refuse"
        a = read_samples(args.x, key=args.key, columns=cols, index=index)
        b = read_samples(args.y, key=args.key_y or args.key, columns=cols, index=index)
        names, how = _match_columns(a, b, by_position=args.by_position)
        from .estimators import compare  # after the files: bad input fails fast

        categorical = {"auto": None, "categorical": True, "continuous": False}[args.data]
        extra = _compare_kwargs(compare, standardize=args.standardize or None,
                                feature_names=names)
        notes = (*a.notes, *b.notes, _column_note(names, how, a.values.shape[1]))
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
        report = replace(report, notes=(*notes, *report.notes),
                         extra={**report.extra, "column_matching": how,
                                "files": [a.source, b.source]})
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
            "columns: matched by header name; two files whose names differ (or are in a "
            "different\norder) are refused unless --columns picks the same names from both "
            "or --by-position\nsays the files are positional. A first column that looks "
            "like a row index (empty\nheader cell, or 'index'/'Unnamed: 0'/'id' holding "
            "0..n-1 or 1..n) is refused:\n--drop-index drops it, --columns chooses the "
            "columns.\n\n"
            "examples:\n  divlab compare --demo\n  divlab compare train.csv test.csv "
            "--columns age,income --metrics kl,js,w1 --json\n"
            "  divlab compare a.npz b.npz --key features --n-resamples 500 --seed 1\n"
            "  divlab compare old.csv new.csv --drop-index --standardize\n\n"
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
