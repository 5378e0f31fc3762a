"""Exception and warning classes raised by divlab.

Every error raised on bad input is a subclass of :class:`DivlabError` *and* of the
built-in exception users already catch (``ValueError`` or ``TypeError``), so both
``except divlab.errors.InputError`` and ``except ValueError`` work.

The message always names the offending argument in backticks and says what is wrong,
e.g. ``` `p` has a negative entry (-0.1 at index 3) ```.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ConvergenceWarning",
    "DTypeError",
    "DivlabError",
    "DivlabWarning",
    "InputError",
    "NonFiniteError",
    "NegativeValueError",
    "EmptyInputError",
    "ShapeMismatchError",
    "NormalizationError",
    "ParameterError",
    "NotConvexError",
    "EstimationError",
    "NotPositiveDefiniteError",
    "MemoryLimitError",
    "CompareInterrupted",
    "UnreliableEstimateWarning",
]


class DivlabError(Exception):
    """Base class of every exception raised by divlab."""


class InputError(DivlabError, ValueError):
    """An array argument violates the input contract (DESIGN section 5)."""


class NonFiniteError(InputError):
    """An array argument contains NaN or +-inf where only finite values are allowed."""


class NegativeValueError(InputError):
    """Probabilities or weights contain a negative entry."""


class EmptyInputError(InputError):
    """An array argument is empty, or has zero total mass."""


class ShapeMismatchError(InputError):
    """Two array arguments that must share a shape (or a dimension) do not."""


class NormalizationError(InputError):
    """A probability vector does not sum to one (pass ``normalize=True`` to rescale)."""


class ParameterError(InputError):
    """A scalar option (``epsilon``, ``k``, ``alpha``, ...) is out of its valid range."""


class NotConvexError(InputError):
    """A user-supplied f-divergence generator is not convex or has f(1) != 0."""


class NotPositiveDefiniteError(InputError):
    """A covariance is not symmetric positive (semi-)definite, or a variance is not positive."""


class MemoryLimitError(DivlabError, MemoryError):
    """A dense temporary would not fit in memory; the message names the alternatives
    (``online=True``, ``sliced_wasserstein``, subsampling, ``max_memory=``)."""


class EstimationError(DivlabError, RuntimeError):
    """An estimator could not produce a finite estimate (e.g. training diverged)."""


class DTypeError(DivlabError, TypeError):
    """An array argument has a dtype divlab cannot compute with (complex, object, str)."""


class BackendError(DivlabError, TypeError):
    """Array arguments come from different array libraries or devices."""


class DivlabWarning(UserWarning):
    """Base class of divlab's warnings."""


class UnreliableEstimateWarning(DivlabWarning):
    """An estimate is flagged: nearly disjoint supports, a dimension beyond the one where
    the estimator's bias was measured to exceed its interval, a heavy tail, or many tied
    points. The estimate's ``details["flags"]`` names the reason."""


class ConvergenceWarning(DivlabWarning):
    """An iterative solver stopped before reaching its tolerance.

    The message states the achieved error and the option to change (``max_iter``,
    ``tol``, ``epsilon``); the returned result has ``converged=False``.
    """


class CompareInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`divlab.compare`: ``report`` holds the rows already finished.

    A subclass of :class:`KeyboardInterrupt`, so code that does not know it still stops.
    """

    def __init__(self, report: object) -> None:
        super().__init__("interrupted; the metrics finished so far are in `report`")
        self.report = report
