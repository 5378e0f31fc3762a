"""Progress of long runs: tqdm when installed, else one rewritten stderr line.

:class:`Progress` counts whole steps (one per metric of :func:`divlab.compare`); inside a
step, an estimator reports how far it is with :func:`report_fraction` (e.g. after each batch
of resamples), and the bar moves by that fraction of the step. Estimators do not need to know
whether anybody listens: without an active :class:`Progress`, :func:`report_fraction` does
nothing.
"""

from __future__ import annotations

import contextvars
import sys
from typing import Any

__all__ = ["Progress", "progress_enabled", "report_fraction"]

_UNITS = 1000  # bar units per step
_ACTIVE: contextvars.ContextVar[Progress | None] = contextvars.ContextVar(
    "divlab_progress", default=None)


def report_fraction(done: float, total: float) -> None:
    """Tell the active progress bar that ``done`` of ``total`` units of the current step
    are finished (no effect outside :func:`divlab.compare` or with the bar off)."""
    bar = _ACTIVE.get()
    if bar is not None and total > 0:
        bar._within(min(max(done / total, 0.0), 1.0))


class Progress:
    """Context manager counting ``total`` steps; silent when ``enabled`` is False."""

    def __init__(self, total: int, *, enabled: bool, desc: str = "divlab compare") -> None:
        self.total, self.enabled, self.desc, self.done = total, enabled, desc, 0
        self._shown = 0  # bar units drawn so far
        self._label = ""
        self._bar: Any = None
        self._token: contextvars.Token[Progress | None] | None = None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self._bar = tqdm(total=total * _UNITS, desc=desc, file=sys.stderr, leave=False,
                                 bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}")
            except Exception:
                self._bar = None

    def __enter__(self) -> Progress:
        if self.enabled:
            self._token = _ACTIVE.set(self)
        return self

    def start(self, label: str) -> None:
        """Name the step that begins now."""
        self._label = label
        if self.enabled and self._bar is not None:
            self._bar.set_postfix_str(label, refresh=True)
        elif self.enabled:
            self._draw()

    def _move_to(self, units: int) -> None:
        if units <= self._shown:
            return
        if self._bar is not None:
            self._bar.update(units - self._shown)
        self._shown = units
        if self._bar is None:
            self._draw()

    def _within(self, fraction: float) -> None:
        self._move_to(int((self.done + fraction) * _UNITS))

    def _draw(self) -> None:
        pct = 100.0 * self._shown / max(self.total * _UNITS, 1)
        sys.stderr.write(f"\r{self.desc}: {pct:5.1f} % {self._label:<12}")
        sys.stderr.flush()

    def step(self, label: str) -> None:
        """Mark one step done (``label`` names the step that just finished)."""
        self.done += 1
        if not self.enabled:
            return
        self._label = label
        self._move_to(self.done * _UNITS)

    def __exit__(self, *exc: Any) -> None:
        if self._token is not None:
            _ACTIVE.reset(self._token)
            self._token = None
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            sys.stderr.write("\r" + " " * (len(self.desc) + 30) + "\r")
            sys.stderr.flush()


def progress_enabled(progress: bool | None) -> bool:
    """``progress=None``: on only when stderr is a terminal; True/False force it."""
    if progress is None:
        try:
            return bool(sys.stderr.isatty())
        except Exception:
            return False
    return bool(progress)
