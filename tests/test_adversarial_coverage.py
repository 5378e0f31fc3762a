"""Reduced coverage check of the cross-fitted intervals (issue 14).

The full study (20 data seeds; KL in d = 5 with n = 10^4, and W1) is
``benchmarks/coverage_adversarial.py``, its table in ``docs/coverage-adversarial.md``
(KL 19/20, W1 20/20). Here: 8 seeds of a small KL case, KL(N(0, 1) || N(1, 1)) = 1/2 from 600
samples each, short training; the 95 % intervals must cover the truth at least 6 times (a
binomial(8, 0.95) count is >= 6 with probability 0.994) and the estimates must centre on it.
"""

from __future__ import annotations

import warnings

import numpy as np

from divlab import adversarial
from divlab.errors import ConvergenceWarning


def test_cross_fitted_kl_intervals_cover():
    hits, values = 0, []
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        x, y = rng.normal(size=(600, 1)), rng.normal(size=(600, 1)) + 1.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            r = adversarial.fgan(x, y, "kl", rng=seed, steps=300, n_bootstrap=200,
                                 critic={"width": 32})
        hits += r.ci[0] <= 0.5 <= r.ci[1]
        values.append(r.value)
    assert hits >= 6, (hits, values)
    assert abs(np.mean(values) - 0.5) < 0.08
