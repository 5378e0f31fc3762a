"""``divlab info``: versions, array backends and CUDA devices, as a dict and as text."""

from __future__ import annotations

import importlib
import platform
import sys
from typing import Any

__all__ = ["info", "format_info"]

_PACKAGES = ("numpy", "scipy", "ot", "array_api_compat", "array_api_strict", "tqdm", "matplotlib")
_DISPLAY = {"ot": "POT (ot)"}


def _version(mod: str) -> str | None:
    try:
        m = importlib.import_module(mod)
    except Exception:
        return None
    return str(getattr(m, "__version__", "unknown"))


def _cuda() -> dict[str, Any]:
    """CuPy version and CUDA devices; never raises (CuPy is imported only here, lazily)."""
    out: dict[str, Any] = {"cupy": None, "devices": [], "error": None}
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
        ``devices``: name, memory_gib, compute_capability; ``error`` if CuPy failed).

    Examples
    --------
    >>> d = info()
    >>> "numpy" in d["backends"]
    True
    """
    from . import __version__

    packages = {_DISPLAY.get(p, p): _version(p) for p in _PACKAGES}
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
    return "\n".join(lines)
