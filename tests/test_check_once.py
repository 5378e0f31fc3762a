"""Check once, at the door (DESIGN.md section 3, issue #9).

Every public estimator validates its inputs once and calls a private kernel that trusts them;
``compare`` validates ``x`` and ``y`` once, makes one host copy of each and calls the kernels.
Backend decisions (NumPy fast paths) live in ``divlab._array``, never in the estimators.

:func:`count_calls` is the measuring tool: it counts the calls of the validation functions
and of the host round trips ``to_numpy`` / ``scalar`` during a block, patching the defining
module and every ``divlab`` module that imported the name with ``from ... import``. Run this
file as a script to print the counts of one ``compare`` and of ``divlab compare --demo``::

    python tests/test_check_once.py
"""

from __future__ import annotations

import collections
import contextlib
import functools
import importlib
import pathlib
import pkgutil
import re
import sys
import warnings

import numpy as np
import pytest

import divlab
from divlab.errors import (
    BackendError,
    DTypeError,
    EmptyInputError,
    NonFiniteError,
    ParameterError,
    ShapeMismatchError,
)
from divlab.estimators import (
    METRICS,
    compare,
    energy_distance,
    knn_entropy,
    knn_js,
    knn_kl,
    median_bandwidth,
    mmd,
    plugin_js,
    plugin_kl,
    sliced_wasserstein_estimate,
    wasserstein_estimate,
)

#: The counted functions, by defining module.
COUNTED = {
    "divlab._validate": ("check_samples", "check_sample_pair", "as_float_array", "check_finite"),
    "divlab._array": ("to_numpy", "scalar"),
}
COUNTED_NAMES = tuple(name for names in COUNTED.values() for name in names)


def _import_all_divlab() -> None:
    """Import every divlab module first, so that no module imports a counting wrapper."""
    for info in pkgutil.walk_packages(divlab.__path__, "divlab."):
        with contextlib.suppress(Exception):  # optional dependencies
            importlib.import_module(info.name)


@contextlib.contextmanager
def count_calls():
    """Count calls of the :data:`COUNTED` functions inside the block (a ``Counter``).

    Patches the defining module and every ``divlab`` module holding the same function under
    any name (``from ..._validate import check_samples``); calls between functions of one
    module go through its globals and are counted too (``scalar`` calls ``to_numpy``).
    """
    _import_all_divlab()
    counts: collections.Counter[str] = collections.Counter({n: 0 for n in COUNTED_NAMES})
    wrappers = {}
    for modname, names in COUNTED.items():
        mod = importlib.import_module(modname)
        for name in names:
            orig = getattr(mod, name)

            @functools.wraps(orig)
            def wrapper(*args, _orig=orig, _name=name, **kwargs):
                counts[_name] += 1
                return _orig(*args, **kwargs)

            wrappers[orig] = wrapper
    patched = []
    for modname, mod in list(sys.modules.items()):
        if mod is None or not (modname == "divlab" or modname.startswith("divlab.")):
            continue
        for attr, value in list(vars(mod).items()):
            if callable(value) and value in wrappers:
                setattr(mod, attr, wrappers[value])
                patched.append((mod, attr, value))
    try:
        yield counts
    finally:
        for mod, attr, value in patched:
            setattr(mod, attr, value)


def measure() -> dict[str, dict[str, int]]:
    """Counts of one ``compare(x, y, rng=0)`` on the demo data and of the ``--demo`` path."""
    from divlab._demo import demo_data, run_demo

    x, y = demo_data()
    out = {}
    with count_calls() as c:
        compare(x, y, rng=0)
    out["compare"] = dict(c)
    with count_calls() as c:
        run_demo(progress=False)
    out["--demo"] = dict(c)
    return out


#: One validation of each of the two samples, nothing else.
ONE_PAIR = {"check_sample_pair": 1, "check_samples": 2, "as_float_array": 2, "check_finite": 2}
#: ``compare``: the pair validated once, one host copy of each sample, no scalar read.
COMPARE_COUNTS = {**ONE_PAIR, "to_numpy": 2, "scalar": 0}


# ----------------------------------------------------------------------------- the helper


def test_count_calls_counts_and_restores():
    from divlab import _array, _validate
    from divlab.estimators import knn

    before = (_validate.check_samples, knn.check_sample_pair, _array.to_numpy)
    with count_calls() as c:
        assert knn.check_sample_pair is not before[1]
        _validate.check_sample_pair(np.ones((3, 1)), np.zeros((2, 1)))
        _array.scalar(np.float64(1.0))
    assert (_validate.check_samples, knn.check_sample_pair, _array.to_numpy) == before
    assert dict(c) == {**ONE_PAIR, "to_numpy": 1, "scalar": 1}


# ----------------------------------------------------------------------------- compare


@pytest.fixture(scope="module")
def measured():
    return measure()


def test_compare_validates_each_sample_once(measured):
    """One ``compare`` on the demo data (six metrics, 200 resamples each): each array is
    validated exactly once and copied to the host exactly once (issue #9 measured 10
    ``check_sample_pair``, 20 ``check_samples``, 46 ``to_numpy`` and 19 ``scalar`` calls)."""
    assert measured["compare"] == COMPARE_COUNTS


def test_demo_path_validates_each_sample_once(measured):
    """``divlab compare --demo`` (six metrics, plus the true values): the same."""
    assert measured["--demo"] == COMPARE_COUNTS


def test_compare_on_another_backend_copies_to_host_once():
    import array_api_strict as xs

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(120, 2)), rng.normal(0.5, 1.0, size=(100, 2))
    with count_calls() as c:
        report = compare(xs.asarray(x), xs.asarray(y), metrics=list(METRICS),
                         n_resamples=20, rng=0)
    assert dict(c) == COMPARE_COUNTS
    ref = compare(x, y, metrics=list(METRICS), n_resamples=20, rng=0)
    assert report.to_dict()["rows"] == ref.to_dict()["rows"]


def test_compare_categorical_validates_once():
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 4, size=(200, 1)), rng.integers(0, 5, size=(150, 1))
    with count_calls() as c:
        report = compare(x, y, n_resamples=20, rng=0)
    assert report.data_kind == "categorical"
    assert dict(c) == COMPARE_COUNTS


# ----------------------------------------------------------------------------- estimators

_RNG = np.random.default_rng(2)
X2, Y2 = _RNG.normal(size=(150, 2)), _RNG.normal(0.5, 1.0, size=(120, 2))
X1, Y1 = X2[:, :1], Y2[:, :1]

#: (name, call, number of samples, host reads on array_api_strict input)
ESTIMATORS = [
    # flags of the degenerate-sample check, then one read of value and diagnostics
    ("knn_kl", lambda x, y: knn_kl(x, y), 2, 2),
    # ... plus one host copy of each sample for the resampling tables
    ("knn_kl_resampled", lambda x, y: knn_kl(x, y, n_resamples=10, rng=0), 2, 4),
    ("knn_kl_adaptive", lambda x, y: knn_kl(x, y, variant="adaptive"), 2, 3),
    ("knn_entropy", lambda x, y: knn_entropy(x), 1, 2),
    ("knn_js", lambda x, y: knn_js(x, y, rng=0), 2, 2),
    # the scale, the bandwidth subsample, the three block sums in one read
    ("mmd", lambda x, y: mmd(x, y, rng=0), 2, 3),
    ("mmd_bandwidth", lambda x, y: mmd(x, y, bandwidth=1.0), 2, 2),
    ("energy_distance", lambda x, y: energy_distance(x, y), 2, 1),
    ("energy_distance_1d", lambda x, y: energy_distance(x[:, :1], y[:, :1]), 2, 1),
    # weights and cost matrix to POT's simplex, then the value
    ("wasserstein_estimate", lambda x, y: wasserstein_estimate(x, y), 2, 4),
    ("wasserstein_estimate_1d", lambda x, y: wasserstein_estimate(x[:, :1], y[:, :1]), 2, 1),
    ("sliced_wasserstein_estimate", lambda x, y: sliced_wasserstein_estimate(x, y, rng=0), 2, 1),
    ("plugin_kl", lambda x, y: plugin_kl(x, y, bins=5), 2, 2),
    ("plugin_js", lambda x, y: plugin_js(x, y), 2, 2),
    ("median_bandwidth", lambda x, y: median_bandwidth(x, y), 2, 1),
]


@pytest.mark.parametrize(("name", "call", "n_samples", "reads"), ESTIMATORS,
                         ids=[e[0] for e in ESTIMATORS])
def test_estimator_validates_once_and_makes_no_round_trip_on_numpy(name, call, n_samples, reads):
    with count_calls() as c:
        call(X2, Y2)
    per_sample = {"check_samples": n_samples, "as_float_array": n_samples,
                  "check_finite": n_samples}
    assert dict(c) == {**per_sample, "check_sample_pair": int(n_samples == 2),
                       "to_numpy": 0, "scalar": 0}


@pytest.mark.parametrize(("name", "call", "n_samples", "reads"), ESTIMATORS,
                         ids=[e[0] for e in ESTIMATORS])
def test_estimator_host_reads_on_another_backend(name, call, n_samples, reads):
    """On a non-NumPy backend the kernels read back a fixed, small number of times (several
    values in one transfer, :func:`divlab._array.host_floats`) and never call ``scalar``;
    the values equal the NumPy ones."""
    import array_api_strict as xs

    with count_calls() as c:
        got = call(xs.asarray(X2), xs.asarray(Y2))
    assert c["check_samples"] == n_samples
    assert (c["to_numpy"], c["scalar"]) == (reads, 0)
    ref = call(X2, Y2)
    value = got if isinstance(got, float) else got.value
    ref_value = ref if isinstance(ref, float) else ref.value
    assert value == pytest.approx(ref_value, rel=1e-9, abs=1e-12)


def test_no_backend_branches_in_the_estimators():
    """A NumPy fast path is a strategy of ``divlab._array`` (e.g. ``knn_kth_distance``),
    never an ``is_numpy``/``is_cupy`` branch in a domain module."""
    root = pathlib.Path(divlab.__file__).parent / "estimators"
    for path in sorted(root.glob("*.py")):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"\bis_(numpy|cupy)\b", text), path.name


# ----------------------------------------------------------------------------- errors

_NAN = X2.copy()
_NAN[3, 1] = np.nan
_INF = Y2.copy()
_INF[0, 0] = -np.inf

#: bad samples -> (exception, message pattern); "needs2" rows apply to min_n=2 estimators.
BAD_SAMPLES = {
    "nan_x": ((_NAN, Y2), NonFiniteError, r"`x` contains 1 non-finite value\(s\); first is NaN"),
    "inf_y": ((X2, _INF), NonFiniteError, r"`y` .* first is -inf at index \(0, 0\)"),
    "dimension": ((X2, Y2[:, :1]), ShapeMismatchError, "same dimension d"),
    "3-d": ((X2[None], Y2), ShapeMismatchError, r"`x` must be 1-D \(n,\) or 2-D"),
    "scalar": ((3.0, Y2), ShapeMismatchError, r"got shape \(\)"),
    "empty": ((X2[:0], Y2), EmptyInputError, r"`x` is empty \(shape \(0, 2\)\)"),
    "no columns": ((np.ones((5, 0)), np.ones((5, 0))), EmptyInputError, "`x` is empty"),
    "complex": ((X2 + 1j, Y2), DTypeError, "complex"),
    "strings": ((np.array([["a", "b"]]), Y2), DTypeError, "not numeric"),
    "ragged": (([[1.0], [1.0, 2.0]], Y2), DTypeError, "could not be converted"),
    "None": ((None, Y2), DTypeError, "must be an array"),
}
TWO_SAMPLE = {
    "knn_kl": knn_kl, "knn_js": knn_js, "mmd": mmd, "energy_distance": energy_distance,
    "wasserstein_estimate": wasserstein_estimate,
    "sliced_wasserstein_estimate": sliced_wasserstein_estimate, "plugin_kl": plugin_kl,
    "plugin_js": plugin_js, "median_bandwidth": median_bandwidth,
    "compare": functools.partial(compare, n_resamples=0),
}
NEEDS_TWO_POINTS = {"knn_kl", "knn_js", "mmd", "compare"}


@pytest.mark.parametrize("case", list(BAD_SAMPLES))
@pytest.mark.parametrize("name", list(TWO_SAMPLE))
def test_bad_samples_raise_at_the_door(name, case):
    (x, y), exc, pattern = BAD_SAMPLES[case]
    with pytest.raises(exc, match=pattern):
        TWO_SAMPLE[name](x, y)


@pytest.mark.parametrize("name", list(TWO_SAMPLE))
def test_too_few_samples_and_mixed_backends(name):
    import array_api_strict as xs

    fn = TWO_SAMPLE[name]
    if name in NEEDS_TWO_POINTS:
        with pytest.raises(EmptyInputError, match="`x` has 1 sample"):
            fn(X2[:1], Y2)
        with pytest.raises(EmptyInputError, match="`y` has 1 sample"):
            fn(X2, Y2[:1])
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(X2[:1], Y2)  # one point is a valid sample here
    with pytest.raises(BackendError, match="different array libraries"):
        fn(X2, xs.asarray(Y2))
    with pytest.raises(NonFiniteError, match="`x`"):
        fn(xs.asarray(_NAN), xs.asarray(Y2))


def test_knn_entropy_bad_samples():
    for case in ("nan_x", "3-d", "scalar", "empty", "complex", "strings", "ragged", "None"):
        (x, _), exc, pattern = BAD_SAMPLES[case]
        with pytest.raises(exc, match=pattern):
            knn_entropy(x)
    with pytest.raises(EmptyInputError, match="`x` has 1 sample"):
        knn_entropy(X2[:1])


BAD_PARAMETERS = [
    (knn_kl, {"k": 150}, "`k`=150 must be smaller than the number of samples n=150"),
    (knn_kl, {"k": 121}, "`k`=121 exceeds the size of the other sample m=120"),
    (knn_kl, {"k": 0}, "`k` must be >= 1"),
    (knn_kl, {"variant": "magic"}, "`variant`"),
    (knn_kl, {"n_resamples": -1}, "`n_resamples`"),
    (knn_kl, {"rng": "seed"}, "`rng`"),
    (knn_js, {"k": 120}, "`k`=120 must be smaller than the number of samples n=120"),
    (knn_js, {"alpha": 0.0}, "`alpha`"),
    (mmd, {"bandwidth": 0.0}, "`bandwidth`"),
    (mmd, {"bandwidth": np.nan}, "`bandwidth`"),
    (mmd, {"max_matrix_n": 4}, "`max_matrix_n`"),
    (energy_distance, {"n_resamples": True}, "`n_resamples`"),
    (wasserstein_estimate, {"p": 0.5}, "`p`"),
    (wasserstein_estimate, {"max_exact_n": 1}, "`max_exact_n`"),
    (sliced_wasserstein_estimate, {"n_projections": 0}, "`n_projections`"),
    (sliced_wasserstein_estimate, {"p": np.inf}, "`p`"),
    (plugin_kl, {"smoothing": -1.0}, "`smoothing`"),
    (plugin_kl, {"bins": "magic"}, "`bins`"),
    (plugin_js, {"bins": 0}, "`bins`"),
    # validated at the door even when no subsample (and so no random draw) is needed
    (median_bandwidth, {"rng": "seed"}, "`rng`"),
    (compare, {"metrics": "kl,magic"}, "unknown metric"),
    (compare, {"alpha": 3}, "`alpha`"),
    (compare, {"max_exact_n": 1}, "`max_exact_n`"),
    (compare, {"categorical": "yes"}, "`categorical`"),
]


@pytest.mark.parametrize(("fn", "kwargs", "pattern"), BAD_PARAMETERS,
                         ids=[f"{f.__name__}-{'-'.join(k)}" for f, k, _ in BAD_PARAMETERS])
def test_bad_parameters_raise_at_the_door(fn, kwargs, pattern):
    with pytest.raises(ParameterError, match=pattern):
        fn(X2, Y2, **kwargs)


def test_knn_entropy_bad_parameters():
    with pytest.raises(ParameterError, match="`k`=150 must be smaller"):
        knn_entropy(X2, k=150)
    with pytest.raises(ParameterError, match="`n_resamples`"):
        knn_entropy(X2, n_resamples=1.5)


def test_samples_are_checked_before_plugin_parameters_as_before():
    """The plug-in door keeps the original order: parameters, then samples, then ``bins``."""
    with pytest.raises(ParameterError, match="`smoothing`"):
        plugin_kl(_NAN, Y2, smoothing=-1.0)
    with pytest.raises(NonFiniteError):
        plugin_kl(_NAN, Y2, bins="magic")


if __name__ == "__main__":
    for what, counts in measure().items():
        print(f"{what:8s}", ", ".join(f"{k}={v}" for k, v in counts.items()))
