"""``divlab.io``: file readers (CSV/TSV, Parquet, .npy, .npz) and ``as_samples`` for frames.

Values are checked against independent readers (``numpy.loadtxt`` on the same text, the
arrays written with ``numpy.save``); every malformed input must end in one divlab error
(InputError / NonFiniteError / DTypeError), never a parser's own exception.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from divlab.errors import DivlabWarning, DTypeError, InputError, NonFiniteError
from divlab.io import Samples, _index_reason, as_samples, load_samples, read_samples

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng():
    return np.random.default_rng(12)


def write(path: Path, text: str | bytes) -> str:
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return str(path)


# --------------------------------------------------------------------------- CSV / TSV


def test_csv_values_match_numpy_loadtxt(tmp_path, rng):
    """Full-precision values, with and without a header, comma and tab: bit-identical to
    numpy.loadtxt on the same file."""
    x = rng.normal(size=(500, 4)) * [1, 1e-8, 1e8, 3]
    x[::7, 2] = np.round(x[::7, 2])  # some integer-looking cells in a float column
    p = tmp_path / "h.csv"
    np.savetxt(p, x, delimiter=",", fmt="%.17g", header="a,b,c,d", comments="")
    s = read_samples(p)
    assert s.names == ("a", "b", "c", "d") and s.values.dtype == np.float64
    np.testing.assert_array_equal(s.values, np.loadtxt(p, delimiter=",", skiprows=1))
    np.testing.assert_array_equal(s.values, x)
    q = tmp_path / "n.tsv"
    np.savetxt(q, x, delimiter="\t", fmt="%.17g")
    s = read_samples(q)
    assert s.names is None
    np.testing.assert_array_equal(s.values, np.loadtxt(q, delimiter="\t"))


def test_csv_header_details(tmp_path):
    # BOM, quoted names with spaces, CRLF, blank lines, integer columns, ';' delimiter
    p = write(tmp_path / "q.csv", b'\xef\xbb\xbf"age", "income"\r\n\r\n31,2.5e4\r\n45,3\r\n')
    s = read_samples(p)
    assert s.names == ("age", "income")
    np.testing.assert_array_equal(s.values, [[31, 25000], [45, 3]])
    s = read_samples(write(tmp_path / "s.csv", "a;b\n1;2\n3;4\n"))
    assert s.names == ("a", "b") and s.values.tolist() == [[1, 2], [3, 4]]
    s = read_samples(write(tmp_path / "w.txt", "1\t2\n3\t4\n"))
    assert s.names is None and s.values.tolist() == [[1, 2], [3, 4]]
    x = np.random.default_rng(2).normal(size=(5, 3))
    np.savetxt(tmp_path / "default.txt", x)  # numpy's default: one space, '%.18e'
    np.testing.assert_array_equal(read_samples(tmp_path / "default.txt").values,
                                  np.loadtxt(tmp_path / "default.txt"))
    s = read_samples(write(tmp_path / "one.csv", "sepal length\n1.5\n2.5\n"))
    assert s.names == ("sepal length",) and s.values.tolist() == [[1.5], [2.5]]
    # column selection by name and by 0-based index, in the order given
    s = read_samples(write(tmp_path / "c.csv", "a,b,c\n1,2,x\n4,5,y\n"), columns=["b", 0])
    assert s.names == ("b", "a") and s.values.tolist() == [[2, 1], [5, 4]]
    assert load_samples(str(tmp_path / "c.csv"), columns="1,a").tolist() == [[2, 1], [5, 4]]


def test_missing_cells_named_as_missing(tmp_path):
    """Empty, NA, nan cells: 'missing', with the column and the first line (not 'not
    numeric')."""
    for cell in ("", "NA", "nan", "NaN", "null", "N/A"):
        p = write(tmp_path / "m.csv", f"a,b\n1,2\n\n3,4\n5,{cell}\n6,{cell}\n")
        with pytest.raises(NonFiniteError) as exc:
            read_samples(p)
        msg = str(exc.value)
        assert "column 'b' has 2 missing value(s)" in msg and "line 5" in msg, msg
        assert "not numeric" not in msg
    p = write(tmp_path / "i.csv", "a,b\n1,inf\n2,3\n")
    with pytest.raises(NonFiniteError, match=r"column 'b' has 1 infinite value\(s\), the first "
                                             r"in line 2"):
        read_samples(p)
    # a headerless file: column index, and all columns with problems are named
    p = write(tmp_path / "h.csv", "1,,3\n4,5,\n")
    with pytest.raises(NonFiniteError, match=r"column 1 has 1 missing.*line 1; also in column 2"):
        read_samples(p)


def test_non_numeric_columns(tmp_path):
    p = write(tmp_path / "t.csv", "a,label,when\n1,cat,2024-01-01\n2,dog,2024-01-02\n")
    with pytest.raises(DTypeError) as exc:
        read_samples(p)
    msg = str(exc.value)
    assert "column 'label' is not numeric" in msg and "line 2: 'cat'" in msg
    assert "also not numeric: 'when'" in msg
    assert read_samples(p, columns="a").values.tolist() == [[1], [2]]


def test_malformed_text_files(tmp_path):
    with pytest.raises(InputError, match=r"line 4 has 3 field\(s\), expected 2"):
        read_samples(write(tmp_path / "r.csv", "a,b\n1,2\n3,4\n5,6,7\n8,9\n"))
    with pytest.raises(InputError, match="the file is empty"):
        read_samples(write(tmp_path / "e.csv", "\n\n"))
    with pytest.raises(InputError, match="no data rows"):
        read_samples(write(tmp_path / "o.csv", "a,b\n"))
    # a field over 131 072 characters (the csv module's limit) in the data and in the header
    with pytest.raises(DTypeError, match=r"column 'b' is not numeric.*200000 characters"):
        read_samples(write(tmp_path / "f.csv", "a,b\n1,2\n3," + "x" * 200_000 + "\n"))
    with pytest.raises(NonFiniteError, match="infinite"):  # 20 000 digits: overflows to inf
        read_samples(write(tmp_path / "g.csv", "a,b\n1,2\n3," + "9" * 20_000 + "\n"))
    s = read_samples(write(tmp_path / "h.csv", "y" * 200_000 + ",b\n1,2\n"))
    assert s.names is not None and len(s.names[0]) == 200_000
    # a line longer than pyarrow's block (1 MiB) after the first: read with larger blocks
    text = "a,b\n" + "1,2\n" * 100 + "3," + "x" * 3_000_000 + "\n" + "1,2\n" * 100
    with pytest.raises(DTypeError, match=r"line 102: 'xxx.*3000000 characters"):
        read_samples(write(tmp_path / "wide.csv", text))
    with pytest.raises(InputError, match="UTF-8"):
        read_samples(write(tmp_path / "l.csv", b"a,\xff\xfe\n1,2\n"))


def test_non_regular_files_refused(tmp_path):
    with pytest.raises(InputError, match="is a directory"):
        read_samples(tmp_path)
    with pytest.raises(InputError, match="file not found"):
        read_samples(tmp_path / "missing.csv")
    if os.path.exists("/dev/zero"):
        link = tmp_path / "zero.csv"
        link.symlink_to("/dev/zero")
        with pytest.raises(InputError, match="not a regular file"):
            read_samples(link)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.csv"
        os.mkfifo(fifo)
        with pytest.raises(InputError, match="not a regular file"):
            read_samples(fifo)
    with pytest.raises(InputError, match="unknown file type"):
        read_samples(write(tmp_path / "x.xlsx", "1"))


# --------------------------------------------------------------------------- index columns


@pytest.mark.parametrize("header, first, flagged", [
    (",a,b", range(0, 6), True),              # pandas to_csv: empty header cell, any values
    (",a,b", [5, 3, 9, 1, 0, 2], True),
    ("Unnamed: 0,a,b", range(0, 6), True),
    ("index,a,b", range(0, 6), True),
    ("id,a,b", range(1, 7), True),
    ("ID,a,b", range(1, 7), True),
    (None, range(0, 6), True),                # no header: values alone
    ("id,a,b", [1, 2, 3, 5, 6, 7], False),    # not the row numbers
    ("id,a,b", range(2, 8), False),
    ("age,a,b", range(0, 6), False),          # a named feature that happens to count
])
def test_index_like_first_column(tmp_path, header, first, flagged):
    rng = np.random.default_rng(1)
    body = "".join(f"{i},{u:.6f},{v:.6f}\n" for i, (u, v) in zip(first, rng.normal(size=(6, 2)),
                                                                  strict=True))
    p = write(tmp_path / "ix.csv", (header + "\n" if header else "") + body)
    if not flagged:
        assert read_samples(p).values.shape == (6, 3)
        return
    with pytest.raises(InputError, match=r"looks like a row index.*--drop-index.*--columns"):
        read_samples(p)
    s = read_samples(p, index="drop")
    assert s.values.shape == (6, 2) and "dropped as a row index" in s.notes[0]
    assert s.names in (("a", "b"), None)
    assert read_samples(p, index="keep").values.shape == (6, 3)
    assert read_samples(p, columns=[1, 2]).values.shape == (6, 2)  # explicit choice: no check


def test_index_reason_unit():
    assert _index_reason(None, np.arange(10.0)) is not None
    assert _index_reason(None, np.arange(2.0)) is None          # too short to tell
    assert _index_reason(None, np.arange(10.0) + 0.5) is None
    assert _index_reason(["a"], np.arange(10)) is None
    assert _index_reason(["", "a"], None) is not None
    assert _index_reason(["", ""], None) is None                  # no header names at all


# --------------------------------------------------------------------------- Parquet


def test_parquet_by_name(tmp_path, rng):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    x = rng.normal(size=(50, 3))
    t = pa.table({"u": x[:, 0], "v": x[:, 1], "k": np.arange(50, dtype=np.int32)})
    pq.write_table(t, tmp_path / "a.parquet")
    s = read_samples(tmp_path / "a.parquet")
    assert s.names == ("u", "v", "k")
    np.testing.assert_array_equal(s.values[:, :2], x[:, :2])
    np.testing.assert_array_equal(s.values[:, 2], np.arange(50))
    s = read_samples(tmp_path / "a.parquet", columns="v,u")
    np.testing.assert_array_equal(s.values, x[:, [1, 0]])
    t2 = pa.table({"u": pa.array([1.0, None, 3.0]), "v": pa.array([1.0, 2.0, 3.0])})
    pq.write_table(t2, tmp_path / "m.parquet")
    with pytest.raises(NonFiniteError, match=r"column 'u' has 1 missing.*row 2"):
        read_samples(tmp_path / "m.parquet")
    with pytest.raises(InputError, match="cannot read as Parquet"):
        read_samples(write(tmp_path / "no.parquet", "a,b\n1,2\n"))
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"u": x[:, 0], "v": x[:, 1]}, index=np.arange(50)[::-1])
    df.to_parquet(tmp_path / "p.parquet")
    s = read_samples(tmp_path / "p.parquet")
    assert s.names == ("u", "v") and any("index" in n for n in s.notes)
    np.testing.assert_array_equal(s.values, x[:, :2])


# --------------------------------------------------------------------------- NumPy files


def _npy_bytes(header: str) -> bytes:
    """A .npy version 1.0 file with the given header dict text (padded as numpy does)."""
    h = header.encode("latin1")
    pad = 64 - (10 + len(h) + 1) % 64
    h = h + b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + len(h).to_bytes(2, "little") + h


def test_npy_and_npz(tmp_path, rng):
    x = rng.normal(size=(40, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    s = read_samples(tmp_path / "x.npy")
    assert s.names is None and s.values.dtype == np.float64
    np.testing.assert_array_equal(s.values, x.astype(np.float64))
    np.testing.assert_array_equal(read_samples(tmp_path / "x.npy", columns=[-1]).values,
                                  x[:, [2]].astype(np.float64))
    np.save(tmp_path / "v.npy", np.arange(5.0) ** 2)
    assert read_samples(tmp_path / "v.npy").values.shape == (5, 1)
    np.savez(tmp_path / "z.npz", feats=x, other=np.zeros(3))
    np.testing.assert_array_equal(read_samples(tmp_path / "z.npz", key="feats").values, x)
    with pytest.raises(InputError, match="choose one with --key"):
        read_samples(tmp_path / "z.npz")
    with pytest.raises(InputError, match="no array 'nope'"):
        read_samples(tmp_path / "z.npz", key="nope")
    np.savez_compressed(tmp_path / "c.npz", a=x)
    np.testing.assert_array_equal(read_samples(tmp_path / "c.npz").values, x)
    np.save(tmp_path / "s.npy", np.array(["a", "b"]))
    with pytest.raises(DTypeError, match="not numeric"):
        read_samples(tmp_path / "s.npy")
    np.save(tmp_path / "o.npy", np.array([1, None], dtype=object), allow_pickle=True)
    with pytest.raises(InputError):
        read_samples(tmp_path / "o.npy")
    np.save(tmp_path / "n.npy", np.array([[1.0, 2.0], [np.nan, 1.0], [3.0, 3.0]]))
    with pytest.raises(NonFiniteError, match=r"column 0 has 1 missing.*row 1"):
        read_samples(tmp_path / "n.npy")


@pytest.mark.parametrize("content", [
    _npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }"),
    _npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2)"),   # unclosed
    _npy_bytes("{'descr': '<f8', 'fortran_order': False}"),                    # no shape
    _npy_bytes("{'descr': 'xyz', 'fortran_order': False, 'shape': (2,), }"),
    _npy_bytes("__import__('os')"),
    b"\x93NUMPY\x09\x00garbage",                                               # bad version
    b"\x93NUMPY\x01\x00\xff\xff{",                                             # short header
    b"PK\x03\x04" + b"not a zip archive" * 20,                                 # non-zip 'PK'
    b"plain text, no signature",
])
def test_malformed_numpy_files(tmp_path, content):
    for name in ("bad.npy", "bad.npz"):
        with pytest.raises(InputError):
            read_samples(write(tmp_path / name, content))


def test_damaged_npz_member(tmp_path):
    import zipfile

    member = _npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }")
    with zipfile.ZipFile(tmp_path / "d.npz", "w") as zf:
        zf.writestr("a.npy", member + b"\0" * 80)
    with pytest.raises(InputError, match="header promises"):
        read_samples(tmp_path / "d.npz")
    with zipfile.ZipFile(tmp_path / "e.npz", "w") as zf:
        zf.writestr("a.npy", b"\x93NUMPY\x01\x00{garbage")
    with pytest.raises(InputError, match=r"d?e\.npz\[a\]: not a valid \.npy array"):
        read_samples(tmp_path / "e.npz")


# --------------------------------------------------------------------------- as_samples


def test_as_samples_passes_arrays_through():
    x = np.zeros((3, 2))
    a, names = as_samples(x)
    assert a is x and names is None
    lst = [[1, 2], [3, 4]]
    assert as_samples(lst)[0] is lst


def test_as_samples_imports_no_frame_library():
    code = ("import sys, numpy as np\nfrom divlab.io import as_samples\n"
            "as_samples(np.zeros((3, 2))); as_samples([1.0, 2.0])\n"
            "print(sorted(m for m in ('pandas', 'polars', 'pyarrow') if m in sys.modules))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_as_samples_pandas():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"age": [31, 45, 52, 38], "income": [2.5e4, 3.1e4, 4.0e4, 2.9e4],
                       "flag": [True, False, True, True]}, index=[10, 11, 12, 13])
    a, names = as_samples(df)
    assert names == ["age", "income", "flag"] and a.dtype == np.float64
    np.testing.assert_array_equal(a, [[31, 2.5e4, 1], [45, 3.1e4, 0], [52, 4e4, 1],
                                      [38, 2.9e4, 1]])
    a, names = as_samples(df["income"])
    assert names == ["income"] and a.shape == (4,)
    f32 = pd.DataFrame({"u": np.ones(3, np.float32), "v": np.zeros(3, np.float32)})
    assert as_samples(f32)[0].dtype == np.float32
    nullable = pd.DataFrame({"u": pd.array([1, None, 3, 4], dtype="Int64"),
                             "v": [1.0, 2.0, 3.0, 4.0]}, index=list("pqrs"))
    with pytest.raises(NonFiniteError, match=r"`y`: column 'u' has 1 missing.*row 1 \(index "
                                             r"label 'q'\)"):
        as_samples(nullable, name="y")
    mixed = df.assign(city=["a", "b", "c", "d"])
    with pytest.raises(DTypeError, match=r"column\(s\) 'city' \(dtype .*\) are not numeric"):
        as_samples(mixed)
    with pytest.warns(DivlabWarning, match="row index"):
        as_samples(pd.DataFrame({"Unnamed: 0": np.arange(5), "v": np.linspace(0, 1, 5)}))


def test_as_samples_polars():
    pl = pytest.importorskip("polars")
    df = pl.DataFrame({"age": [31, 45, 52], "income": [2.5e4, 3.1e4, 4.0e4]})
    a, names = as_samples(df)
    assert names == ["age", "income"]
    np.testing.assert_array_equal(a, [[31, 2.5e4], [45, 3.1e4], [52, 4e4]])
    a, names = as_samples(df["age"])
    assert names == ["age"] and a.tolist() == [31, 45, 52]
    with pytest.raises(NonFiniteError, match=r"column 'u' has 1 missing.*row 2"):
        as_samples(pl.DataFrame({"u": [1.0, 2.0, None], "v": [1, 2, 3]}))
    with pytest.raises(DTypeError, match="'s'"):
        as_samples(pl.DataFrame({"s": ["a", "b"], "v": [1, 2]}))
    with pytest.raises(DTypeError, match="collect"):
        as_samples(df.lazy())


def test_as_samples_pyarrow():
    pa = pytest.importorskip("pyarrow")
    t = pa.table({"u": [1.0, 2.0, 3.0], "v": [4, 5, 6], "b": [True, False, True]})
    a, names = as_samples(t)
    assert names == ["u", "v", "b"] and a.tolist() == [[1, 4, 1], [2, 5, 0], [3, 6, 1]]
    big = pa.table({"i": pa.array([2**60 + 1, 3, 5], pa.int64()), "v": [1.0, 2.0, 3.0]})
    assert as_samples(big)[0][0, 0] == float(2**60)  # rounded to float64 like NumPy does
    for col in (pa.array([True, None, False]), pa.array([1, None, 3], pa.int32())):
        with pytest.raises(NonFiniteError, match=r"column 'c' has 1 missing.*row 1"):
            as_samples(pa.table({"c": col, "v": [1.0, 2.0, 3.0]}))


def test_samples_is_frozen():
    s = Samples(np.zeros((2, 1)), None, "x")
    with pytest.raises(AttributeError):
        s.names = ("a",)  # type: ignore[misc]


@pytest.mark.filterwarnings("ignore::divlab.errors.DivlabWarning")
def test_compare_reports_frame_column_names():
    """DataFrames given to compare: the column names reach the report, and the numbers are
    those of the arrays (the frame's index is not a feature)."""
    pd = pytest.importorskip("pandas")
    from divlab import compare

    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(80, 2)), rng.normal(0.5, 1.0, size=(70, 2))
    fx = pd.DataFrame(x, columns=["age", "income"], index=rng.permutation(80) * 7)
    fy = pd.DataFrame(y, columns=["age", "income"])
    rep = compare(fx, fy, metrics="w1,energy", n_resamples=0, rng=0)
    ref = compare(x, y, metrics="w1,energy", n_resamples=0, rng=0)
    assert rep.extra["columns"] == ["age", "income"]
    assert float(rep["w1"].value) == float(ref["w1"].value)
    assert float(rep["energy"].value) == float(ref["energy"].value)
