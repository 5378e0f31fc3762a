"""Lazy readers (divlab.io_lazy): directories of .npy / Parquet files and zarr as Dask arrays.

Reference: the eager reader :func:`divlab.io.read_samples` on the same data written as one
file. Values must be equal exactly (both convert the stored numbers to float64 once), the
dtype float64, the chunks along rows only; errors use the words of divlab.io. Laziness is
checked by the size of the pickled graph (no data inside) and by changing a file after
opening it (the data is read at compute time).
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

da = pytest.importorskip("dask.array")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from divlab.errors import (  # noqa: E402
    DTypeError,
    EmptyInputError,
    InputError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.io import read_samples  # noqa: E402
from divlab.io_lazy import MissingDependencyError, open_samples, read_samples_lazy  # noqa: E402


def _data(n=1000, d=3, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def _npy_dir(folder, x, cuts):
    """Write ``x`` split at ``cuts`` as part000.npy, part001.npy, ... in ``folder``."""
    os.makedirs(folder, exist_ok=True)
    for i, part in enumerate(np.split(x, cuts)):
        np.save(os.path.join(folder, f"part{i:03d}.npy"), part)
    return folder


def _table(x, names=("a", "b", "c")):
    return pa.table({n: x[:, j] for j, n in enumerate(names)})


def _check_lazy(arr, want):
    assert isinstance(arr, da.Array)
    assert arr.dtype == np.float64 and arr.shape == want.shape
    assert len(arr.chunks[1]) == 1  # chunks along rows only
    got = arr.compute()
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, want)


# --------------------------------------------------------------------------- .npy


@pytest.mark.parametrize("chunk_rows", [None, 7, 333, 5000])
def test_npy_directory_equals_eager(tmp_path, chunk_rows):
    x = _data(1000, 3, dtype=np.float32)
    folder = _npy_dir(tmp_path / "x", x, [250, 251, 900])  # a one-row file
    np.save(tmp_path / "all.npy", x)
    want = read_samples(tmp_path / "all.npy").values
    arr, names = open_samples(folder, chunk_rows=chunk_rows)
    assert names is None
    _check_lazy(arr, want)
    sizes = [250, 1, 649, 100]
    step = chunk_rows or 10**9
    expect = [min(step, s - r) for s in sizes for r in range(0, s, step)]
    assert list(arr.chunks[0]) == expect  # chunks never straddle files


def test_single_npy_and_1d_files(tmp_path):
    x = _data(500, 2)
    np.save(tmp_path / "x.npy", x)
    arr, _ = open_samples(tmp_path / "x.npy", chunk_rows=128)
    _check_lazy(arr, read_samples(tmp_path / "x.npy").values)
    assert arr.chunks[0] == (128, 128, 128, 116)
    v = _data(300, 1)[:, 0]
    (tmp_path / "v").mkdir()
    np.save(tmp_path / "v" / "a.npy", v[:100])
    np.save(tmp_path / "v" / "b.npy", v[100:])
    arr, _ = open_samples(tmp_path / "v")
    _check_lazy(arr, v[:, None])


@given(sizes=st.lists(st.integers(0, 25), min_size=1, max_size=5),
       chunk_rows=st.integers(1, 40))
def test_npy_any_split_any_chunks(sizes, chunk_rows):
    assume(sum(sizes) > 0)
    x = _data(sum(sizes), 2, seed=sum(sizes))
    with tempfile.TemporaryDirectory() as tmp:
        folder = _npy_dir(os.path.join(tmp, "x"), x, np.cumsum(sizes)[:-1])
        arr, _ = open_samples(folder, chunk_rows=chunk_rows, index="keep")
        assert max(arr.chunks[0]) <= chunk_rows
        np.testing.assert_array_equal(arr.compute(), x)


def test_npy_column_selection(tmp_path):
    x = _data(400, 4)
    folder = _npy_dir(tmp_path / "x", x, [100])
    arr, names = open_samples(folder, columns=[3, 0])
    assert names is None
    _check_lazy(arr, x[:, [3, 0]])
    arr, _ = open_samples(folder, columns="1")
    _check_lazy(arr, x[:, [1]])
    with pytest.raises(InputError, match=r"no column named 'age'.*0-based index"):
        open_samples(folder, columns=["age"])
    with pytest.raises(InputError, match=r"column index 4 out of range"):
        open_samples(folder, columns=[4])


def test_npy_errors(tmp_path):
    _npy_dir(tmp_path / "d", _data(10, 3), [])
    np.save(tmp_path / "d" / "z.npy", _data(10, 2))
    with pytest.raises(ShapeMismatchError, match=r"3 column.*has 2"):
        open_samples(tmp_path / "d")
    _npy_dir(tmp_path / "t", _data(10, 3), [])
    np.save(tmp_path / "t" / "z.npy", _data(10, 3, dtype=np.float32))
    with pytest.raises(DTypeError, match=r"float64.*float32.*same dtype"):
        open_samples(tmp_path / "t")
    np.save(tmp_path / "s.npy", np.array([["a", "b"]] * 3))
    with pytest.raises(DTypeError, match=r"not numeric"):
        open_samples(tmp_path / "s.npy")
    np.save(tmp_path / "cut.npy", _data(100, 3))
    with open(tmp_path / "cut.npy", "r+b") as fh:
        fh.truncate(500)
    with pytest.raises(InputError, match=r"damaged"):
        open_samples(tmp_path / "cut.npy")
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all")
    with pytest.raises(InputError, match=r"not a valid \.npy file"):
        open_samples(tmp_path / "junk.npy")


def test_npy_nan_named_like_eager(tmp_path):
    x = _data(1000, 3)
    x[612, 2] = np.nan
    x[700, 2] = np.inf
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(NonFiniteError) as eager:
        read_samples(tmp_path / "x.npy")
    arr, _ = open_samples(tmp_path / "x.npy", chunk_rows=500)  # opening reads no data
    with pytest.raises(NonFiniteError) as lazy:
        arr.compute()
    # same column, same first row; the lazy count is that of the chunk, whose rows it names
    assert "column 2 has 1 missing value(s)" in str(eager.value)
    assert "the first in row 612" in str(eager.value)
    assert "x.npy (rows 500-999): column 2 has 1 missing value(s)" in str(lazy.value)
    assert "the first in row 612, and 1 infinite value(s)" in str(lazy.value)


def test_npy_index_column_like_eager(tmp_path):
    x = _data(50_000, 3)
    x[:, 0] = np.arange(50_000)
    folder = _npy_dir(tmp_path / "x", x, [20_000])
    np.save(tmp_path / "all.npy", x)
    with pytest.raises(InputError) as eager:
        read_samples(tmp_path / "all.npy")
    with pytest.raises(InputError) as lazy:
        open_samples(folder)
    assert str(lazy.value).split(": ", 1)[1] == str(eager.value).split(": ", 1)[1]
    arr, _ = open_samples(folder, index="drop")
    _check_lazy(arr, read_samples(tmp_path / "all.npy", index="drop").values)
    arr, _ = open_samples(folder, index="keep")
    _check_lazy(arr, x)
    x[-1, 0] = 7.0  # no longer the row numbers: kept, as the eager reader does
    folder = _npy_dir(tmp_path / "y", x, [20_000])
    np.save(tmp_path / "ally.npy", x)
    _check_lazy(open_samples(folder)[0], read_samples(tmp_path / "ally.npy").values)


# --------------------------------------------------------------------------- Parquet


@pytest.fixture
def parquet_dir(tmp_path):
    x = _data(1000, 3)
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(_table(x[:600]), folder / "part-0.parquet", row_group_size=250)
    pq.write_table(_table(x[600:]), folder / "part-1.parquet", row_group_size=250)
    pq.write_table(_table(x), tmp_path / "all.parquet", row_group_size=250)
    (folder / "_SUCCESS").write_text("")
    return folder, x


def test_parquet_directory_equals_eager(parquet_dir):
    folder, _ = parquet_dir
    want = read_samples(folder.parent / "all.parquet")
    s = read_samples_lazy(folder)
    assert s.names == want.names == ("a", "b", "c")
    assert s.values.chunks[0] == (250, 250, 100, 250, 150)  # one chunk per row group
    assert s.notes == ()  # _SUCCESS is skipped silently
    _check_lazy(s.values, want.values)
    arr, names = open_samples(folder.parent / "all.parquet")
    assert names == ["a", "b", "c"]
    _check_lazy(arr, want.values)


def test_parquet_columns_by_name(parquet_dir):
    folder, x = parquet_dir
    arr, names = open_samples(folder, columns="c,a")
    assert names == ["c", "a"]
    _check_lazy(arr, x[:, [2, 0]])
    with pytest.raises(InputError, match=r"no column named 'zz'.*'a', 'b', 'c'"):
        open_samples(folder, columns=["zz"])
    arr, _ = open_samples(folder, columns="b", chunk_rows=64)
    assert max(arr.chunks[0]) == 64
    _check_lazy(arr, x[:, [1]])


def test_parquet_types_and_pandas_index(tmp_path):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"i": np.arange(5, dtype=np.int32), "f": np.linspace(0, 1, 5),
                       "b": [True, False, True, True, False]},
                      index=[10, 11, 12, 13, 14])
    pq.write_table(pa.Table.from_pandas(df), tmp_path / "df.parquet")
    want = read_samples(tmp_path / "df.parquet")
    s = read_samples_lazy(tmp_path / "df.parquet")
    assert s.names == want.names == ("i", "f", "b")  # the pandas index is not a column
    _check_lazy(s.values, want.values)


def test_parquet_nulls_found_in_footer_like_eager(tmp_path):
    x = _data(1000, 2)
    b = pa.array(x[:, 1], mask=np.arange(1000) % 400 == 333)  # nulls at rows 334, 734 (1-based)
    pq.write_table(pa.table({"a": x[:, 0], "b": b}), tmp_path / "n.parquet",
                   row_group_size=300)
    with pytest.raises(NonFiniteError) as eager:
        read_samples(tmp_path / "n.parquet")
    with pytest.raises(NonFiniteError) as lazy:
        open_samples(tmp_path / "n.parquet")  # at open: the footer's null counts
    assert str(lazy.value) == str(eager.value)
    assert "column 'b' has 2 missing value(s)" in str(lazy.value)
    assert "the first in row 334" in str(lazy.value)
    arr, _ = open_samples(tmp_path / "n.parquet", columns=["a"])  # left out: fine
    _check_lazy(arr, x[:, [0]])


def test_parquet_nan_found_at_compute(tmp_path):
    x = _data(1000, 2)
    x[456, 0] = np.nan  # a NaN float is not a null: not in the footer's counts
    pq.write_table(_table(x, ("a", "b")), tmp_path / "n.parquet", row_group_size=300)
    arr, _ = open_samples(tmp_path / "n.parquet")
    with pytest.raises(NonFiniteError, match=r"rows 301-600\): column 'a' has 1 missing "
                                             r"value\(s\).*first in row 457"):
        arr.compute()


def test_parquet_errors(tmp_path, parquet_dir):
    folder, x = parquet_dir
    pq.write_table(pa.table({"a": x[:5, 0], "label": ["u", "v", "7", "w", "x"]}),
                   tmp_path / "s.parquet")
    with pytest.raises(DTypeError) as eager:
        read_samples(tmp_path / "s.parquet")
    with pytest.raises(DTypeError) as lazy:
        open_samples(tmp_path / "s.parquet")
    assert str(lazy.value) == str(eager.value)
    assert "column 'label' is not numeric (type string) (row 1: 'u')" in str(lazy.value)
    pq.write_table(pa.table({"a": x[:5, 0], "d": x[:5, 1], "b": x[:5, 1]}),
                   folder / "part-2.parquet")
    with pytest.raises(ShapeMismatchError, match=r"different columns.*only in the second: 'd'"):
        open_samples(folder)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match=r"cannot read as Parquet"):
        open_samples(tmp_path / "bad.parquet")
    pq.write_table(pa.table({"index": np.arange(100), "v": x[:100, 0]}),
                   tmp_path / "idx.parquet", row_group_size=30)
    with pytest.raises(InputError) as eager:
        read_samples(tmp_path / "idx.parquet")
    with pytest.raises(InputError) as lazy:
        open_samples(tmp_path / "idx.parquet")
    assert str(lazy.value) == str(eager.value)
    s = read_samples_lazy(tmp_path / "idx.parquet", index="drop")
    assert s.names == ("v",) and "dropped as a row index" in s.notes[0]


# --------------------------------------------------------------------------- paths


def test_path_errors(tmp_path):
    with pytest.raises(InputError, match=r"file not found"):
        open_samples(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmptyInputError, match=r"holds no \.npy or Parquet files"):
        open_samples(tmp_path / "empty")
    (tmp_path / "csvs").mkdir()
    (tmp_path / "csvs" / "a.csv").write_text("a,b\n1,2\n")
    with pytest.raises(EmptyInputError, match=r"text files are not read lazily"):
        open_samples(tmp_path / "csvs")
    (tmp_path / "mixed").mkdir()
    np.save(tmp_path / "mixed" / "a.npy", _data(3, 2))
    pq.write_table(_table(_data(3, 2), ("a", "b")), tmp_path / "mixed" / "b.parquet")
    with pytest.raises(InputError, match=r"both \.npy and Parquet"):
        open_samples(tmp_path / "mixed")
    with pytest.raises(InputError, match=r"cannot be read lazily"):
        open_samples(tmp_path / "csvs" / "a.csv")
    np.save(tmp_path / "e.npy", np.zeros((0, 2)))
    with pytest.raises(EmptyInputError, match=r"no data rows"):
        open_samples(tmp_path / "e.npy")
    with pytest.raises(ParameterError, match=r"chunk_rows"):
        open_samples(tmp_path / "mixed" / "a.npy", chunk_rows=0)
    with pytest.raises(InputError, match=r"`index`"):
        open_samples(tmp_path / "mixed" / "a.npy", index="nope")


def test_other_files_skipped_with_a_note(tmp_path):
    x = _data(20, 2)
    _npy_dir(tmp_path / "x", x, [5])
    (tmp_path / "x" / "README.txt").write_text("features")
    (tmp_path / "x" / ".hidden.npy").write_bytes(b"")
    s = read_samples_lazy(tmp_path / "x")
    assert len(s.notes) == 1 and "README.txt" in s.notes[0]
    _check_lazy(s.values, x)


# --------------------------------------------------------------------------- laziness


def test_graph_is_small_and_data_read_at_compute(tmp_path):
    x = _data(437_500, 3)  # 10.5 MB
    folder = _npy_dir(tmp_path / "x", x, [100_000, 200_000, 300_000])
    arr, _ = open_samples(folder, chunk_rows=50_000)
    assert arr.nbytes > 10_000_000
    assert len(pickle.dumps(arr.dask)) < 100_000
    assert len(pickle.dumps(arr)) < 100_000
    # a worker process gets the unpickled graph: it must compute the same thing
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(arr)).compute(), x)
    # the data is read when computed, not when opened
    np.save(folder / "part001.npy", -x[100_000:200_000])
    got = arr[100_000:100_005].compute()
    np.testing.assert_array_equal(got, -x[100_000:100_005])

    pq.write_table(_table(x), tmp_path / "x.parquet", row_group_size=100_000)
    arr, _ = open_samples(tmp_path / "x.parquet")
    assert len(pickle.dumps(arr.dask)) < 100_000


# --------------------------------------------------------------------------- zarr


def test_zarr_missing_is_one_clear_line(tmp_path, monkeypatch):
    store = tmp_path / "x.zarr"
    store.mkdir()
    (store / "zarr.json").write_text("{}")
    monkeypatch.setitem(sys.modules, "zarr", None)  # import zarr fails
    with pytest.raises(MissingDependencyError, match=r"pip install zarr") as err:
        open_samples(store)
    assert "\n" not in str(err.value)


def test_zarr_array_and_group(tmp_path):
    zarr = pytest.importorskip("zarr", reason="zarr is not installed (pip install zarr)")
    x = _data(1000, 3, dtype=np.float32)
    z = zarr.open_array(str(tmp_path / "x.zarr"), mode="w", shape=x.shape, chunks=(128, 2),
                        dtype="f4")
    z[:] = x
    np.save(tmp_path / "x.npy", x)
    want = read_samples(tmp_path / "x.npy").values
    arr, names = open_samples(tmp_path / "x.zarr")
    assert names is None and arr.chunks[0][0] == 128
    _check_lazy(arr, want)
    arr, _ = open_samples(tmp_path / "x.zarr", columns=[2], chunk_rows=300)
    assert arr.chunks[0] == (300, 300, 300, 100)
    _check_lazy(arr, want[:, [2]])
    assert len(pickle.dumps(arr.dask)) < 100_000
    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    g.create_array("feats", shape=x.shape, dtype="f4")[:] = x
    g.create_array("other", shape=(3,), dtype="f4")[:] = 0
    with pytest.raises(InputError, match=r"'feats', 'other'; choose one with --key"):
        open_samples(tmp_path / "g.zarr")
    _check_lazy(open_samples(tmp_path / "g.zarr", key="feats")[0], want)
    x[700, 1] = np.inf
    z[:] = x
    with pytest.raises(NonFiniteError, match=r"column 1 has 1 infinite value.*row 700"):
        open_samples(tmp_path / "x.zarr")[0].compute()
