"""``divlab.compare``: estimator choice, report contents and serialisations, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import divlab
from divlab.errors import DTypeError, NonFiniteError, ParameterError, ShapeMismatchError
from divlab.estimators import METRICS, CompareReport, Estimate, compare


@pytest.fixture(scope="module")
def gauss_report():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 2)), rng.normal(0.7, 1.0, size=(300, 2))
    return compare(x, y, metrics=["kl", "js", "w1", "sliced_w2", "mmd", "energy"],
                   n_resamples=60, rng=0)


def test_public_names():
    assert divlab.compare is compare
    assert divlab.CompareReport is CompareReport and divlab.Estimate is Estimate


def test_report_rows_and_estimators(gauss_report):
    r = gauss_report
    assert r.metrics == ("kl", "js", "w1", "sliced_w2", "mmd", "energy")
    assert r.data_kind == "continuous" and r.x_shape == (400, 2) and r.y_shape == (300, 2)
    assert "k-NN" in r["kl"].method and "Kozachenko" in r["js"].method
    assert "exact W1" in r["w1"].method and "sliced W2" in r["sliced_w2"].method
    for row in r.rows:
        e = row.estimate
        assert math.isfinite(e.value) and e.ci[0] <= e.ci[1]
        assert e.p_value == pytest.approx(1 / 61)  # clear shift: every relabelling is smaller
        assert row.why
    with pytest.raises(KeyError, match="have: kl"):
        r["w2"]


def test_report_text(gauss_report):
    text = str(gauss_report)
    lines = text.splitlines()
    assert lines[0].startswith("divlab compare (x: 400 x 2, y: 300 x 2, continuous data")
    head = lines[2]
    for col in ("metric", "estimate", "95 % CI", "p-value", "method"):
        assert col in head
    assert "truth" not in head
    assert "why these estimators:" in text and "<0.016" in text
    # columns are aligned: every table line has the estimate column at the same offset
    col = head.index("estimate")
    for line in lines[4:10]:
        assert line[col - 2:col] == "  " and line[col] != " "
    assert "kl=" in repr(gauss_report)


def test_report_serialisations(gauss_report):
    d = gauss_report.to_dict()
    assert [row["metric"] for row in d["rows"]] == list(gauss_report.metrics)
    assert d["rows"][0]["ci"][0] < d["rows"][0]["ci"][1]
    back = json.loads(gauss_report.to_json())
    assert back["rows"][4]["details"]["bandwidth"] > 0
    assert back["confidence"] == pytest.approx(0.95)
    md = gauss_report.to_markdown()
    table = [ln for ln in md.splitlines() if ln.startswith("|")]
    assert len(table) == 2 + 6 and table[0].count("|") == table[2].count("|")
    assert "| why |" in table[0]
    t = gauss_report.with_truth({"kl": 0.5})
    assert t.rows[0].truth == 0.5 and "truth" in str(t).splitlines()[2]
    assert json.loads(t.to_json())["rows"][0]["truth"] == 0.5


def test_categorical_detection_and_plugin():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 4, size=(300, 1)), rng.integers(0, 5, size=(300, 1))
    r = compare(x, y, n_resamples=30, rng=0)
    assert r.data_kind == "categorical" and r.metrics == ("kl", "js", "w1", "mmd", "energy")
    assert r["kl"].method.startswith("plug-in KL on categorical (5 categories)")
    assert math.isfinite(r["kl"].value)  # category 4 unseen in x: smoothed
    forced = compare(x + rng.normal(0, 1e-3, size=x.shape), y, metrics="kl", n_resamples=0,
                     categorical=True)
    assert forced["kl"].method.startswith("plug-in")


def test_one_dimensional_and_large_paths():
    rng = np.random.default_rng(2)
    r = compare(rng.normal(size=500), rng.normal(size=500) + 1, metrics="w1,w2", n_resamples=0)
    assert "1-D" in r["w1"].method and "closed form" in r.rows[0].why
    x, y = rng.normal(size=(120, 3)), rng.normal(size=(130, 3))
    r = compare(x, y, metrics=["w2"], n_resamples=0, max_exact_n=50, rng=0)
    assert r["w2"].details["subsampled_to"] == [50, 50] and "subsample" in r.rows[0].why


def test_seed_determinism_and_metric_independence():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(200, 2)), rng.normal(0.2, 1.0, size=(200, 2))
    a = compare(x, y, metrics=["kl", "mmd"], n_resamples=40, rng=5)
    b = compare(x, y, metrics=["mmd"], n_resamples=40, rng=5)
    assert a["mmd"].ci == b["mmd"].ci and a["mmd"].p_value == b["mmd"].p_value
    c = compare(x, y, metrics=["kl", "mmd"], n_resamples=40, rng=5)
    assert a.to_dict()["rows"] == c.to_dict()["rows"]


def test_null_pvalues_not_small():
    rng = np.random.default_rng(4)
    z = rng.normal(size=(400, 2))
    r = compare(z[:200], z[200:], metrics=["kl", "js", "mmd", "energy"], n_resamples=99, rng=1)
    assert all(row.estimate.p_value > 0.01 for row in r.rows)


def test_bad_input():
    x = np.ones((10, 2)).cumsum(axis=0)
    with pytest.raises(NonFiniteError, match="`x`"):
        compare(np.where(x > 5, np.nan, x), x)
    with pytest.raises(ShapeMismatchError, match="same dimension"):
        compare(x, np.ones((10, 3)))
    with pytest.raises(ParameterError, match="unknown metric"):
        compare(x, x, metrics=["kl", "bogus"])
    with pytest.raises(ParameterError, match="empty"):
        compare(x, x, metrics=[])
    with pytest.raises(DTypeError):
        compare(np.array([["a", "b"]] * 3), x)
    with pytest.raises(ParameterError, match="`alpha`"):
        compare(x, x, alpha=0)


def test_degenerate_metric_reported_not_raised():
    rng = np.random.default_rng(5)
    const, y = np.full((50, 2), 0.5), rng.normal(size=(50, 2))
    r = compare(const, y, metrics=["kl", "mmd"], n_resamples=0, categorical=False)
    assert math.isnan(r["kl"].value) and "identical" in r.rows[0].why
    assert math.isfinite(r["mmd"].value)
    json.loads(r.to_json())  # NaN serialised as a string, still valid JSON


def test_progress_forced_and_off(capsys):
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(50, 1)), rng.normal(size=(50, 1))
    compare(x, y, metrics="mmd,energy", n_resamples=0, progress=True)
    assert capsys.readouterr().err != ""
    compare(x, y, metrics="mmd,energy", n_resamples=0, progress=False)
    assert capsys.readouterr().err == ""


def test_all_metric_names_run():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(60, 2))
    r = compare(x, y, metrics=list(METRICS), n_resamples=0, rng=0)
    assert r.metrics == tuple(METRICS)


@pytest.mark.parametrize("bad", ["no", 0, 1, "False"])
def test_categorical_must_be_a_bool(bad):
    """categorical='no' was taken as True (truthy): now a ParameterError naming it."""
    from divlab.errors import ParameterError

    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 2))
    with pytest.raises(ParameterError, match="`categorical` must be True or False"):
        compare(x, x + 1, categorical=bad, metrics=["kl"], n_resamples=0)
