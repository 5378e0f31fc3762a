"""Sphinx extension: output of code run at build time, never pasted.

``.. divlab-output::`` runs its content as Python when the docs are built and shows the code
followed by what it printed::

    .. divlab-output::

       from divlab import compare
       print(compare(x, y, rng=0))

``.. divlab-output:: divlab compare --demo`` (an argument, no content) runs the command line
in-process (``divlab.cli.main`` with the words after ``divlab``) and shows the command and
its standard output.

Options: ``:hide-code:`` shows only the output. A failure of the code fails the build, so
the numbers in the docs are always those the current code produces.
"""

from __future__ import annotations

import contextlib
import io
import shlex
import warnings
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective


def _run_python(code: str) -> str:
    out = io.StringIO()
    namespace: dict[str, Any] = {"__name__": "__divlab_docs__"}
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, "<divlab-output>", "exec"), namespace)
    return out.getvalue()


def _run_cli(command: str) -> str:
    words = shlex.split(command)
    if not words or words[0] != "divlab":
        raise ValueError(f"divlab-output: a command must start with 'divlab', got {command!r}")
    from divlab.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(words[1:])
        except SystemExit as exc:  # --help exits through argparse
            code = exc.code or 0
    if code:
        raise RuntimeError(f"divlab-output: {command!r} exited {code}: {err.getvalue()}")
    return out.getvalue()


class DivlabOutput(SphinxDirective):
    """``.. divlab-output::`` -- see the module docstring."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec = {"hide-code": directives.flag}  # noqa: RUF012

    def run(self) -> list[nodes.Node]:
        self.env.note_reread()  # the output depends on the library, not on this file only
        if self.arguments:
            command = self.arguments[0]
            shown, output, language = f"$ {command}", _run_cli(command), "console"
        else:
            code = "\n".join(self.content)
            shown, output, language = code, _run_python(code), "python"
        result: list[nodes.Node] = []
        if "hide-code" not in self.options:
            block = nodes.literal_block(shown, shown)
            block["language"] = language
            result.append(block)
        out = nodes.literal_block(output, output.rstrip("\n"))
        out["language"] = "text"
        result.append(out)
        return result


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("divlab-output", DivlabOutput)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
