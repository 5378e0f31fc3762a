"""Shared tail of the benchmark scripts: print the Markdown report, write it with --output."""

from __future__ import annotations


def emit(text: str, output: str | None) -> None:
    """Print ``text`` and, when ``output`` is given, write it to that path (UTF-8)."""
    print(text)
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
