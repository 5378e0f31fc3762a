"""Reading datasets: files (CSV/TSV, Parquet, ``.npy``, ``.npz``) and data frames, with names.

Two doors lead data into :func:`divlab.compare`:

* :func:`as_samples` converts a pandas or polars ``DataFrame``/``Series`` or a pyarrow
  ``Table`` into an array and its column names (any other object, e.g. a NumPy, CuPy or
  PyTorch array, passes through unchanged). pandas and polars are never imported by divlab:
  an object is recognised by the module its type comes from.
* :func:`read_samples` reads a file (the ``divlab compare`` command line uses it). CSV/TSV
  and Parquet files are read by `pyarrow <https://arrow.apache.org/docs/python/csv.html>`_
  (multithreaded, maintained; ``benchmarks/bench_io.py``, 85 MB CSV on 2 cores: 1.0 s
  against 4.2 s for ``numpy.loadtxt`` and 14 s for the csv-module reader divlab used before,
  peak memory 162 MiB, 33 MiB and 422 MiB), ``.npy`` files are memory-mapped, so only the
  selected columns are copied.

Both name what is wrong in one line: a missing cell (empty, ``NA``, ``nan``, ``null``, ...) is
reported as *missing* with its column and first row, a text column as *not numeric* with its
first offending value; malformed files (a non-zip ``.npz``, a broken ``.npy`` header, an
over-long line, a device such as ``/dev/zero``) raise :class:`~divlab.errors.InputError`,
never a traceback from deep inside a parser.

A first column that looks like a row index -- an empty header cell (what pandas ``to_csv``
and R ``write.csv`` write for the index) or a column named like ``index``, ``Unnamed: 0``
or ``id`` (or, in files without a header, any first column) holding exactly the row numbers
``0..n-1`` or ``1..n`` -- is refused by :func:`read_samples` unless ``index="drop"`` (drop it)
or ``index="keep"``, and draws a :class:`~divlab.errors.DivlabWarning` from
:func:`as_samples`: compared as a feature, it makes two identical datasets look different.
"""

from __future__ import annotations

import os
import stat
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import DivlabWarning, DTypeError, EmptyInputError, InputError, NonFiniteError

__all__ = ["Samples", "as_samples", "read_samples", "load_samples", "INDEX_NAMES",
           "FILE_TYPES"]

#: File name endings :func:`read_samples` understands, by reader.
FILE_TYPES: dict[str, tuple[str, ...]] = {
    "text": (".csv", ".tsv", ".tab", ".txt"),
    "parquet": (".parquet", ".pq"),
    "numpy": (".npy", ".npz"),
}

#: Header names (compared in lower case) that mark a first column as a candidate row index.
INDEX_NAMES = frozenset({"", "index", "unnamed: 0", "id", "idx", "row", "rowid", "row_id",
                         "row.names", "rownames", "level_0"})

#: Longest first line (header) read when sniffing a text file, and largest CSV block.
MAX_LINE_BYTES = 64 * 2**20

_SHOW = 12  # names listed in a message before "... (k more)"


@dataclass(frozen=True)
class Samples:
    """A sample matrix read from a file, with its column names.

    Attributes
    ----------
    values : numpy.ndarray, shape (n, d)
        float64; rows are observations.
    names : tuple of str or None
        Column names (header, Parquet schema), or ``None`` for files without names.
    source : str
        The path it came from.
    notes : tuple of str
        What the reader did that the user should know (an index column dropped, ...).
    """

    values: np.ndarray
    names: tuple[str, ...] | None
    source: str
    notes: tuple[str, ...] = ()


# --------------------------------------------------------------------------- messages


def _short(value: Any, width: int = 40) -> str:
    """``repr`` of a cell or name, cut to ``width`` characters (a field may be megabytes)."""
    s = value if isinstance(value, str) else str(value)
    if len(s) > width:
        return repr(s[:width]) + f"... ({len(s)} characters)"
    return repr(s)


def _name_list(names: Sequence[str], limit: int = _SHOW) -> str:
    shown = ", ".join(_short(n, 30) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _one_line(text: str, width: int = 300) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= width else s[: width - 3] + "..."


# --------------------------------------------------------------------------- index columns


def _range_start(col: np.ndarray) -> int | None:
    """0 or 1 when ``col`` is exactly ``start, start+1, ..., start+n-1`` (n >= 3), else None."""
    n = col.shape[0]
    if n < 3 or col.dtype.kind not in "biuf" or col[0] not in (0, 1):
        return None
    start = int(col[0])
    if col[-1] != start + n - 1:
        return None
    return start if np.array_equal(col, np.arange(start, start + n, dtype=col.dtype)) else None


def _index_reason(names: Sequence[str] | None, first: np.ndarray | None) -> str | None:
    """Why the first column looks like a row index, or None.

    ``names`` are all column names (None: the source has none); ``first`` the first column's
    values (None: not numeric / not read).
    """
    if names is not None:
        name = names[0].strip()
        if name == "" and len(names) >= 2 and any(n.strip() for n in names[1:]):
            return ("its header cell is empty, as pandas to_csv and R write.csv write the row "
                    "index")
        if name.lower() not in INDEX_NAMES:
            return None
    if first is None:
        return None
    start = _range_start(first)
    if start is None:
        return None
    label = "its values are" if names is None else f"it is named {_short(names[0])} and holds"
    return f"{label} the row numbers {start}..{start + first.shape[0] - 1}"


def _index_error(label: str, reason: str) -> InputError:
    return InputError(
        f"{label}: the first column looks like a row index ({reason}); compared as a feature it "
        "makes identical data look different. Drop it (divlab compare --drop-index; "
        "index='drop' in Python) or choose the columns (--columns)")


# --------------------------------------------------------------------------- column selection


def _resolve(columns: Sequence[str | int], names: Sequence[str] | None, ncol: int,
             label: str) -> list[int]:
    """0-based positions of ``columns`` (names, or 0-based indices where no name matches)."""
    out = []
    for c in columns:
        if isinstance(c, str) and names is not None and c in names:
            if list(names).count(c) > 1:
                raise InputError(f"{label}: the column name {_short(c)} appears "
                                 f"{list(names).count(c)} times; select by 0-based index")
            out.append(list(names).index(c))
            continue
        try:
            i = int(c) if not isinstance(c, bool) else None
        except (TypeError, ValueError):
            i = None
        if i is None:
            where = (f"; the columns are: {_name_list(names)}" if names is not None
                     else " (it has no column names; select columns by 0-based index)")
            raise InputError(f"{label}: no column named {_short(c)}{where}")
        if not -ncol <= i < ncol:
            raise InputError(f"{label}: column index {i} out of range (it has {ncol} columns)")
        out.append(i % ncol)
    return out


def _parse_columns(columns: str | Sequence[str | int] | None) -> list[str | int] | None:
    if columns is None:
        return None
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    cols = list(columns)
    if not cols:
        raise InputError("`columns` is empty")
    return cols


# --------------------------------------------------------------------------- arrow columns


def _arrow_to_matrix(cols: list[Any], names: Sequence[str] | None, label: str,
                     where: Callable[[int], str]) -> np.ndarray:
    """Copy pyarrow (chunked) arrays into one (n, d) float64 matrix; name non-numeric columns.

    ``cols`` is emptied while copying, so each column's buffers can be freed as soon as it has
    been copied (peak memory: the matrix plus what is still held elsewhere).
    """
    import pyarrow as pa

    def col_name(j: int) -> str:
        return f"column {_short(names[j])}" if names is not None else f"column {j}"

    bad = []
    for j, col in enumerate(cols):
        t = col.type
        if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                or pa.types.is_decimal(t) or pa.types.is_null(t)):
            bad.append(j)
    if bad:
        j = bad[0]
        first = ""
        if pa.types.is_string(cols[j].type) or pa.types.is_large_string(cols[j].type):
            for r, v in enumerate(cols[j].to_pylist()):
                if v is None:
                    continue
                try:
                    float(v)
                except ValueError:
                    first = f" ({where(r)}: {_short(v)})"
                    break
        more = ""
        if len(bad) > 1:
            others = [names[k] if names is not None else str(k) for k in bad[1:]]
            more = f"; also not numeric: {_name_list(others, 6)}"
        raise DTypeError(f"{label}: {col_name(j)} is not numeric (type {cols[j].type}){first}"
                         f"{more}; choose numeric columns (--columns)")
    n = len(cols[0]) if cols else 0
    out = np.empty((n, len(cols)), dtype=np.float64)
    for j in range(len(cols)):
        col, cols[j] = cols[j], None
        if pa.types.is_null(col.type):
            out[:, j] = np.nan
            continue
        chunks = col.chunks if hasattr(col, "chunks") else [col]
        off = 0
        for ch in chunks:
            k = len(ch)
            if not pa.types.is_float64(ch.type):  # ints, bools, decimals; nulls become NaN
                ch = ch.cast(pa.float64(), safe=False)
            out[off:off + k, j] = ch.to_numpy(zero_copy_only=False)
            off += k
        del col, chunks
    return out


def _check_finite(values: np.ndarray, names: Sequence[str] | None, label: str,
                  where: Callable[[int], str]) -> None:
    """Name the first column with a missing (NaN/empty/NA) or infinite value, and its row."""
    finite = np.isfinite(values)
    if finite.all():
        return
    bad_cols = np.flatnonzero(~finite.all(axis=0))
    j = int(bad_cols[0])
    col_bad = ~finite[:, j]
    r = int(np.argmax(col_bad))
    name = f"column {_short(names[j])}" if names is not None else f"column {j}"
    nan = np.isnan(values[:, j])
    n_missing, n_inf = int(nan.sum()), int(col_bad.sum() - nan.sum())
    others = ""
    if bad_cols.size > 1:
        rest = bad_cols[1:].tolist()
        others = ("; also in " + (_name_list([names[k] for k in rest], 6) if names is not None
                                  else "column " + ", ".join(map(str, rest[:6]))))
    if nan[r]:
        what = (f"{name} has {n_missing} missing value(s) (empty, NA or NaN), the first in "
                f"{where(r)}")
        if n_inf:
            what += f", and {n_inf} infinite value(s)"
    else:
        what = f"{name} has {n_inf} infinite value(s), the first in {where(r)}"
        if n_missing:
            what += f", and {n_missing} missing value(s)"
    raise NonFiniteError(f"{label}: {what}{others}; remove or impute them first, or leave the "
                         "column out (--columns)")


def _finish(values: np.ndarray, names: tuple[str, ...] | None, label: str, index: str,
            check_index: bool, where: Callable[[int], str],
            notes: tuple[str, ...] = ()) -> Samples:
    """Index policy (on the first column), then the finite check, then a :class:`Samples`."""
    if check_index and index != "keep" and values.shape[1] >= 2:
        reason = _index_reason(names, values[:, 0])
        if reason is not None:
            if index == "refuse":
                raise _index_error(label, reason)
            what = _short(names[0]) if names is not None else "0"
            notes = (*notes, f"{label}: first column {what} dropped as a row index ({reason})")
            values = values[:, 1:]
            names = names[1:] if names is not None else None
    if values.shape[0] == 0:
        raise EmptyInputError(f"{label}: no data rows")
    if values.shape[1] == 0:
        raise EmptyInputError(f"{label}: no columns left to compare")
    _check_finite(values, names, label, where)
    return Samples(values, names, label, notes)


# --------------------------------------------------------------------------- text files


def _sniff(path: str, label: str, suffix: str) -> tuple[list[str] | None, int, str, int, int]:
    """Header names (or None), column count, delimiter, lines to skip before the data and the
    length of the first line."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    skipped = 0
    first = b""
    with open(path, "rb") as fh:
        while True:
            line = fh.readline(MAX_LINE_BYTES + 1)
            if not line:
                break
            if len(line) > MAX_LINE_BYTES:
                raise InputError(f"{label}: the first line is longer than "
                                 f"{MAX_LINE_BYTES // 2**20} MiB; is this a text table?")
            skipped += 1
            if line.strip():
                first = line
                break
    if not first:
        raise EmptyInputError(f"{label}: the file is empty")
    if first.startswith(b"\xef\xbb\xbf"):
        first = first[3:]
    first = first.rstrip(b"\r\n")
    if suffix in (".tsv", ".tab"):
        delim = "\t"
    else:
        candidates = (",", "\t", ";", " ") if suffix == ".txt" else (",", "\t", ";")
        delim = next((d for d in candidates if d.encode() in first.strip()), ",")
    read = pacsv.ReadOptions(autogenerate_column_names=True, block_size=len(first) + 1024,
                             use_threads=False)
    parse = pacsv.ParseOptions(delimiter=delim)
    try:
        row = pacsv.read_csv(pa.py_buffer(first + b"\n"), read_options=read,
                             parse_options=parse)
        numeric = all(pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_null(t)
                      or pa.types.is_boolean(t) for t in row.schema.types)
        ncol = row.num_columns
        if numeric:
            return None, ncol, delim, skipped - 1, len(first)
        types = {f: pa.string() for f in row.column_names}
        conv = pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                    null_values=[])
        row = pacsv.read_csv(pa.py_buffer(first + b"\n"), read_options=read,
                             parse_options=parse, convert_options=conv)
    except (pa.ArrowException, ValueError) as exc:
        raise InputError(f"{label}: cannot read the first line as {delim!r}-separated text "
                         f"({_one_line(exc, 120)}); is it UTF-8 text?") from None
    names = [_unquote(str(row.column(i)[0].as_py())) for i in range(ncol)]
    return names, ncol, delim, skipped, len(first)


def _unquote(name: str) -> str:
    """A header cell without surrounding blanks, and without quotes that followed a blank
    (``a, "b"``: the quotes of RFC 4180 only count right after the delimiter)."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = name[1:-1].replace('""', '"')
    return name


def _line_of_row(path: str, skip: int, row: int) -> int:
    """1-based line number of data row ``row`` (0-based), skipping blank lines as pyarrow does."""
    line_no, seen = 0, -1
    with open(path, "rb") as fh:
        for line_no, line in enumerate(fh, start=1):
            if line_no <= skip or not line.strip():
                continue
            seen += 1
            if seen == row:
                return line_no
    return line_no


def _read_text(path: str, label: str, suffix: str, columns: list[str | int] | None,
               index: str) -> Samples:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    header, ncol, delim, skip, width = _sniff(path, label, suffix)
    if columns is not None:
        sel = _resolve(columns, header, ncol, label)
    else:
        sel = list(range(ncol))
    notes: tuple[str, ...] = ()
    check_index = columns is None
    if check_index and index != "keep" and header is not None:
        reason = _index_reason(header, None)  # an empty first header cell: any values
        if reason is not None:
            if index == "refuse":
                raise _index_error(label, reason)
            sel = sel[1:]
            notes = (f"{label}: first column {_short(header[0])} dropped as a row index "
                     f"({reason})",)
            check_index = False
    internal = [f"c{i}" for i in range(ncol)]
    names = tuple(header[i] for i in sel) if header is not None else None

    def where(r: int) -> str:
        return f"line {_line_of_row(path, skip, r)}"

    include = [internal[i] for i in sel]

    def read(block: int, threads: bool, bad: list, typed: bool) -> Any:
        def handler(row: Any) -> str:
            bad.append(row)
            return "error"

        # typed: every column parsed as float64 (no type inference; less memory). A cell that
        # is not a number fails the typed read; the untyped one then names it (error path)
        types = {c: pa.float64() for c in include} if typed else None
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=internal, skip_rows=skip,
                                           block_size=block, use_threads=threads),
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(include_columns=include, column_types=types))

    # pyarrow's cost has a part per column and block: wide files get larger blocks
    block = min(max(1 << 20, 64 * width), MAX_LINE_BYTES)
    typed = True
    while True:
        bad: list = []
        try:
            table = read(block, True, bad, typed)
            break
        except pa.ArrowInvalid as exc:
            text = str(exc)
            if "straddling" in text and block < MAX_LINE_BYTES:
                block *= 8  # a line longer than the block: retry with larger blocks
                continue
            if typed and not bad and "conversion error" in text:
                typed = False
                continue
            if bad:
                row = bad[0]
                if row.number is None or row.number < 0:  # multithreaded: number unknown
                    again: list = []
                    try:
                        read(block, False, again, typed)
                    except pa.ArrowInvalid:
                        pass
                    row = again[0] if again else row
                at = (f"line {row.number}"  # pyarrow counts physical lines, skipped ones too
                      if row.number is not None and row.number >= 0 else "a line")
                raise InputError(f"{label}: {at} has {row.actual_columns} field(s), expected "
                                 f"{row.expected_columns} ({_short(row.text)})") from None
            raise InputError(f"{label}: cannot read as {delim!r}-separated text "
                             f"({_one_line(text, 160)})") from None
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{label}: cannot read as text ({_one_line(exc, 160)})") from None
    cols = [table.column(i) for i in range(table.num_columns)]
    del table
    values = _arrow_to_matrix(cols, names, label, where)
    return _finish(values, names, label, index, check_index, where, notes)


# --------------------------------------------------------------------------- parquet


def _read_parquet(path: str, label: str, columns: list[str | int] | None,
                  index: str) -> Samples:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
        schema = pf.schema_arrow
        meta = schema.pandas_metadata or {}
        pandas_index = [c for c in meta.get("index_columns", []) if isinstance(c, str)]
        all_names = [n for n in schema.names if n not in pandas_index]
        if columns is not None:
            sel = _resolve(columns, all_names, len(all_names), label)
        else:
            sel = list(range(len(all_names)))
        names = tuple(all_names[i] for i in sel)
        table = pf.read(columns=list(names), use_pandas_metadata=False)
    except InputError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{label}: cannot read as Parquet ({_one_line(exc, 160)})") from None
    notes: tuple[str, ...] = ()
    if pandas_index:
        notes = (f"{label}: pandas index column(s) {_name_list(pandas_index)} left out",)

    def where(r: int) -> str:
        return f"row {r + 1}"

    cols = [table.column(i) for i in range(table.num_columns)]
    del table
    values = _arrow_to_matrix(cols, names, label, where)
    return _finish(values, names, label, index, columns is None, where, notes)


# --------------------------------------------------------------------------- numpy files


def _npy_header(fh: Any) -> tuple[tuple[int, ...], np.dtype]:
    fmt = np.lib.format
    version = fmt.read_magic(fh)
    if version == (1, 0):
        shape, _, dtype = fmt.read_array_header_1_0(fh)
    else:
        shape, _, dtype = fmt.read_array_header_2_0(fh)
    return shape, dtype


def _check_array(arr_shape: tuple[int, ...], dtype: np.dtype, label: str) -> None:
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise DTypeError(f"{label}: array has dtype {dtype}, which is not numeric")
    if len(arr_shape) not in (1, 2):
        raise InputError(f"{label}: expected a 1-D or 2-D array, got shape {arr_shape}")


def _read_npz(path: str, label: str, key: str | None) -> np.ndarray:
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(f"{label}: not a valid .npz file (a zip archive of .npy arrays): "
                         f"{_one_line(exc, 120)}") from None
    with zf:
        members = {(n[:-4] if n.endswith(".npy") else n): n for n in zf.namelist()}
        keys = list(members)
        if not keys:
            raise EmptyInputError(f"{label}: the .npz archive holds no arrays")
        if key is None:
            if len(keys) != 1:
                raise InputError(f"{label}: holds arrays {_name_list(keys)}; choose one with "
                                 "--key")
            key = keys[0]
        if key not in members:
            raise InputError(f"{label}: no array {_short(key)}; it holds {_name_list(keys)}")
        info = zf.getinfo(members[key])
        where = f"{label}[{key}]"
        # a broken member can fail anywhere in zipfile, zlib or numpy's header parser: every
        # failure of this untrusted content becomes one InputError (memory errors excepted)
        try:
            with zf.open(info) as fh:
                shape, dtype = _npy_header(fh)
            _check_array(shape, dtype, where)
            need = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if need > info.file_size:
                raise InputError(f"{where}: the header promises {need} bytes of data, the "
                                 f"member holds {info.file_size}; the file is damaged")
            with zf.open(info) as fh:
                arr = np.lib.format.read_array(fh, allow_pickle=False)
        except (InputError, MemoryError):
            raise
        except Exception as exc:
            raise InputError(f"{where}: not a valid .npy array ({_one_line(exc, 120)})"
                             ) from None
    return arr


def _read_npy(path: str, label: str) -> np.ndarray:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except MemoryError:
        raise
    except Exception as exc:  # malformed header, truncated data: see _read_npz
        raise InputError(f"{label}: not a valid .npy file ({_one_line(exc, 120)})") from None
    _check_array(arr.shape, arr.dtype, label)
    return arr


def _read_numpy(path: str, label: str, key: str | None, columns: list[str | int] | None,
                index: str) -> Samples:
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic.startswith(b"PK"):
        arr = _read_npz(path, label, key)
    elif magic == b"\x93NUMPY":
        arr = _read_npy(path, label)
    else:
        raise InputError(f"{label}: not a .npy or .npz file (no NumPy or zip signature)")
    if arr.ndim == 1:
        arr = arr[:, None]
    sel = (_resolve(columns, None, arr.shape[1], label) if columns is not None
           else list(range(arr.shape[1])))
    try:
        values = np.asarray(arr[:, sel], dtype=np.float64)
    except (ValueError, OSError) as exc:
        raise InputError(f"{label}: cannot read the array data ({_one_line(exc, 120)})"
                         ) from None

    def where(r: int) -> str:
        return f"row {r}"

    return _finish(values, None, label, index, columns is None, where)


# --------------------------------------------------------------------------- public


def read_samples(
    path: str | os.PathLike,
    *,
    key: str | None = None,
    columns: str | Sequence[str | int] | None = None,
    index: str = "refuse",
) -> Samples:
    """Read a sample matrix (rows = observations) and its column names from a file.

    * ``.csv``, ``.tsv``/``.tab``, ``.txt``: a text table read by ``pyarrow.csv``
      (multithreaded); a header row is detected (a first row with a non-numeric cell); the
      delimiter is ``,`` (``.tsv``/``.tab``: tab; else tab or ``;`` when the first line has
      no comma, and for ``.txt`` also a single space, ``numpy.savetxt``'s default);
    * ``.parquet``, ``.pq``: Parquet, column names from the schema (the index pandas stores
      there is left out, with a note);
    * ``.npy``: a 1-D or 2-D numeric array, memory-mapped (only the selected columns are
      copied);
    * ``.npz``: choose the array with ``key`` (not needed when it holds one).

    Parameters
    ----------
    path : str or path-like
        A regular file (devices, FIFOs and directories are refused).
    key : str, optional
        Array name inside a ``.npz`` file.
    columns : str or sequence of str/int, optional
        Columns to use: names, or 0-based indices where no name matches; a string is split at
        commas. Default: every column (after the index policy below).
    index : {"refuse", "drop", "keep"}
        What to do when ``columns`` is not given and the first column looks like a row index
        (module docstring): raise, drop it (said in ``notes``) or keep it as a feature.

    Returns
    -------
    Samples
        ``values`` (float64, shape (n, d)), ``names`` (None without a header), ``source``,
        ``notes``.

    Raises
    ------
    InputError
        Missing, empty, malformed or non-regular file, unknown name ending, unknown column,
        row with the wrong number of fields, index-like first column.
    NonFiniteError
        Missing (empty, ``NA``, ``nan``, ...) or infinite cells: the column and first row.
    DTypeError
        A non-numeric column (its first non-numeric value) or array.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "a.csv")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("age,income\\n31,2.5e4\\n45,3.1e4\\n")
    >>> s = read_samples(path)
    >>> s.names, s.values.shape
    (('age', 'income'), (2, 2))
    """
    if index not in ("refuse", "drop", "keep"):
        raise InputError(f"`index` must be 'refuse', 'drop' or 'keep', got {index!r}")
    label = os.fspath(path)
    try:
        st = os.stat(label)
    except FileNotFoundError:
        raise InputError(f"file not found: {label}") from None
    except OSError as exc:
        raise InputError(f"{label}: cannot open ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{label} is a directory, not a data file")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{label} is not a regular file (a device, pipe or socket); save the "
                         "data to a file first")
    cols = _parse_columns(columns)
    suffix = os.path.splitext(label)[1].lower()
    if suffix in FILE_TYPES["text"]:
        return _read_text(label, label, suffix, cols, index)
    if suffix in FILE_TYPES["parquet"]:
        return _read_parquet(label, label, cols, index)
    if suffix in FILE_TYPES["numpy"]:
        return _read_numpy(label, label, key, cols, index)
    known = ", ".join(s for group in FILE_TYPES.values() for s in group)
    raise InputError(f"{label}: unknown file type; use one of {known}")


def load_samples(path: str | os.PathLike, *, key: str | None = None,
                 columns: str | Sequence[str | int] | None = None,
                 index: str = "refuse") -> np.ndarray:
    """The ``values`` of :func:`read_samples` (float64, shape (n, d)); same arguments."""
    return read_samples(path, key=key, columns=columns, index=index).values


# --------------------------------------------------------------------------- data frames


def _frame_where(index_labels: Any) -> Callable[[int], str]:
    def where(r: int) -> str:
        if index_labels is None:
            return f"row {r}"
        label = index_labels[r]
        return f"row {r}" if label == r else f"row {r} (index label {_short(label, 30)})"

    return where


def _from_pandas(obj: Any, name: str) -> tuple[np.ndarray, list[str] | None, Any]:
    pd = sys.modules["pandas"]
    is_num = pd.api.types.is_numeric_dtype
    is_bool = pd.api.types.is_bool_dtype
    if isinstance(obj, pd.Series):
        frame_dtypes = [obj.dtype]
        names = None if obj.name is None else [str(obj.name)]
    elif isinstance(obj, pd.DataFrame):
        frame_dtypes = list(obj.dtypes)
        names = [str(c) for c in obj.columns]
    else:
        raise DTypeError(f"`{name}` is a pandas {type(obj).__name__}; pass a DataFrame or "
                         "Series")
    bad = [i for i, dt in enumerate(frame_dtypes) if not (is_num(dt) or is_bool(dt))]
    if bad:
        which = [names[i] if names is not None else "values" for i in bad]
        raise DTypeError(f"`{name}`: column(s) {_name_list(which, 6)} (dtype "
                         f"{frame_dtypes[bad[0]]}) are not numeric; select the numeric columns "
                         "first, e.g. df.select_dtypes('number')")
    f32 = frame_dtypes and all(str(dt) == "float32" for dt in frame_dtypes)
    dtype = np.float32 if f32 else np.float64
    values = obj.to_numpy(dtype=dtype, na_value=np.nan)
    return values, names, obj.index


def _from_polars(obj: Any, name: str) -> tuple[np.ndarray, list[str] | None, Any]:
    pl = sys.modules["polars"]
    if isinstance(obj, pl.LazyFrame):
        raise DTypeError(f"`{name}` is a polars LazyFrame; call .collect() first")
    if isinstance(obj, pl.Series):
        dtypes, names = [obj.dtype], ([obj.name] if obj.name else None)
    elif isinstance(obj, pl.DataFrame):
        dtypes, names = list(obj.dtypes), list(obj.columns)
    else:
        raise DTypeError(f"`{name}` is a polars {type(obj).__name__}; pass a DataFrame or "
                         "Series")
    bad = [i for i, dt in enumerate(dtypes) if not (dt.is_numeric() or dt == pl.Boolean)]
    if bad:
        which = [names[i] if names is not None else "values" for i in bad]
        raise DTypeError(f"`{name}`: column(s) {_name_list(which, 6)} (dtype {dtypes[bad[0]]}) "
                         "are not numeric; select the numeric columns first, e.g. "
                         "df.select(cs.numeric())")
    f32 = dtypes and all(dt == pl.Float32 for dt in dtypes)
    target = pl.Float32 if f32 else pl.Float64
    values = obj.cast(target).to_numpy()  # nulls become NaN
    return values, names, None


def _from_arrow(obj: Any, name: str) -> tuple[np.ndarray, list[str] | None, Any]:
    pa = sys.modules["pyarrow"]
    if isinstance(obj, (pa.Table, pa.RecordBatch)):
        names = [str(c) for c in obj.column_names]
        cols = [obj.column(i) for i in range(obj.num_columns)]
    elif isinstance(obj, (pa.ChunkedArray, pa.Array)):
        names, cols = None, [obj]
    else:
        raise DTypeError(f"`{name}` is a pyarrow {type(obj).__name__}; pass a Table or Array")
    values = _arrow_to_matrix(cols, names, f"`{name}`", _frame_where(None))
    return values, names, None


def as_samples(obj: Any, *, name: str = "x") -> tuple[Any, list[str] | None]:
    """Convert a data frame or series to ``(array, column_names)``; pass arrays through.

    * pandas ``DataFrame``: ``(df.to_numpy(), [str(c) for c in df.columns])``; nullable dtypes
      (``Int64``, ``boolean``, ...) are converted, a missing value (``NA``, ``None``, NaN) is
      refused with its column and row;
    * pandas ``Series``: a 1-D array and ``[name]`` (``None`` when unnamed);
    * polars ``DataFrame`` / ``Series``, pyarrow ``Table`` / ``Array``: the same (nulls are
      refused as missing);
    * anything else (NumPy, CuPy, PyTorch, Dask arrays, lists, ...): ``(obj, None)``
      unchanged, validated later by the function it is for.

    The frame's row index is not data and is left out. Values are float64 (float32 when every
    column is float32). pandas/polars/pyarrow are not imported: the object is recognised by
    the module its type comes from, which the caller has already imported.

    Parameters
    ----------
    obj : any
        The data.
    name : str, default "x"
        The argument name used in messages.

    Returns
    -------
    array : array
        A NumPy array for frames and series; ``obj`` itself otherwise.
    column_names : list of str or None
        The column names (a series: its name), or ``None`` for plain arrays.

    Raises
    ------
    DTypeError
        A non-numeric column (names them), a polars ``LazyFrame``.
    NonFiniteError
        A missing (NaN, None, NA, null) or infinite value: the column and the first row.

    Warns
    -----
    DivlabWarning
        When the first of several columns looks like a row index (named ``Unnamed: 0``,
        ``index``, ``id``, ... and holding exactly ``0..n-1`` or ``1..n``): what
        ``pd.read_csv`` makes of a file written by ``to_csv()`` with its index.

    Examples
    --------
    >>> import numpy as np
    >>> a, names = as_samples(np.zeros((3, 2)))
    >>> names is None
    True
    """
    module = type(obj).__module__.partition(".")[0]
    if module == "pandas" and "pandas" in sys.modules:
        values, names, index_labels = _from_pandas(obj, name)
    elif module == "polars" and "polars" in sys.modules:
        values, names, index_labels = _from_polars(obj, name)
    elif module == "pyarrow" and "pyarrow" in sys.modules:
        values, names, index_labels = _from_arrow(obj, name)
    else:
        return obj, None
    matrix = values if values.ndim == 2 else values[:, None]
    if matrix.shape[1] >= 2 and matrix.shape[0] >= 3:
        reason = _index_reason(names, matrix[:, 0])
        if reason is not None and names is not None and names[0].strip():
            warnings.warn(
                f"`{name}`: the first column looks like a row index ({reason}); it is compared "
                "as a feature -- drop it first (e.g. df.drop(columns=...), or read the CSV "
                "with index_col=0)", DivlabWarning, stacklevel=2)
    _check_finite(matrix, names, f"`{name}`", _frame_where(index_labels))
    return values, names
