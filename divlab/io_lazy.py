r"""Reading datasets larger than memory as Dask arrays: ``.npy``, Parquet and zarr.

:func:`open_samples` opens a dataset *lazily*: only file headers (``.npy`` headers, Parquet
footers, zarr metadata) are read when it is called; the data is read chunk by chunk, by the
worker that needs it, when the Dask array is computed (on the threaded scheduler, or on a
``dask.distributed`` cluster when a ``Client`` is active; ``divlab compare --dask`` starts one).

* a ``.npy`` file, or a directory of them (sorted by file name; each a 1-D or 2-D numeric
  array, all with the same number of columns ``d`` and the same dtype): each chunk of at most
  ``chunk_rows`` rows of one file is one task, ``np.load(path, mmap_mode="r")[r0:r1]``;
* a Parquet file, or a directory of them: one task per row group, reading only the selected
  columns with ``pyarrow.parquet`` (column names from the schema; the index pandas stores
  there is left out, as :func:`divlab.io.read_samples` does);
* a zarr array or group (needs ``pip install zarr``): ``dask.array.from_zarr``.

The task graph holds only paths, row ranges and column lists -- never a memory map or the data
-- so it stays small and can be sent to worker processes. Every chunk is converted to
float64 (what :func:`divlab.io.read_samples` returns) and checked when it is read: a missing
(NaN, null) or infinite value raises :class:`~divlab.errors.NonFiniteError` naming the file,
the column and the first row, in the words of :mod:`divlab.io`. Parquet nulls are found
earlier, from the null counts in the file footers, when the file is opened.

A first column that looks like a row index (:mod:`divlab.io`) is refused unless
``index="drop"``/``"keep"``; lazily this is judged on the first rows of that column and its
last value (a column that starts ``0, 1, 2, ...``, is named like an index where the format has
names, and ends at ``n - 1``).

Memory: a worker holds one chunk (``chunk_rows`` x ``d`` float64; by default about 64 MiB)
plus what the computation keeps; a Parquet row group is read whole, so write Parquet files
with row groups of a size that fits a worker.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._array import default_chunk_rows
from .errors import (
    DivlabError,
    DTypeError,
    EmptyInputError,
    InputError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from .io import (
    FILE_TYPES,
    Samples,
    _arrow_to_matrix,
    _check_array,
    _check_finite,
    _index_error,
    _index_reason,
    _name_list,
    _npy_header,
    _one_line,
    _parse_columns,
    _resolve,
    _short,
)

__all__ = ["open_samples", "read_samples_lazy", "LAZY_TYPES", "MissingDependencyError"]

#: What :func:`open_samples` reads, by reader (directories of the first two as well).
LAZY_TYPES: dict[str, tuple[str, ...]] = {
    "numpy": (".npy",),
    "parquet": FILE_TYPES["parquet"],
    "zarr": (".zarr",),
}

#: Files of a zarr store (v2 and v3) whose presence makes a directory a zarr store.
_ZARR_MARKERS = (".zarray", ".zgroup", "zarr.json")

#: Rows of the first column read at open time to judge whether it is a row index.
_INDEX_HEAD = 10_000


class MissingDependencyError(DivlabError, ImportError):
    """An optional package needed for this input (Dask, zarr) is not installed."""


# --------------------------------------------------------------------------- imports


def _dask() -> tuple[Any, Any]:
    try:
        import dask
        import dask.array as da
    except ImportError:
        raise MissingDependencyError("reading data lazily needs Dask: pip install "
                                     "'dask[array]' distributed") from None
    return dask, da


def _delayed_block(dask: Any, da: Any, func: Callable, args: tuple, rows: int, d: int,
                   token: Any) -> Any:
    """One ``(rows, d)`` float64 chunk computed by ``func(*args)`` in a delayed task."""
    name = f"divlab-read-{dask.base.tokenize(func.__name__, token)}"
    task = dask.delayed(func, pure=True)(*args, dask_key_name=name)
    return da.from_delayed(task, shape=(rows, d), dtype=np.float64,
                           meta=np.empty((0, d), dtype=np.float64))


def _concat(da: Any, parts: list[Any], label: str) -> Any:
    if not parts:
        raise EmptyInputError(f"{label}: no data rows")
    return parts[0] if len(parts) == 1 else da.concatenate(parts, axis=0)


# --------------------------------------------------------------------------- chunk checks


def _check_chunk(values: np.ndarray, names: Sequence[str] | None, label: str, first: int,
                 base: int) -> np.ndarray:
    """Raise :class:`NonFiniteError` for a missing or infinite value of a chunk.

    ``first`` is the chunk's first row in its file, ``base`` 0 or 1 (how the format counts
    rows in :mod:`divlab.io`); counts in the message are those of the chunk, whose rows it
    names.
    """
    if values.size and not np.isfinite(values).all():
        last = first + values.shape[0] - 1

        def where(r: int) -> str:
            return f"row {first + r + base}"

        _check_finite(values, names, f"{label} (rows {first + base}-{last + base})", where)
    return values


# --------------------------------------------------------------------------- paths


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise InputError(f"file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from None


def _is_zarr(path: str, st: os.stat_result) -> bool:
    if not stat.S_ISDIR(st.st_mode):
        return False
    return path.rstrip("/\\").lower().endswith(".zarr") or any(
        os.path.exists(os.path.join(path, m)) for m in _ZARR_MARKERS)


def _kind(name: str) -> str | None:
    suffix = os.path.splitext(name)[1].lower()
    return next((k for k, s in LAZY_TYPES.items() if suffix in s and k != "zarr"), None)


def _list_dir(path: str) -> tuple[str, list[str], tuple[str, ...]]:
    """The reader, the data files (sorted by name) of a directory and notes on skipped files.

    Hidden files and those starting with ``_`` (``_SUCCESS``, ``_metadata``) are skipped
    silently, other files with a note.
    """
    try:
        entries = sorted(os.listdir(path))
    except OSError as exc:
        raise InputError(f"{path}: cannot list the directory ({exc.strerror or exc})") from None
    files: dict[str, list[str]] = {"numpy": [], "parquet": []}
    skipped = []
    for e in entries:
        full = os.path.join(path, e)
        if e.startswith((".", "_")) or not os.path.isfile(full):
            continue
        kind = _kind(e)
        if kind is None:
            skipped.append(e)
        else:
            files[kind].append(full)
    if files["numpy"] and files["parquet"]:
        raise InputError(f"{path}: holds both .npy and Parquet files "
                         f"({_name_list([os.path.basename(f) for f in files['numpy']], 3)}; "
                         f"{_name_list([os.path.basename(f) for f in files['parquet']], 3)}); "
                         "put each dataset in a directory of one format")
    kind = "numpy" if files["numpy"] else "parquet"
    if not files[kind]:
        text = [e for e in skipped if os.path.splitext(e)[1].lower() in FILE_TYPES["text"]]
        hint = (" (text files are not read lazily: convert them to Parquet or .npy, or "
                "pass one file without --dask)") if text else ""
        raise EmptyInputError(f"{path}: the directory holds no .npy or Parquet files{hint}")
    notes = ((f"{path}: {len(skipped)} file(s) of other types skipped "
              f"({_name_list(skipped, 6)})",) if skipped else ())
    return kind, files[kind], notes


# --------------------------------------------------------------------------- index column


def _index_policy(head: np.ndarray, last: float, n: int, names: Sequence[str] | None,
                  label: str, index: str) -> bool:
    """Whether to drop the first column as a row index (raise for ``index="refuse"``).

    ``head`` holds the first rows of the first column, ``last`` its last value, ``n`` the
    row count: the column counts as an index when ``head`` is ``s, s+1, ...`` (s = 0 or 1),
    ``last == s + n - 1`` and, where the format has names, its name is one of
    :data:`divlab.io.INDEX_NAMES`.
    """
    if index == "keep" or head.shape[0] < 3:
        return False
    reason = _index_reason(names, head)
    if reason is None:
        return False
    if not reason.startswith("its header cell is empty"):  # judged on the values
        if last != float(head[0]) + n - 1:
            return False
        start = int(head[0])
        reason = reason.replace(f"{start}..{start + head.shape[0] - 1}",
                                f"{start}..{start + n - 1}")
    if index == "refuse":
        raise _index_error(label, reason)
    return True


def _drop_note(label: str, names: Sequence[str] | None) -> str:
    what = _short(names[0]) if names is not None else "0"
    return f"{label}: first column {what} dropped as a row index"


# --------------------------------------------------------------------------- .npy


def _npy_info(path: str) -> tuple[tuple[int, int], np.dtype, bool]:
    """(rows, d), dtype and 1-D-ness of a ``.npy`` file, from its header only."""
    try:
        with open(path, "rb") as fh:
            shape, dtype = _npy_header(fh)
            offset = fh.tell()
    except MemoryError:
        raise
    except Exception as exc:  # not NPY, broken header: every failure is the file's fault
        raise InputError(f"{path}: not a valid .npy file ({_one_line(exc, 120)})") from None
    _check_array(shape, dtype, path)
    need = offset + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    size = os.path.getsize(path)
    if need > size:
        raise InputError(f"{path}: the header promises {need} bytes, the file holds {size}; "
                         "the file is damaged")
    rows, d = (shape[0], 1) if len(shape) == 1 else shape
    return (int(rows), int(d)), dtype, len(shape) == 1


def _load_npy(path: str, r0: int, r1: int, cols: tuple[int, ...] | None) -> np.ndarray:
    """Rows ``r0:r1`` (and ``cols``) of a ``.npy`` file as float64 (runs on a worker)."""
    arr = np.load(path, mmap_mode="r", allow_pickle=False)
    block = arr[r0:r1]
    if block.ndim == 1:
        block = block[:, None]
    if cols is not None:
        block = block[:, list(cols)]
    values = np.array(block, dtype=np.float64)  # a copy: the memory map is closed with arr
    del block, arr
    return _check_chunk(values, None, path, r0, 0)


def _npy_head(files: list[str]) -> np.ndarray:
    """The first :data:`_INDEX_HEAD` values of column 0 over the files (in order), so that
    files of fewer rows than that (even of 1 or 2 rows) do not hide an index column."""
    parts, got = [], 0
    for f in files:
        if got >= _INDEX_HEAD:
            break
        part = np.array(np.load(f, mmap_mode="r")[: _INDEX_HEAD - got, 0], dtype=np.float64)
        parts.append(part)
        got += part.shape[0]
    return np.concatenate(parts)


def _open_npy(files: list[str], label: str, columns: list[str | int] | None,
              chunk_rows: int | None, index: str) -> tuple[Any, None, tuple[str, ...]]:
    dask, da = _dask()
    infos = [_npy_info(f) for f in files]
    (_, d), dtype, _ = infos[0]
    for f, ((_, df), dt, _) in zip(files, infos, strict=True):
        if df != d:
            raise ShapeMismatchError(f"{label}: {files[0]} has {d} column(s), {f} has {df}; "
                                     "every file must have the same number of columns")
        if dt != dtype:
            raise DTypeError(f"{label}: {files[0]} has dtype {dtype}, {f} has {dt}; every "
                             "file must have the same dtype")
    sel = _resolve(columns, None, d, label) if columns is not None else None
    n = sum(rows for (rows, _), _, _ in infos)
    notes: tuple[str, ...] = ()
    if columns is None and d >= 2 and n >= 3:
        full = [f for f, ((rows, _), _, _) in zip(files, infos, strict=True) if rows]
        head = _npy_head(full)
        tail = float(np.load(full[-1], mmap_mode="r")[-1, 0])
        if _index_policy(head, tail, n, None, label, index):
            sel, notes = list(range(1, d)), (_drop_note(label, None),)
    cols = tuple(sel) if sel is not None else None
    width = len(cols) if cols is not None else d
    step = chunk_rows or default_chunk_rows(width)
    parts = []
    for f, ((rows, _), _, _) in zip(files, infos, strict=True):
        st = os.stat(f)
        for r0 in range(0, rows, step):
            r1 = min(r0 + step, rows)
            token = (os.path.abspath(f), st.st_size, st.st_mtime_ns, r0, r1, cols)
            parts.append(_delayed_block(dask, da, _load_npy, (f, r0, r1, cols), r1 - r0,
                                        width, token))
    return _concat(da, parts, label), None, notes


# --------------------------------------------------------------------------- Parquet


def _numeric_type(t: Any) -> bool:
    import pyarrow as pa

    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
            or pa.types.is_decimal(t) or pa.types.is_null(t))


def _parquet_file(path: str) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read as Parquet ({_one_line(exc, 160)})") from None


def _parquet_names(pf: Any) -> list[str]:
    schema = pf.schema_arrow
    meta = schema.pandas_metadata or {}
    pandas_index = {c for c in meta.get("index_columns", []) if isinstance(c, str)}
    return [n for n in schema.names if n not in pandas_index]


def _row_number(base: int) -> Callable[[int], str]:
    def where(r: int) -> str:
        return f"row {base + r + 1}"

    return where


def _check_parquet_types(pf: Any, path: str, names: list[str]) -> None:
    """Name the non-numeric columns (and the first bad value in the first row group)."""
    schema = pf.schema_arrow
    bad = [n for n in names if not _numeric_type(schema.field(n).type)]
    if not bad:
        return
    if pf.metadata.num_row_groups:
        table = pf.read_row_group(0, columns=bad, use_pandas_metadata=False)
        _arrow_to_matrix([table.column(i) for i in range(len(bad))], bad, path,
                         _row_number(0))
    raise DTypeError(f"{path}: column {_short(bad[0])} is not numeric (type "
                     f"{schema.field(bad[0]).type}); choose numeric columns (--columns)")


def _check_parquet_nulls(pf: Any, path: str, names: list[str]) -> None:
    """Refuse null cells, counted from the row-group statistics of the footer."""
    md = pf.metadata
    leaf = {md.schema.column(i).path: i for i in range(md.num_columns)}
    counts = dict.fromkeys(names, 0)
    first: dict[str, int] = {}
    start = 0
    for g in range(md.num_row_groups):
        rg = md.row_group(g)
        for name in names:
            st = rg.column(leaf[name]).statistics if name in leaf else None
            if st is not None and st.has_null_count and st.null_count:
                counts[name] += st.null_count
                first.setdefault(name, g)
        start += rg.num_rows
    bad = [n for n in names if counts[n]]
    if not bad:
        return
    name, g = bad[0], first[bad[0]]
    col = pf.read_row_group(g, columns=[name], use_pandas_metadata=False).column(0)
    r = next(i for i, v in enumerate(col.is_null().to_pylist()) if v)
    base = sum(md.row_group(k).num_rows for k in range(g))
    others = f"; also in {_name_list(bad[1:], 6)}" if len(bad) > 1 else ""
    raise NonFiniteError(
        f"{path}: column {_short(name)} has {counts[name]} missing value(s) (empty, NA or "
        f"NaN), the first in {_row_number(base)(r)}{others}; remove or impute them first, or "
        "leave the column out (--columns)")


def _load_parquet(path: str, group: int, names: tuple[str, ...], base: int) -> np.ndarray:
    """Row group ``group`` of a Parquet file, columns ``names``, as float64 (on a worker)."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path).read_row_group(group, columns=list(names),
                                                use_pandas_metadata=False)
    cols = [table.column(i) for i in range(table.num_columns)]
    del table
    values = _arrow_to_matrix(cols, names, path, _row_number(base))
    return _check_chunk(values, names, path, base, 1)


def _nonempty_groups(pf: Any) -> list[int]:
    md = pf.metadata
    return [g for g in range(md.num_row_groups) if md.row_group(g).num_rows]


def _first_column_ends(pfs: list[Any], name: str) -> tuple[np.ndarray, float]:
    """The first rows and the last value of column ``name`` over the files ``pfs``."""
    import pyarrow as pa

    def column(pf: Any, g: int) -> Any:
        col = pf.read_row_group(g, columns=[name], use_pandas_metadata=False).column(0)
        return col.cast(pa.float64(), safe=False) if _numeric_type(col.type) else col

    first = next(pf for pf in pfs if _nonempty_groups(pf))
    last = [pf for pf in pfs if _nonempty_groups(pf)][-1]
    head = column(first, _nonempty_groups(first)[0]).slice(0, _INDEX_HEAD)
    tail = column(last, _nonempty_groups(last)[-1])
    value = tail[len(tail) - 1].as_py()
    return (head.to_numpy(zero_copy_only=False).astype(np.float64),
            float("nan") if value is None else float(value))


def _open_parquet(files: list[str], label: str, columns: list[str | int] | None,
                  index: str) -> tuple[Any, list[str], tuple[str, ...]]:
    dask, da = _dask()
    pfs = [_parquet_file(f) for f in files]
    all_names = _parquet_names(pfs[0])
    for f, pf in zip(files[1:], pfs[1:], strict=True):
        other = _parquet_names(pf)
        if set(other) != set(all_names):
            only_a = [n for n in all_names if n not in other]
            only_b = [n for n in other if n not in all_names]
            raise ShapeMismatchError(
                f"{label}: {files[0]} and {f} have different columns (only in the first: "
                f"{_name_list(only_a, 6) or '-'}; only in the second: "
                f"{_name_list(only_b, 6) or '-'}); every file must have the same columns")
    if columns is not None:
        names = [all_names[i] for i in _resolve(columns, all_names, len(all_names), label)]
    else:
        names = list(all_names)
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"{label}: the column name(s) {_name_list(dup, 6)} appear more "
                             "than once; choose the columns (--columns)")
    if not names:
        raise EmptyInputError(f"{label}: no columns to compare")
    for f, pf in zip(files, pfs, strict=True):
        _check_parquet_types(pf, f, names)
        _check_parquet_nulls(pf, f, names)
    n = sum(pf.metadata.num_rows for pf in pfs)
    notes: tuple[str, ...] = ()
    if columns is None and len(names) >= 2 and n >= 3 and index != "keep":
        head, tail = _first_column_ends(pfs, names[0])
        if _index_policy(head, tail, n, names, label, index):
            notes = (_drop_note(label, names),)
            names = names[1:]
    parts = []
    for f, pf in zip(files, pfs, strict=True):
        st, md, base = os.stat(f), pf.metadata, 0
        for g in range(md.num_row_groups):
            rows = md.row_group(g).num_rows
            if rows:
                token = (os.path.abspath(f), st.st_size, st.st_mtime_ns, g, tuple(names))
                parts.append(_delayed_block(dask, da, _load_parquet,
                                            (f, g, tuple(names), base), rows, len(names),
                                            token))
            base += rows
    return _concat(da, parts, label), names, notes


# --------------------------------------------------------------------------- zarr


def _zarr_block(block: np.ndarray, label: str, block_info: Any = None) -> np.ndarray:
    """A zarr chunk as float64, checked (``map_blocks`` passes ``block_info``)."""
    values = np.array(block, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    r0 = block_info[0]["array-location"][0][0] if block_info else 0
    return _check_chunk(values, None, label, r0, 0)


def _open_zarr(path: str, key: str | None, columns: list[str | int] | None,
               chunk_rows: int | None, index: str) -> tuple[Any, None, tuple[str, ...]]:
    _, da = _dask()
    try:
        import zarr
    except ImportError:
        raise MissingDependencyError(f"{path} is a zarr store; reading it needs zarr: pip "
                                     "install zarr") from None
    try:
        node = zarr.open(path, mode="r")
    except Exception as exc:
        raise InputError(f"{path}: cannot open as zarr ({_one_line(exc, 160)})") from None
    if not hasattr(node, "dtype"):  # a group: choose the array
        keys = sorted(node.array_keys())
        if key is None:
            if len(keys) != 1:
                raise InputError(f"{path}: the zarr group holds arrays "
                                 f"{_name_list(keys) or '(none)'}; choose one with --key")
            key = keys[0]
        if key not in keys:
            raise InputError(f"{path}: no array {_short(key)}; it holds {_name_list(keys)}")
    label = path if key is None or hasattr(node, "dtype") else f"{path}[{key}]"
    z = node if hasattr(node, "dtype") else node[key]
    _check_array(tuple(z.shape), np.dtype(z.dtype), label)
    arr = da.from_zarr(z)
    if arr.ndim == 1:
        arr = arr[:, None]
    n, d = arr.shape
    if n == 0:
        raise EmptyInputError(f"{label}: no data rows")
    notes: tuple[str, ...] = ()
    if columns is not None:
        arr = arr[:, _resolve(columns, None, d, label)]
    elif d >= 2 and n >= 3:
        head = np.asarray(z[:_INDEX_HEAD, 0], dtype=np.float64)
        if _index_policy(head, float(z[n - 1, 0]), n, None, label, index):
            arr, notes = arr[:, 1:], (_drop_note(label, None),)
    arr = arr.rechunk({0: chunk_rows or arr.chunks[0], 1: -1})
    out = arr.map_blocks(_zarr_block, label, dtype=np.float64,
                         meta=np.empty((0, arr.shape[1]), dtype=np.float64))
    return out, None, notes


# --------------------------------------------------------------------------- public


def read_samples_lazy(
    path: str | os.PathLike,
    *,
    columns: str | Sequence[str | int] | None = None,
    chunk_rows: int | None = None,
    key: str | None = None,
    index: str = "refuse",
) -> Samples:
    """:func:`open_samples` as a :class:`~divlab.io.Samples` (``values`` is a Dask array).

    Same arguments as :func:`open_samples`; ``names`` is a tuple or ``None``, ``notes`` says
    what the reader did (files of other types skipped, an index column dropped). The command
    line (``divlab compare --dask``) uses it.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npy")
    >>> np.save(path, np.ones((4, 2), dtype=np.float32))
    >>> s = read_samples_lazy(path)
    >>> s.values.shape, s.values.dtype, s.names
    ((4, 2), dtype('float64'), None)
    """
    if index not in ("refuse", "drop", "keep"):
        raise InputError(f"`index` must be 'refuse', 'drop' or 'keep', got {index!r}")
    if chunk_rows is not None and (isinstance(chunk_rows, bool)
                                   or not isinstance(chunk_rows, (int, np.integer))
                                   or chunk_rows < 1):
        raise ParameterError(f"`chunk_rows` must be a positive integer, got {chunk_rows!r}")
    label = os.fspath(path)
    st = _stat(label)
    cols = _parse_columns(columns)
    notes: tuple[str, ...] = ()
    if _is_zarr(label, st):
        values, names, notes = _open_zarr(label, key, cols, chunk_rows, index)
    else:
        if stat.S_ISDIR(st.st_mode):
            kind, files, notes = _list_dir(label)
        elif not stat.S_ISREG(st.st_mode):
            raise InputError(f"{label} is not a regular file (a device, pipe or socket); save "
                             "the data to a file first")
        else:
            kind, files = _kind(label), [label]
            if kind is None:
                raise InputError(f"{label}: cannot be read lazily; use a .npy or Parquet "
                                 "file, a directory of them, or a zarr store")
        if kind == "numpy":
            values, names, more = _open_npy(files, label, cols, chunk_rows, index)
        else:
            values, names, more = _open_parquet(files, label, cols, index)
            if chunk_rows is not None:
                values = values.rechunk({0: chunk_rows})
        notes = (*notes, *more)
    return Samples(values, tuple(names) if names is not None else None, label, notes)


def open_samples(
    path: str | os.PathLike,
    *,
    columns: str | Sequence[str | int] | None = None,
    chunk_rows: int | None = None,
    key: str | None = None,
    index: str = "refuse",
) -> tuple[Any, list[str] | None]:
    """Open a dataset too large for memory as a lazy ``(n, d)`` float64 Dask array.

    Only headers are read here; each chunk is read, converted to float64 and checked when the
    array is computed. The values equal those of :func:`divlab.io.read_samples` on the same
    file. Readers:

    * ``.npy`` file, or a directory of ``.npy`` files (sorted by name; 1-D arrays are one
      column; same column count and dtype in all): chunks of at most ``chunk_rows`` rows of
      one file, each ``np.load(path, mmap_mode="r")[r0:r1]`` in a task;
    * ``.parquet``/``.pq`` file, or a directory of them (same column names in all): one
      chunk per row group, only the selected columns read;
    * zarr array or group directory (``pip install zarr``; ``key`` chooses an array of a
      group): ``dask.array.from_zarr``.

    In a directory, hidden files and files starting with ``_`` are skipped; files of other
    types are skipped with a note (:func:`read_samples_lazy`).

    Parameters
    ----------
    path : str or path-like
        A file, a directory of files of one format, or a zarr store.
    columns : str or sequence of str/int, optional
        Columns to use, by name (Parquet) or 0-based index; a string is split at commas.
    chunk_rows : int, optional
        Rows per chunk. Default: about 64 MiB of float64 per chunk (``.npy``), one row group
        (Parquet), the store's chunks (zarr).
    key : str, optional
        Array name inside a zarr group.
    index : {"refuse", "drop", "keep"}
        A first column that looks like a row index (module docstring): raise, drop, keep.

    Returns
    -------
    values : dask.array.Array, shape (n, d), float64
        Lazy; chunks along rows only.
    column_names : list of str or None
        The Parquet column names; ``None`` for ``.npy`` and zarr.

    Raises
    ------
    InputError
        A missing path, a damaged file, an unknown column, files of two formats in one
        directory, an index-like first column.
    EmptyInputError
        A directory without data files, no rows.
    ShapeMismatchError
        Files with different column counts (``.npy``) or column names (Parquet).
    DTypeError
        ``.npy`` files of different dtypes, a non-numeric array or column.
    NonFiniteError
        A Parquet null (when the file is opened), a NaN or infinite value (when its chunk is
        computed): file, column and first row.
    MissingDependencyError
        Dask, or zarr for a zarr store, is not installed.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> folder = tempfile.mkdtemp()
    >>> for i in range(3):
    ...     np.save(os.path.join(folder, f"part{i}.npy"), np.full((5, 2), float(i)))
    >>> x, names = open_samples(folder, chunk_rows=2)
    >>> x.shape, x.chunks[0], names
    ((15, 2), (2, 2, 1, 2, 2, 1, 2, 2, 1), None)
    >>> float(x.sum().compute())
    30.0
    """
    s = read_samples_lazy(path, columns=columns, chunk_rows=chunk_rows, key=key, index=index)
    return s.values, (list(s.names) if s.names is not None else None)
