"""The f-GAN table of the lecture, exactly as printed, and what it gets wrong.

:data:`LECTURE_TABLE` lists the registry keys of the six rows in printed order; each
built-in entry reproducing a row carries the printed row (``lecture_latex``) and, where
the printed table is wrong, an ``erratum`` (see ``docs/fdivergences.rst``; DESIGN §2).
"""

from __future__ import annotations

__all__ = ["LECTURE_TABLE", "LECTURE_ROWS", "ERRATA"]

#: Registry keys of the six rows of the lecture's f-GAN table, in printed order.
LECTURE_TABLE: tuple[str, ...] = (
    "kl",
    "reverse_kl",
    "pearson",
    "squared_hellinger",
    "fgan_js",
    "gan",
)

# The lecture's f-GAN tables, exactly as printed (two tables merged per row).
LECTURE_ROWS: dict[str, dict[str, str]] = {
    "kl": {
        "name": "Kullback-Leibler",
        "divergence": r"\int p(x) \log \frac{p(x)}{q(x)} dx",
        "f": r"u \log u",
        "optimal_critic": r"1 + \log \frac{p(x)}{q(x)}",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "conjugate": r"\exp(t - 1)",
        "f_prime_at_1": "1",
    },
    "reverse_kl": {
        "name": "Reverse KL",
        "divergence": r"\int q(x) \log \frac{q(x)}{p(x)} dx",
        "f": r"-\log u",
        "optimal_critic": r"-\frac{q(x)}{p(x)}",
        "activation": r"-\exp(-v)",
        "domain": r"\mathbb{R}_-",
        "conjugate": r"-1 - \log(-t)",
        "f_prime_at_1": "-1",
    },
    "pearson": {
        "name": "Pearson χ^2",
        "divergence": r"\int \frac{(q(x)-p(x))^2}{p(x)} dx",
        "f": r"(u-1)^2",
        "optimal_critic": r"2\left(\frac{p(x)}{q(x)} - 1\right)",
        "activation": "v",
        "domain": r"\mathbb{R}",
        "conjugate": r"\frac{1}{4}t^2 + t",
        "f_prime_at_1": "0",
    },
    "squared_hellinger": {
        "name": "Squared Hellinger",
        "divergence": r"\int \left(\sqrt{p(x)} - \sqrt{q(x)}\right)^2 dx",
        "f": r"(\sqrt{u}-1)^2",
        "optimal_critic": r"\left(\sqrt{\frac{p(x)}{q(x)}} - 1\right) \cdot "
        r"\sqrt{\frac{q(x)}{p(x)}}",
        "activation": r"1 - \exp(-v)",
        "domain": r"t < 1",
        "conjugate": r"\frac{t}{1-t}",
        "f_prime_at_1": "0",
    },
    "fgan_js": {
        "name": "Jensen-Shannon",
        "divergence": r"\frac{1}{2} \int p(x) \log \frac{2p(x)}{p(x)+q(x)} + q(x) \log "
        r"\frac{2q(x)}{p(x)+q(x)} dx",
        "f": r"-(u+1) \log \frac{1+u}{2} + u \log u",
        "optimal_critic": r"\log \frac{2p(x)}{p(x)+q(x)}",
        "activation": r"\log(2) - \log(1 + \exp(-v))",
        "domain": r"t < \log(2)",
        "conjugate": r"-\log(2 - \exp(t))",
        "f_prime_at_1": "0",
    },
    "gan": {
        "name": "GAN",
        "divergence": r"\int p(x) \log \frac{2p(x)}{p(x)+q(x)} + q(x) \log "
        r"\frac{2q(x)}{p(x)+q(x)} dx - \log(4)",
        "f": r"u \log u - (u+1) \log(u+1)",
        "optimal_critic": r"\log \frac{p(x)}{p(x)+q(x)}",
        "activation": r"-\log(1 + \exp(-v))",
        "domain": r"\mathbb{R}_-",
        "conjugate": r"-\log(1 - \exp(t))",
        "f_prime_at_1": r"-\log(2)",
    },
}

ERRATA: dict[str, str] = {
    "pearson": (
        "The printed D_f column ∫(q−p)²/p is Neyman χ² (generator (1−u)²/u, entry "
        "'neyman'); the generator (u−1)² gives ∫(p−q)²/q. The printed conjugate t²/4 + t is "
        "the conjugate of (u−1)² extended to u < 0: over u ≥ 0 the true f*(t) = −1 for "
        "t ≤ −2 (they agree for t ≥ −2, which contains every T* = 2(p/q − 1), so the f-GAN "
        "supremum is unchanged; dom f* = ℝ either way)."
    ),
    "fgan_js": (
        "The generator −(u+1) log((1+u)/2) + u log u integrates to 2·JS, not to the "
        "½-weighted JS of the printed D_f column; the printed f* = −log(2 − eᵗ), "
        "g_f = log 2 − log(1 + e^{−v}), dom f* = {t < log 2} and T* = log(2p/(p+q)) belong "
        "to this unhalved generator. The true JS (≤ log 2) is entry 'js' = "
        "fgan_js.scaled(1/2)."
    ),
    "gan": (
        "f(1) = −log 4 ≠ 0, so this is not an f-divergence in the strict sense: "
        "D_GAN(P‖Q) = Σ q f(p/q) = 2·JS − log 4 (≥ −log 4, zero only when JS = log 2), "
        "the lecture's L(G|D*) = 2 JS − 2 log 2. The printed columns are otherwise right."
    ),
}
