"""The input contract (DESIGN section 5) for every function of divlab.discrete.

Each check asserts the exception class *and* that the message names the argument in
backticks. The fast NumPy path (large contiguous arrays) is checked separately: it must
raise exactly the same errors as the generic path.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import divlab.discrete as D
from divlab import _array as _blocked
from divlab.errors import (
    DTypeError,
    EmptyInputError,
    NegativeValueError,
    NonFiniteError,
    NormalizationError,
    ParameterError,
    ShapeMismatchError,
)

PAIR_FUNCS = {
    "kl": D.kl,
    "reverse_kl": D.reverse_kl,
    "js": D.js,
    "js_distance": D.js_distance,
    "total_variation": D.total_variation,
    "squared_hellinger": D.squared_hellinger,
    "hellinger": D.hellinger,
    "pearson_chi2": D.pearson_chi2,
    "neyman_chi2": D.neyman_chi2,
    "jeffreys": D.jeffreys,
    "cross_entropy": D.cross_entropy,
    "renyi": lambda p, q, **kw: D.renyi(p, q, 2.0, **kw),
    "alpha_divergence": lambda p, q, **kw: D.alpha_divergence(p, q, 0.5, **kw),
    "f_divergence": lambda p, q, **kw: D.f_divergence(p, q, "kl", **kw),
}
BASE_FUNCS = ["kl", "reverse_kl", "js", "js_distance", "jeffreys", "cross_entropy", "renyi"]

GOOD = np.array([0.25, 0.25, 0.5])


def _entropy_as_pair(p, q, **kw):
    return D.entropy(p, **kw)


ALL = {**PAIR_FUNCS, "entropy": _entropy_as_pair}


def _raises(exc, name, fn, *args, **kw):
    with pytest.raises(exc) as info:
        fn(*args, **kw)
    assert f"`{name}`" in str(info.value), str(info.value)
    return str(info.value)


BAD_VALUES = [
    ("negative", [0.5, -0.1, 0.6], NegativeValueError),
    ("nan", [0.5, math.nan, 0.5], NonFiniteError),
    ("inf", [0.5, math.inf, 0.5], NonFiniteError),
    ("-inf", [0.5, -math.inf, 0.5], NonFiniteError),
    ("empty", [], EmptyInputError),
    ("zero_mass", [0.0, 0.0, 0.0], EmptyInputError),
    ("unnormalised", [0.5, 0.5, 0.5], NormalizationError),
    ("huge", [1e308, 1e308, 1e308], NormalizationError),
]


@pytest.mark.parametrize("case", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
@pytest.mark.parametrize("fname", sorted(ALL))
def test_bad_values(fname, case):
    _, bad, exc = case
    fn = ALL[fname]
    bad = np.asarray(bad, dtype=np.float64)
    good = GOOD if bad.size else np.asarray([], dtype=np.float64)
    _raises(exc, "p", fn, bad, good)
    if fname != "entropy" and bad.size:
        _raises(exc, "q", fn, good, bad)


@pytest.mark.parametrize("fname", sorted(PAIR_FUNCS))
def test_shape_mismatch_shows_both_shapes(fname):
    msg = _raises(ShapeMismatchError, "p", PAIR_FUNCS[fname], GOOD, np.array([0.5, 0.5]))
    assert "(3,)" in msg and "(2,)" in msg and "`q`" in msg
    # (2, 3) and (3,) broadcast (as in NumPy and scipy.stats.entropy); (2, 3) and (2,) do not
    msg = _raises(ShapeMismatchError, "p", PAIR_FUNCS[fname], np.ones((2, 3)) / 3,
                  np.array([0.5, 0.5]))
    assert "(2, 3)" in msg and "(2,)" in msg


@pytest.mark.parametrize("fname", sorted(ALL))
def test_bad_dtypes(fname):
    fn = ALL[fname]
    _raises(DTypeError, "p", fn, GOOD.astype(complex), GOOD)
    _raises(DTypeError, "p", fn, np.array(["a", "b", "c"]), GOOD)
    _raises(DTypeError, "p", fn, np.array([0.5, 0.5, None], dtype=object), GOOD)
    _raises(DTypeError, "p", fn, [[0.5], [0.25, 0.25]], GOOD)  # ragged
    if fname != "entropy":
        _raises(DTypeError, "q", fn, GOOD, GOOD.astype(np.complex64))
    # DTypeError is a TypeError
    with pytest.raises(TypeError):
        fn(GOOD.astype(complex), GOOD)


@pytest.mark.parametrize("fname", sorted(ALL))
def test_dtype_conversions(fname):
    fn = ALL[fname]
    ints = np.array([0, 1, 0])
    assert fn(ints, ints).dtype == np.float64
    assert fn([0, 1], [0, 1]).dtype == np.float64  # lists are NumPy
    assert fn([True, False], [True, False]).dtype == np.float64
    assert fn(GOOD.astype(np.float16), GOOD.astype(np.float16)).dtype == np.float32
    assert fn(GOOD.astype(np.float32), GOOD.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("fname", sorted(ALL))
def test_normalize_option(fname):
    fn = ALL[fname]
    p = np.array([1.0, 1.0, 2.0])
    q = np.array([2.0, 1.0, 1.0])
    _raises(NormalizationError, "p", fn, p, q)
    got = fn(p, q, normalize=True)
    want = fn(p / p.sum(), q / q.sum())
    assert float(got) == pytest.approx(float(want), rel=1e-13, abs=1e-15)
    # slightly off within the tolerance (1e-6) is accepted without normalize
    fn(GOOD * (1 + 1e-8), GOOD)
    for flag in ("yes", 0, 1, None):
        _raises(ParameterError, "normalize", fn, GOOD, GOOD, normalize=flag)
    fn(GOOD, GOOD, normalize=np.True_)


@pytest.mark.parametrize("fname", sorted(ALL))
def test_bad_axis_and_keepdims(fname):
    fn = ALL[fname]
    for axis in (1, -2, 1.5, "0", None):
        _raises(ParameterError, "axis", fn, GOOD, GOOD, axis=axis)
    _raises(ParameterError, "keepdims", fn, GOOD, GOOD, keepdims="no")


def test_zero_mass_slice_in_batch():
    p = np.array([[0.5, 0.5], [0.0, 0.0]])
    for fname, fn in ALL.items():
        msg = _raises(EmptyInputError, "p", fn, p, np.full((2, 2), 0.5))
        assert "zero total mass" in msg, fname


def test_scalar_input():
    for fn in ALL.values():
        with pytest.raises(ShapeMismatchError, match="`p`"):
            fn(1.0, 1.0)


@pytest.mark.parametrize("fname", [*BASE_FUNCS, "entropy"])
def test_bad_base(fname):
    fn = ALL[fname]
    for base in (0, -2, 1, 1.0, math.inf, math.nan, "2", True, 1 + 2j):
        _raises(ParameterError, "base", fn, GOOD, GOOD, base=base)
    fn(GOOD, GOOD, base=np.float32(2.0))  # NumPy scalars are fine


def test_bad_alpha():
    for alpha in (-0.5, math.nan, -math.inf, "2", None, True, 1j):
        _raises(ParameterError, "alpha", D.renyi, GOOD, GOOD, alpha)
    for alpha in (math.nan, math.inf, -math.inf, "2", None, False):
        _raises(ParameterError, "alpha", D.alpha_divergence, GOOD, GOOD, alpha)
    assert D.renyi(GOOD, GOOD, math.inf) == 0.0
    assert D.alpha_divergence(GOOD, GOOD, -3.0) == 0.0


def test_f_divergence_bad_spec():
    with pytest.raises(ParameterError, match="unknown f-divergence"):
        D.f_divergence(GOOD, GOOD, "not_a_divergence")
    with pytest.raises(ParameterError):
        D.f_divergence(GOOD, GOOD, "alpha")  # missing parameter


def test_value_errors_are_value_errors():
    with pytest.raises(ValueError):
        D.kl([0.5, -0.5, 1.0], GOOD)
    with pytest.raises(ValueError):
        D.kl(GOOD, GOOD, base=-1)


# --- the fast NumPy path validates as strictly as the generic path ------------------


def _big(n=3 * _blocked.BLOCK + 5, rows=None):
    rng = np.random.default_rng(0)
    shape = (n,) if rows is None else (rows, n)
    p = rng.random(shape)
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize("fname", ["kl", "reverse_kl", "js", "js_distance"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_path_contract(fname, dtype):
    fn = PAIR_FUNCS[fname]
    p = _big().astype(dtype)
    q = _big()[::-1].copy().astype(dtype)
    neg = p.copy()
    neg[-3] = -1e-3
    _raises(NegativeValueError, "p", fn, neg, q)
    _raises(NegativeValueError, "q", fn, p, neg)
    for value in (math.nan, math.inf):
        bad = p.copy()
        bad[12345] = value
        msg = _raises(NonFiniteError, "q", fn, p, bad)
        assert "12345" in msg
    _raises(NormalizationError, "p", fn, p * 1.001, q)
    _raises(NormalizationError, "q", fn, p, q * 0.999)
    hugep = np.full(p.shape, 1e308, dtype=np.float64)
    _raises(NormalizationError, "p", fn, hugep, q.astype(np.float64))
    _raises(ShapeMismatchError, "p", fn, p, q[:-1])
    batch = _big(70000, rows=3)
    batch_bad = batch.copy()
    batch_bad[1] = 0.0
    _raises(EmptyInputError, "q", fn, batch, batch_bad)
    _raises(NormalizationError, "p", fn, batch * 2, batch)
    _raises(DTypeError, "p", fn, p.astype(np.complex128), q)
    assert fn(p, q, normalize=False).dtype == dtype


@pytest.mark.parametrize("name", sorted(PAIR_FUNCS))
def test_float16_vectors_normalised_in_half_precision_are_accepted(name):
    """[0.3, 0.7] in float16 sums to exactly 1 in float16 but to 1 + 2.4e-4 in float32:
    accepted (tolerance = float16 epsilon), computed in float32, equal to the result on the
    renormalised numbers up to the inputs' own precision (generators differ in how they
    treat the 2.4e-4 excess mass); a real normalisation error is still reported."""
    fn = PAIR_FUNCS[name]
    p16, q16 = np.array([0.3, 0.7], np.float16), np.array([0.5, 0.5], np.float16)
    got = fn(p16, q16)
    assert got.dtype == np.float32
    want = fn(p16.astype(np.float64), q16.astype(np.float64), normalize=True)
    assert float(got) == pytest.approx(float(want), rel=2e-3, abs=float(np.finfo(np.float16).eps))
    with pytest.raises(NormalizationError, match="`p`"):
        fn(np.array([0.3, 0.8], np.float16), q16)


def test_f_divergence_errors_name_the_argument():
    p = np.array([0.5, 0.5])
    with pytest.raises(ParameterError, match=r"^`f` must be a name or an FDivergence"):
        D.f_divergence(p, p, len)
    with pytest.raises(ParameterError, match=r"`f` = 'alpha' .*`alpha`: missing `alpha`"):
        D.f_divergence(p, p, "alpha")
    with pytest.raises(ParameterError, match=r"`f` = 'kl' takes no parameters"):
        D.f_divergence(p, p, "kl", alpha=0.5)
