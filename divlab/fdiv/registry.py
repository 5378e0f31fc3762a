"""The registry of named f-divergences and the lookup every argument ``f=`` goes through."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from .._array import to_numpy
from ..errors import NotConvexError, ParameterError
from .alpha import alpha_fdivergence
from .entries import builtin_entries
from .numeric import check_convex_values
from .record import FDivergence

__all__ = [
    "FDIVERGENCES",
    "get_fdivergence",
    "resolve_fdivergence",
    "register_fdivergence",
]


class _Registry(Mapping[str, FDivergence]):
    """Read-only mapping name -> FDivergence; grows only through register_fdivergence."""

    def __init__(self) -> None:
        self._data: dict[str, FDivergence] = {}

    def __getitem__(self, key: str) -> FDivergence:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"FDIVERGENCES({', '.join(self._data)})"


#: Read-only mapping from registry key to :class:`FDivergence`.
FDIVERGENCES: Mapping[str, FDivergence] = _Registry()
for _fd in builtin_entries():
    FDIVERGENCES._data[_fd.name] = _fd  # type: ignore[attr-defined]
_BUILTIN_NAMES = frozenset(FDIVERGENCES)

#: Parametric families reachable through :func:`get_fdivergence`.
_FAMILIES: dict[str, tuple[Callable[..., FDivergence], tuple[str, ...]]] = {
    "alpha": (alpha_fdivergence, ("alpha",)),
}


def _normalise_name(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _valid_names() -> str:
    fams = [f"{k}({', '.join(p)}=...)" for k, (_, p) in _FAMILIES.items()]
    return ", ".join([*map(repr, FDIVERGENCES), *fams])


def get_fdivergence(spec: str | FDivergence, **params: Any) -> FDivergence:
    r"""Look up an f-divergence by name (or pass an :class:`FDivergence` through).

    Parameters
    ----------
    spec : str or FDivergence
        A key of :data:`FDIVERGENCES` (case-insensitive, ``-`` and spaces read as ``_``),
        a family name (``"alpha"``), or an :class:`FDivergence`.
    **params
        Parameters of a family, e.g. ``alpha=0.5``.

    Returns
    -------
    FDivergence

    Raises
    ------
    ParameterError
        Unknown name (the message lists the valid ones), missing or unexpected parameters,
        or an invalid parameter value.

    Examples
    --------
    >>> get_fdivergence("KL").name
    'kl'
    >>> get_fdivergence("alpha", alpha=0.5).f([4.0]).tolist()  # 2 (sqrt(u) - 1)^2
    [2.0]
    """
    return resolve_fdivergence(spec, params, argname="spec")


def resolve_fdivergence(
    spec: Any, params: Mapping[str, Any] | None = None, *, argname: str = "f"
) -> FDivergence:
    """:func:`get_fdivergence` for functions that take an f-divergence argument:
    error messages name that argument (``argname``) in backticks."""
    if params is not None and not isinstance(params, Mapping):
        where = "divergence_params" if argname == "divergence" else "params"
        raise ParameterError(
            f"`{where}` must be a dict such as {{'alpha': 0.5}}, got {type(params).__name__}"
        )
    params = dict(params or {})
    if isinstance(spec, FDivergence):
        if params:
            raise ParameterError(
                f"parameters {sorted(params)} cannot be applied to an FDivergence instance "
                f"(`{argname}`)"
            )
        return spec
    if not isinstance(spec, str):
        raise ParameterError(
            f"`{argname}` must be a name or an FDivergence, got {type(spec).__name__}; "
            f"valid names: {_valid_names()}"
        )
    key = _normalise_name(spec)
    if key in _FAMILIES:
        factory, names = _FAMILIES[key]
        missing = [n for n in names if n not in params]
        extra = sorted(set(params) - set(names))
        if missing or extra:
            takes = ", ".join(f"`{n}`" for n in names)
            parts = []
            if missing:
                parts.append("missing " + ", ".join(f"`{n}`" for n in missing))
            if extra:
                parts.append("unexpected " + ", ".join(f"`{n}`" for n in extra))
            example = ", ".join(f"{n}=0.5" for n in names)
            if argname == "divergence":  # divlab.adversarial passes them as a dict
                example = "divergence_params={" + ", ".join(f"{n!r}: 0.5" for n in names) + "}"
            raise ParameterError(
                f"`{argname}` = {key!r} is a family with parameter(s) {takes}: "
                f"{'; '.join(parts)} (e.g. {example})"
            )
        return factory(**params)
    if key in FDIVERGENCES:
        if params:
            raise ParameterError(
                f"`{argname}` = {key!r} takes no parameters, got {sorted(params)}"
            )
        return FDIVERGENCES[key]
    raise ParameterError(f"unknown f-divergence `{argname}` = {spec!r}; valid names: "
                         f"{_valid_names()}")


def register_fdivergence(fdiv: FDivergence, *, overwrite: bool = False) -> FDivergence:
    r"""Add a user entry to :data:`FDIVERGENCES` after checking it numerically.

    Checks (on a grid): :math:`f(1) =` ``f_at_1``; convexity of :math:`f`; :math:`f'(1) =`
    ``f_prime_at_1``; :math:`g_f(v) \in \operatorname{dom} f^*`; the fused
    :math:`f^*\circ g_f` equals ``conjugate(activation(v))`` for moderate ``v``;
    Fenchel–Young equality :math:`f(u) + f^*(f'(u)) = u f'(u)`.

    Parameters
    ----------
    fdiv : FDivergence
        The entry; its ``name`` becomes the key.
    overwrite : bool
        Allow replacing an existing user entry (built-in entries are never replaced).

    Returns
    -------
    FDivergence
        ``fdiv`` itself.

    Raises
    ------
    NotConvexError
        If ``f(1)`` is wrong or ``f`` is not convex on the grid.
    ParameterError
        If the name is taken (and ``overwrite`` is false), is a built-in or family name, or
        another check fails.

    Examples
    --------
    >>> import numpy as np
    >>> from divlab.fdiv import FDivergence, FDIVERGENCES
    >>> fd = FDivergence.from_generator(lambda u: (u - 1.0) ** 4, name="quartic_doc")
    >>> _ = register_fdivergence(fd)
    >>> "quartic_doc" in FDIVERGENCES
    True
    """
    if not isinstance(fdiv, FDivergence):
        raise ParameterError(f"`fdiv` must be an FDivergence, got {type(fdiv).__name__}")
    key = fdiv.name
    if _normalise_name(key) != key:
        raise ParameterError(
            f"`fdiv.name` must be lower case without spaces or '-', got {key!r} "
            f"(e.g. {_normalise_name(key)!r})"
        )
    if key in _BUILTIN_NAMES or key in _FAMILIES:
        raise ParameterError(f"`fdiv.name` {key!r} is a built-in f-divergence; choose another")
    if key in FDIVERGENCES and not overwrite:
        raise ParameterError(
            f"f-divergence {key!r} is already registered; pass overwrite=True to replace it"
        )
    _check_entry(fdiv)
    FDIVERGENCES._data[key] = fdiv  # type: ignore[attr-defined]
    return fdiv


def _check_entry(fd: FDivergence) -> None:
    """Numerical consistency checks of an entry (used by register_fdivergence)."""
    f1 = float(to_numpy(fd.f(np.asarray([1.0])))[0])
    if not math.isclose(f1, fd.f_at_1, rel_tol=1e-9, abs_tol=1e-9):
        raise NotConvexError(
            f"`f` of {fd.name!r} has f(1) = {f1!r} but f_at_1 = {fd.f_at_1!r}; an "
            "f-divergence generator needs f(1) = 0"
        )
    u = np.geomspace(1e-4, 1e4, 241)
    with np.errstate(all="ignore"):
        fu = np.asarray(to_numpy(fd.f(u)), dtype=np.float64)
    check_convex_values(u, fu, fd.name)
    fp1 = float(to_numpy(fd.f_prime(np.asarray([1.0])))[0])
    if not math.isclose(fp1, fd.f_prime_at_1, rel_tol=1e-6, abs_tol=1e-6):
        raise ParameterError(
            f"`f_prime_at_1` of {fd.name!r} is {fd.f_prime_at_1!r} but f'(1) = {fp1!r}"
        )
    v = np.linspace(-30.0, 30.0, 121)
    g = to_numpy(fd.activation(v))
    if not bool(np.all(to_numpy(fd.conjugate_domain.contains(g)))):
        raise ParameterError(f"`activation` of {fd.name!r} leaves dom f* = {fd.conjugate_domain}")
    vm = np.linspace(-10.0, 10.0, 41)
    fused = to_numpy(fd.conjugate_activation(vm))
    naive = to_numpy(fd.conjugate(fd.activation(vm)))
    if not np.allclose(fused, naive, rtol=1e-6, atol=1e-8):
        raise ParameterError(
            f"`conjugate_activation` of {fd.name!r} disagrees with conjugate(activation(v))"
        )
    um = np.geomspace(1e-2, 1e2, 41)
    fp = to_numpy(fd.f_prime(um))
    lhs = to_numpy(fd.f(um)) + to_numpy(fd.conjugate(fp))
    if not np.allclose(lhs, um * fp, rtol=1e-6, atol=1e-6):
        raise ParameterError(
            f"`conjugate` of {fd.name!r} violates Fenchel-Young equality f(u) + f*(f'(u)) = u f'(u)"
        )
