"""A minimal progress indicator: tqdm when installed, else one rewritten stderr line."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """Context manager counting ``total`` steps; silent when ``enabled`` is False."""

    def __init__(self, total: int, *, enabled: bool, desc: str = "divlab compare") -> None:
        self.total, self.enabled, self.desc, self.done = total, enabled, desc, 0
        self._bar: Any = None
        if enabled:
            try:
                from tqdm.auto import tqdm

                self._bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False)
            except Exception:
                self._bar = None

    def __enter__(self) -> Progress:
        return self

    def step(self, label: str) -> None:
        """Mark one step done (``label`` names the step that is about to start next)."""
        self.done += 1
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix_str(label, refresh=False)
            self._bar.update(1)
        else:
            sys.stderr.write(f"\r{self.desc}: {self.done}/{self.total} {label:<12}")
            sys.stderr.flush()

    def __exit__(self, *exc: Any) -> None:
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
