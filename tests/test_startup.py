"""Start-up cost: what ``import divlab``, ``divlab --help`` and ``divlab info`` import and write.

Timings are not asserted here (they depend on the machine and its load; the measured figures
are in ``docs/cli.rst``). What keeps start-up fast is asserted instead: none of these commands
imports SciPy's statistics, POT, matplotlib or a deep-learning framework, and ``divlab info``
writes nothing in the home directory. Each check runs in a fresh interpreter, since the
test-suite's own process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# never imported by start-up, --help or info
HEAVY = ("scipy.stats", "ot", "matplotlib", "torch", "jax", "tensorflow", "cupy", "dask")

_PROBE = textwrap.dedent("""
    import contextlib, io, json, sys
    argv = json.loads(sys.argv[1])
    if argv is None:
        import divlab
    else:
        from divlab.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            rc = main(argv)
        assert rc == 0, (rc, out.getvalue())
    print(json.dumps(sorted(sys.modules)))
""")


def _clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "MPL", "POT_BACKEND_"))}
    env.update(HOME=str(home), PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1")
    return env


def _modules(argv: list[str] | None, home: Path) -> set[str]:
    res = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(argv)], capture_output=True,
                         text=True, env=_clean_env(home), cwd=str(home), timeout=300)
    assert res.returncode == 0, res.stderr
    return set(json.loads(res.stdout.splitlines()[-1]))


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


@pytest.mark.parametrize("argv", [None, ["--help"], ["--version"], ["info"], ["info", "--json"]],
                         ids=["import", "help", "version", "info", "info-json"])
def test_start_up_imports_nothing_heavy(argv, home):
    mods = _modules(argv, home)
    if argv is not None and argv[0] == "info":
        # CuPy (and with it NumPy) is imported where installed, to list the CUDA devices
        assert [m for m in _heavy(mods) if m.split(".")[0] != "cupy"] == []
    else:
        assert _heavy(mods) == []
        assert "numpy" not in mods  # import, --help and --version need no array library


def test_compare_help_lists_metrics_without_pot_or_matplotlib(home):
    mods = _modules(["compare", "--help"], home)
    assert "divlab.estimators" in mods  # the metric list comes from the estimators
    assert [m for m in _heavy(mods) if m != "scipy.stats" and not m.startswith("scipy.stats.")
            ] == []


def test_info_writes_nothing_in_home(home):
    for argv in (["info"], ["info", "--json"], ["--help"]):
        res = subprocess.run([sys.executable, "-m", "divlab", *argv], capture_output=True,
                             text=True, env=_clean_env(home), cwd=str(home), timeout=300)
        assert res.returncode == 0, res.stderr
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*")) == []


def test_info_reports_versions_without_importing(home):
    import numpy as np

    env = _clean_env(home)
    res = subprocess.run([sys.executable, "-m", "divlab", "info", "--json"], capture_output=True,
                         text=True, env=env, cwd=str(home), timeout=300)
    d = json.loads(res.stdout)
    assert d["packages"]["numpy"] == np.__version__
    assert d["packages"]["POT (ot)"]  # a dependency: always installed
    from divlab.info import POT_FRAMEWORKS, pot_frameworks

    assert set(d["pot_imports"]) <= set(POT_FRAMEWORKS)
    env.update({var: "1" for var in POT_FRAMEWORKS.values()})
    res = subprocess.run([sys.executable, "-m", "divlab", "info", "--json"], capture_output=True,
                         text=True, env=env, cwd=str(home), timeout=300)
    assert json.loads(res.stdout)["pot_imports"] == []
    assert isinstance(pot_frameworks(), list)


def test_pot_is_imported_by_the_first_exact_solve_only(home):
    """``import divlab.ot`` does not import POT; an exact solve does, and with POT's backend
    switches set (the documented way to skip them) it imports no other framework."""
    from divlab.info import POT_FRAMEWORKS

    probe = textwrap.dedent("""
        import json, sys
        import divlab.ot
        from divlab import wasserstein
        before = "ot" in sys.modules
        value = float(wasserstein([[0.0, 0.0], [1.0, 0.0]], [[0.0, 1.0], [1.0, 1.0]], p=1))
        print(json.dumps([before, value, sorted(sys.modules)]))
    """)
    env = _clean_env(home)
    env.update({var: "1" for var in POT_FRAMEWORKS.values()})
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                         cwd=str(home), timeout=300)
    assert res.returncode == 0, res.stderr
    before, value, mods = json.loads(res.stdout.splitlines()[-1])
    assert not before
    assert value == pytest.approx(1.0)
    assert "ot" in mods
    assert [m for m in _heavy(set(mods)) if m.split(".")[0] in ("torch", "jax", "tensorflow",
                                                                 "matplotlib")] == []
