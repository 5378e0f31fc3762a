"""``divlab info``: versions, array backends and CUDA devices, as a dict and as text.

Versions are read from the installed packages' metadata, without importing them: importing
POT alone takes seconds (it imports PyTorch, JAX, TensorFlow and CuPy when they are
installed), and importing matplotlib creates its configuration folder in the home directory.
Only CuPy is imported, and only when it is installed, to list the CUDA devices.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
import sys
from typing import Any

__all__ = ["info", "format_info"]

# display name -> distribution name on PyPI
_PACKAGES = {
    "numpy": "numpy",
    "scipy": "scipy",
    "POT (ot)": "POT",
    "array_api_compat": "array-api-compat",
    "array_api_strict": "array-api-strict",
    "tqdm": "tqdm",
    "matplotlib": "matplotlib",
}

# The frameworks POT imports with itself (module name -> POT's environment variable that
# turns the import off). divlab imports POT only for the exact solvers, on first use.
POT_FRAMEWORKS = {
    "torch": "POT_BACKEND_DISABLE_PYTORCH",
    "jax": "POT_BACKEND_DISABLE_JAX",
    "tensorflow": "POT_BACKEND_DISABLE_TENSORFLOW",
    "cupy": "POT_BACKEND_DISABLE_CUPY",
}


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def pot_frameworks() -> list[str]:
    """The frameworks that importing POT would import too (installed and not turned off).

    POT imports each installed framework among PyTorch, JAX, TensorFlow and CuPy to register
    a backend for it, unless its ``POT_BACKEND_DISABLE_*`` environment variable is set (see
    :data:`POT_FRAMEWORKS`). divlab hands POT only NumPy arrays (CuPy data are copied to the
    host for the exact solvers) and does not need those backends, so setting the variables
    makes the first exact solve seconds faster.
    """
    return [m for m, var in POT_FRAMEWORKS.items() if not os.environ.get(var) and _installed(m)]


def _cuda() -> dict[str, Any]:
    """CuPy version and CUDA devices; never raises (CuPy is imported only here, lazily)."""
    out: dict[str, Any] = {"cupy": None, "devices": [], "error": None}
    if not _installed("cupy"):
        return out
    try:
        import cupy  # optional dependency, imported only here
    except Exception as exc:  # ImportError, or a broken CUDA install raising anything
        out["error"] = None if isinstance(exc, ImportError) else f"{type(exc).__name__}: {exc}"
        return out
    try:
        out["cupy"] = str(cupy.__version__)
        count = int(cupy.cuda.runtime.getDeviceCount())
        for i in range(count):
            props = cupy.cuda.runtime.getDeviceProperties(i)
            name = props.get("name", b"")
            name = name.decode() if isinstance(name, bytes) else str(name)
            out["devices"].append({
                "id": i,
                "name": name,
                "memory_gib": round(int(props.get("totalGlobalMem", 0)) / 2**30, 1),
                "compute_capability": f"{props.get('major', '?')}.{props.get('minor', '?')}",
            })
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out


def info() -> dict[str, Any]:
    """Versions of divlab, Python and its dependencies, backends found, CUDA devices.

    Returns
    -------
    dict
        Keys ``divlab``, ``python``, ``platform``, ``packages`` (name -> version or None),
        ``backends`` (list of usable array backends), ``cuda`` (``cupy`` version,
        ``devices``: name, memory_gib, compute_capability; ``error`` if CuPy failed),
        ``pot_imports`` (the frameworks POT would import with itself, see
        :func:`pot_frameworks`).

    Examples
    --------
    >>> d = info()
    >>> "numpy" in d["backends"]
    True
    """
    from . import __version__

    packages = {name: _version(dist) for name, dist in _PACKAGES.items()}
    cuda = _cuda()
    packages["cupy"] = cuda["cupy"]
    backends = ["numpy"]
    if packages.get("array_api_strict"):
        backends.append("array_api_strict")
    if cuda["devices"]:
        backends.append("cupy")
    return {
        "divlab": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": packages,
        "backends": backends,
        "cuda": cuda,
        "pot_imports": pot_frameworks(),
    }


def format_info(d: dict[str, Any] | None = None) -> str:
    """Human-readable text of :func:`info`."""
    d = info() if d is None else d
    lines = [f"divlab     {d['divlab']}", f"python     {d['python']} ({d['platform']})", "",
             "packages:"]
    w = max(len(k) for k in d["packages"])
    for name, ver in d["packages"].items():
        lines.append(f"  {name.ljust(w)}  {ver or 'not installed'}")
    lines += ["", f"backends:  {', '.join(d['backends'])}"]
    devs = d["cuda"]["devices"]
    if devs:
        lines.append("CUDA devices:")
        for dev in devs:
            lines.append(f"  [{dev['id']}] {dev['name']}, {dev['memory_gib']} GiB, "
                         f"compute capability {dev['compute_capability']}")
    else:
        lines.append("CUDA devices: none")
    if d["cuda"].get("error"):
        lines.append(f"  (CuPy problem: {d['cuda']['error']})")
    pot = d.get("pot_imports") or []
    if pot:
        names = " ".join(f"{POT_FRAMEWORKS[m]}=1" for m in pot if m in POT_FRAMEWORKS)
        lines += ["", f"POT imports {', '.join(pot)} with itself on the first exact solve "
                  f"(seconds);", f"  {names} skips that (divlab does not need them)"]
    return "\n".join(lines)
