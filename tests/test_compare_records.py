"""compare reads its metrics from one table; ranges, units, standardisation, column names,
Ctrl-C, and a reduced calibration study of its intervals."""

from __future__ import annotations

import dataclasses
import importlib
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import divlab
from divlab.errors import CompareInterrupted, DivlabWarning, ParameterError, ShapeMismatchError
from divlab.estimators._result import Estimate
from divlab.estimators.metrics import METRIC_TABLE, default_metrics, get_metric

compare_mod = importlib.import_module("divlab.estimators.compare")
BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _pair(n=300, d=2, shift=0.5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = rng.normal(size=(n, d))
    y[:, 0] += shift
    return x, y


# ------------------------------------------------------------------ the table is the truth
def test_public_names_derive_from_the_table():
    assert tuple(divlab.estimators.METRICS) == tuple(METRIC_TABLE)
    assert divlab.estimators.DEFAULT_METRICS == default_metrics("continuous")
    assert compare_mod.DEFAULT_METRICS_CATEGORICAL == default_metrics("categorical")
    for name, m in METRIC_TABLE.items():
        assert m.name == name and m.lower <= 0 < m.upper
        assert m.estimator and m.bias and m.limits and m.resampling
        assert set(m.default_for) <= set(m.kinds)


def test_default_report_lists_the_default_metrics_in_table_order():
    x, y = _pair(200)
    report = divlab.compare(x, y, n_resamples=0, rng=0)
    assert report.metrics == default_metrics("continuous")


def test_unknown_metric_names_the_known_ones():
    with pytest.raises(KeyError, match="known: kl"):
        get_metric("kld")
    x, y = _pair(50)
    with pytest.raises(ParameterError, match=r"unknown metric.*'kld'.*choose from kl"):
        divlab.compare(x, y, metrics="kld")


@pytest.mark.parametrize("spec", ["kl", ["kl"], "kl, js", ["kl,js"], ("js", "kl", "js")])
def test_metric_specs(spec):
    x, y = _pair(60)
    report = divlab.compare(x, y, metrics=spec, n_resamples=0, rng=0)
    assert set(report.metrics) <= {"kl", "js"} and report.metrics[0] in ("kl", "js")
    assert len(report.metrics) == len(set(report.metrics))


def test_metrics_must_be_names():
    x, y = _pair(40)
    with pytest.raises(ParameterError, match="list of names"):
        divlab.compare(x, y, metrics=[1, 2])


# ------------------------------------------------------------------ range and estimate
def _est(value, ci):
    return Estimate(value, ci, "t", (1, 1))


@pytest.mark.parametrize(("value", "ci", "name", "want_value", "want_ci"), [
    (-0.1, (-0.5, 0.3), "kl", 0.0, (0.0, 0.3)),
    (0.2, (-0.5, 0.3), "kl", 0.2, (0.0, 0.3)),
    (0.7, (0.5, 0.9), "js", math.log(2), (0.5, math.log(2))),
    (0.2, (0.25, 0.3), "w1", 0.2, (0.2, 0.3)),      # the interval is made to contain the value
    (-0.01, (-0.02, -0.005), "mmd", 0.0, (0.0, 0.0)),
])
def test_bounded_keeps_value_and_interval_in_range(value, ci, name, want_value, want_ci):
    out = compare_mod._bounded(_est(value, ci), METRIC_TABLE[name])
    assert out.value == want_value
    assert out.ci == pytest.approx(want_ci, abs=0)
    if value != want_value:
        assert out.details["unclipped"] == value


def test_same_sample_interval_contains_zero_and_estimates_stay_in_range():
    x, _ = _pair(150)
    y = _pair(150, shift=0.0, seed=9)[1]
    assert divlab.compare(x, x.copy(), metrics="mmd", n_resamples=30, rng=1)["mmd"].ci[0] == 0
    report = divlab.compare(x, y, n_resamples=30, rng=1)
    for row in report.rows:
        m = METRIC_TABLE[row.metric]
        e = row.estimate
        assert m.lower <= e.value <= m.upper, row.metric
        assert m.lower <= e.ci[0] <= e.value <= e.ci[1] <= m.upper, row.metric


# ------------------------------------------------------------------ units
@pytest.mark.parametrize("k", [-20, -3, 5, 30])
def test_w1_scales_exactly_with_the_units(k):
    x, y = _pair(80, d=2, seed=3)
    base = divlab.compare(x, y, metrics="w1", n_resamples=0, rng=0)["w1"].value
    c = 2.0**k
    scaled = divlab.compare(x * c, y * c, metrics="w1", n_resamples=0, rng=0)["w1"].value
    assert scaled == base * c


def test_column_scales_reported_and_warned_then_standardized():
    x, y = _pair(200, d=3, seed=4)
    x[:, 2] *= 1e4
    y[:, 2] *= 1e4
    with pytest.warns(DivlabWarning, match="column scales differ by .*standardize=True"):
        report = divlab.compare(x, y, metrics="w1,kl", n_resamples=0, rng=0)
    assert report.extra["column_scales"][2] > 1e3
    assert any("column scales (pooled standard deviation): x0" in s for s in report.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivlabWarning)
        std = divlab.compare(x, y, metrics="w1", n_resamples=0, rng=0, standardize=True)
    # standardising removes the units: rescaling a column does not change the result
    x2, y2 = x.copy(), y.copy()
    x2[:, 1] *= 1e-5
    y2[:, 1] *= 1e-5
    std2 = divlab.compare(x2, y2, metrics="w1", n_resamples=0, rng=0, standardize=True)
    assert std2["w1"].value == pytest.approx(std["w1"].value, rel=1e-9)
    assert any("standardize=True" in s for s in std.notes)


def test_no_scale_warning_when_only_unit_free_metrics():
    x, y = _pair(100, d=2)
    x[:, 1] *= 1e6
    y[:, 1] *= 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("error", DivlabWarning)
        divlab.compare(x, y, metrics="js", n_resamples=0, rng=0)


# ------------------------------------------------------------------ column names
def test_feature_names_reach_the_report():
    x, y = _pair(60, d=2)
    report = divlab.compare(x, y, metrics="w1", n_resamples=0, feature_names=["age", "income"])
    assert report.extra["columns"] == ["age", "income"]
    assert "age" in str(report)
    with pytest.raises(ShapeMismatchError, match="3 names for 2 columns"):
        divlab.compare(x, y, feature_names=["a", "b", "c"])


def test_dataframes_are_matched_by_column_name():
    pd = pytest.importorskip("pandas")
    x, y = _pair(120, d=2, seed=5)
    x[:, 1] *= 10
    y[:, 1] *= 10
    fx = pd.DataFrame(x, columns=["age", "income"])
    fy = pd.DataFrame(y[:, ::-1], columns=["income", "age"])  # same data, other order
    got = divlab.compare(fx, fy, metrics="w1", n_resamples=0, rng=0)
    ref = divlab.compare(x, y, metrics="w1", n_resamples=0, rng=0)
    assert got["w1"].value == ref["w1"].value
    assert got.extra["columns"] == ["age", "income"]
    with pytest.raises(ShapeMismatchError, match="different columns"):
        divlab.compare(fx, pd.DataFrame(y, columns=["age", "salary"]))


# ------------------------------------------------------------------ Ctrl-C
def test_ctrl_c_returns_the_finished_rows(monkeypatch):
    x, y = _pair(60)
    real = compare_mod._run
    calls = []

    def interrupted(metric, *args, **kwargs):
        calls.append(metric)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(metric, *args, **kwargs)

    monkeypatch.setattr(compare_mod, "_run", interrupted)
    with pytest.raises(CompareInterrupted) as info:
        divlab.compare(x, y, metrics="w1,sliced_w2,mmd", n_resamples=0, rng=0)
    assert isinstance(info.value, KeyboardInterrupt)
    assert info.value.report.metrics == ("w1",)


# ------------------------------------------------------------------ calibration (reduced)
@pytest.fixture(scope="module")
def calibration():
    sys.path.insert(0, str(BENCH))
    try:
        import calibration_compare
    finally:
        sys.path.remove(str(BENCH))
    return calibration_compare


def test_calibration_truths_against_monte_carlo(calibration):
    """The closed forms of the study agree with a large Monte-Carlo sample of the same pair."""
    rng = np.random.default_rng(0)
    x, y = calibration.sample_pair(2, 4000, rng)
    from scipy.stats import energy_distance

    assert calibration.truth("energy", 1) == pytest.approx(
        energy_distance(x[:, 0], y[:, 0]), abs=0.03)
    w = divlab.wasserstein_1d(x[:, 0], y[:, 0])
    assert calibration.truth("w1", 1) == pytest.approx(float(w), abs=0.05)
    kl = divlab.gaussian_kl(np.zeros(3), np.eye(3), np.r_[calibration.DELTA, 0, 0], np.eye(3))
    assert calibration.truth("kl", 3) == pytest.approx(float(kl), rel=1e-15)


def test_calibration_table_merge_and_band(calibration, tmp_path):
    """--merge keeps the rows of cells not run now, replaces re-run cells, sorts the table
    and lists the cells still missing; the chance of a 95 % interval landing outside 93-97 %
    is the binomial one."""
    from math import comb

    res = calibration.summarize(calibration.Cell("mmd", 2, 500),
                                np.array([[1.0, 0.5, 1.5], [1.2, 0.9, 1.3]]), 4.0)
    out = tmp_path / "cal.md"
    old = res.__class__(**{**res.__dict__, "cell": calibration.Cell("kl", 1, 500)})
    rows = {calibration._row_key(calibration.result_row(r)): calibration.result_row(r)
            for r in (res, old)}
    out.write_text(calibration.markdown(rows, 200, 200))
    back = calibration.read_rows(str(out))
    assert back == rows
    text = calibration.markdown(back, 200, 200)
    assert text.index("| kl | 1 | 500 |") < text.index("| mmd | 2 | 500 |")
    assert "Not run yet: kl d=2 n=500" in text and "mmd d=2 n=500," not in text
    p_out = sum(comb(200, k) * 0.95**k * 0.05 ** (200 - k) for k in range(201)
                if not 186 <= k <= 194)
    assert calibration.outside_band_probability(200) == pytest.approx(p_out, rel=1e-9)


@pytest.mark.parametrize("metric", ["kl", "sliced_w2"])
def test_intervals_cover_the_population_value(calibration, metric):
    """>= 60 replicate datasets: the 95 % interval covers the mean estimate (the estimator's
    population value) in >= 85 % (binomial 3-sigma band at 60 replicates) and its width
    matches the spread of the estimates across replicates."""
    cell = calibration.Cell(metric, 2, 300)
    result = calibration.run_cell(cell, reps=60, n_resamples=100, workers=1)
    assert result.cover_pop >= 0.85, result
    assert 0.7 <= result.width_ratio <= 1.5, result


# ------------------------------------------------------------------ progress inside a metric
def test_progress_moves_inside_each_metric(monkeypatch, capsys):
    from divlab.estimators import _progress

    _progress.report_fraction(1, 2)  # no bar: nothing happens, nothing fails
    x, y = _pair(40)
    seen = []
    real = compare_mod._run

    def reporting(metric, *args, **kwargs):
        for i in range(1, 5):
            _progress.report_fraction(i, 4)
            active = _progress._ACTIVE.get()
            if active is not None:
                seen.append(active._shown)
        return real(metric, *args, **kwargs)

    monkeypatch.setattr(compare_mod, "_run", reporting)
    divlab.compare(x, y, metrics="w1,kl", n_resamples=0, rng=0, progress=True)
    units = _progress._UNITS
    assert seen == [units // 4, units // 2, 3 * units // 4, units,
                    units + units // 4, units + units // 2, units + 3 * units // 4, 2 * units]
    assert _progress._ACTIVE.get() is None
    divlab.compare(x, y, metrics="w1", n_resamples=0, rng=0, progress=False)
    assert seen[-1] == 2 * units  # a silent run reports nothing


# ------------------------------------------------------------------ groups share work
@pytest.mark.parametrize("pair", [("kl", "js"), ("mmd", "energy")])
def test_group_results_do_not_depend_on_the_other_members(pair):
    x, y = _pair(300, d=3, seed=11)
    both = divlab.compare(x, y, metrics=list(pair), n_resamples=40, rng=5)
    for m in pair:
        alone = divlab.compare(x, y, metrics=m, n_resamples=40, rng=5)
        assert both[m] == alone[m], m


def test_prdc_alias_expands_to_four_rows():
    x, y = _pair(200, d=4, seed=12)
    report = divlab.compare(x, y, metrics="prdc,fid", n_resamples=0, rng=0)
    assert report.metrics == ("precision", "recall", "density", "coverage", "fid")
    for m in ("precision", "recall", "coverage"):
        assert 0.0 <= report[m].value <= 1.0


# ------------------------------------------------------------------ review findings
def test_a_group_has_one_subsample_cap_whatever_was_asked():
    assert compare_mod._group_limit("kl") == compare_mod._group_limit("js") == min(
        METRIC_TABLE["kl"].max_n, METRIC_TABLE["js"].max_n)
    assert compare_mod._group_limit("w1") is METRIC_TABLE["w1"].max_n


def test_repeated_column_names_are_refused():
    pd = pytest.importorskip("pandas")
    x, _ = _pair(50, d=3)
    fx = pd.DataFrame(x, columns=["a", "a", "b"])
    with pytest.raises(ShapeMismatchError, match="repeated column names"):
        divlab.compare(fx, fx.iloc[:, [0, 2, 1]], metrics="w1")


def test_two_single_columns_need_no_matching_names():
    pd = pytest.importorskip("pandas")
    x, y = _pair(80, d=1)
    got = divlab.compare(pd.Series(x[:, 0], name="before"), pd.Series(y[:, 0], name="after"),
                         metrics="w1", n_resamples=0)
    assert got["w1"].value == float(divlab.wasserstein_1d(x[:, 0], y[:, 0]))


def test_a_metric_needing_more_rows_leaves_the_others():
    x, y = _pair(3, d=2)
    report = divlab.compare(x, y, metrics="w1,fid", n_resamples=0)
    assert math.isfinite(report["w1"].value) and math.isnan(report["fid"].value)
    assert "at least 4 rows" in report.rows[1].why


def test_public_generative_intervals_stay_in_range():
    x, y = _pair(300, d=4, shift=0.0, seed=21)
    lo, hi = divlab.fid(x, y, n_resamples=40, rng=0).ci
    assert 0.0 <= lo <= hi
    for name, est in divlab.prdc(x, y, n_resamples=40, rng=0).items():
        top = math.inf if name == "density" else 1.0
        assert 0.0 <= est.ci[0] <= est.value <= est.ci[1] <= top, name


def test_tables_get_a_clear_error_from_array_functions():
    pd = pytest.importorskip("pandas")
    from divlab.errors import BackendError

    x, _ = _pair(20, d=2)
    with pytest.raises(BackendError, match=r"table, not an array.*to_numpy"):
        divlab.frechet_distance(pd.DataFrame(x), pd.DataFrame(x))


def test_threaded_exact_w_resampling_equals_one_thread():
    from divlab import _array

    x, y = _pair(120, d=2, seed=31)
    threaded = divlab.compare(x, y, metrics="w1,w2", n_resamples=30, rng=2)
    old = _array.set_threads(1)
    try:
        single = divlab.compare(x, y, metrics="w1,w2", n_resamples=30, rng=2)
    finally:
        _array.set_threads(old)
    assert threaded["w1"] == single["w1"] and threaded["w2"] == single["w2"]


def test_thread_map_keeps_order_and_reports_progress():
    from divlab._array import thread_map

    seen = []
    out = thread_map(lambda i: i * i, range(50), progress=lambda d, t: seen.append((d, t)))
    assert out == [i * i for i in range(50)]
    assert seen == [(i, 50) for i in range(1, 51)]


def test_a_subsampled_knn_metric_says_so_like_the_kernels_do(monkeypatch):
    """Beyond the k-NN group's cap, KL and JS report the full sizes in ``n``, name the
    subsample in ``method`` and in ``details["subsampled_to"]``, as MMD does."""
    for name in ("kl", "js"):
        monkeypatch.setattr(compare_mod, "METRIC_TABLE", {
            **compare_mod.METRIC_TABLE,
            name: dataclasses.replace(compare_mod.METRIC_TABLE[name], max_n=150)})
    x, y = _pair(200, d=2, seed=31)
    report = divlab.compare(x, y, metrics="kl,js,mmd", n_resamples=0, rng=0)
    for name in ("kl", "js"):
        est = report[name]
        assert est.n == (200, 200)
        assert est.details["subsampled_to"] == [150, 150]
        assert est.method.endswith("on 150+150 subsample")
        assert "random subsample of 150 x 150" in report.rows[report.metrics.index(name)].why
    assert "subsampled_to" not in report["mmd"].details  # below its own cap


def test_categorical_plugin_uses_every_point(monkeypatch):
    """The plug-in KL/JS of categorical data cost O(n): the k-NN cap does not apply."""
    for name in ("kl", "js"):
        monkeypatch.setattr(compare_mod, "METRIC_TABLE", {
            **compare_mod.METRIC_TABLE,
            name: dataclasses.replace(compare_mod.METRIC_TABLE[name], max_n=50)})
    rng = np.random.default_rng(5)
    x, y = rng.integers(0, 4, 300), rng.integers(0, 5, 300)
    report = divlab.compare(x, y, metrics="kl,js", n_resamples=20, rng=0)
    assert report["kl"].value == divlab.estimators.plugin_kl(x, y).value
    for name in ("kl", "js"):
        assert report[name].n == (300, 300) and "subsampled_to" not in report[name].details
