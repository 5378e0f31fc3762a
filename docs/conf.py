"""Sphinx configuration for divlab.

Build (what CI runs; warnings are errors)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The package is imported from the repository root (``sys.path`` below), so the docs build
against the working tree even when divlab is not installed. Local extensions live in
``docs/_ext``: ``fdiv_table`` (the f-divergence tables generated from the registry),
``toc_order`` (ordered toctrees with optional entries), ``bench_tables`` (renders the
committed ``docs/benchmarks-*.md``), ``api_entries`` (API entries that defer to the topic
pages and skip modules not written yet) and ``offline_mathjax`` (MathJax copied into the
build from the ``django-static-mathjax`` package of the ``docs`` extra, so that math renders
without a network).

The built HTML loads nothing from the network: ``tests/test_docs_offline.py`` checks it after
a build (CI runs it right after ``sphinx-build``).

A clean build (every gallery example executed) took 75-85 s and about 950 MiB of memory on a
2-core machine (``/usr/bin/time sphinx-build ...``); the largest share is the adversarial
examples' training at the sizes the topic pages quote, the peak memory is the exact 4000 x 4000
transport problem of ``plot_wgan_critic.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))
os.environ.setdefault("MPLBACKEND", "Agg")
# examples can read this to pick small problem sizes while the gallery is built; the two long
# reproduction scripts (mi_staircase, fgan_gaussian_fit) then draw their stored full runs
os.environ.setdefault("DIVLAB_DOCS_BUILD", "1")
# POT imports every installed deep-learning framework to register a backend (seconds and
# hundreds of MiB for PyTorch); divlab hands POT NumPy arrays only, so the build skips them.
# This is the documentation build's own process: a user's environment is left alone (the
# setting is documented in docs/cli.rst, and `divlab info` says when it would help).
for _var in ("POT_BACKEND_DISABLE_PYTORCH", "POT_BACKEND_DISABLE_JAX",
             "POT_BACKEND_DISABLE_TENSORFLOW", "POT_BACKEND_DISABLE_CUPY"):
    os.environ.setdefault(_var, "1")

import divlab  # after the sys.path insert (E402 is ignored for docs/)

project = "divlab"
author = "the divlab developers"
copyright = "2026, the divlab developers"
release = divlab.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "offline_mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "fdiv_table",
    "toc_order",
    "bench_tables",
    "api_entries",
    "metric_table",
    "run_output",
]

source_suffix = {".rst": "restructuredtext"}
smartquotes = False  # keep --options and quotes literal in prose
root_doc = "index"
exclude_patterns = [
    "_build",
    "_ext",
    "Thumbs.db",
    ".DS_Store",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.md5",
    "auto_examples/*.json",
    # computation-time pages of sphinx-gallery load jQuery/DataTables from CDNs (and are not
    # written, see below); excluded in case an older build left them in the source tree
    "sg_execution_times.rst",
    "auto_examples/sg_execution_times.rst",
]
templates_path: list[str] = []

# -- autodoc / numpydoc ---------------------------------------------------------------
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # numpydoc's Parameters section carries the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = True

# -- sphinx-gallery -------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # every example is executed and shows its figure; the two long reproduction scripts
    # draw their stored full runs while DIVLAB_DOCS_BUILD is set (see above)
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"(__init__|/_[^/]*)\.py$",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "within_subsection_order": "FileNameSortKey",
    "remove_config_comments": True,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "min_reported_time": 1,
    "show_signature": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    # the computation-time pages load scripts from CDNs; the times are in the build log
    "write_computation_times": False,
}

# -- HTML -----------------------------------------------------------------------------
try:
    import pydata_sphinx_theme  # noqa: F401

    html_theme = "pydata_sphinx_theme"
    html_theme_options = {
        "navigation_with_keys": False,
        "show_toc_level": 2,
        "secondary_sidebar_items": ["page-toc"],
    }
except ImportError:  # pragma: no cover - theme is in the [docs] extra
    html_theme = "alabaster"
html_title = f"divlab {release}"
html_static_path = ["_static"]
html_css_files = ["divlab.css"]  # full page width for the f-divergence tables
# the f-divergence tables get the whole width (the page has no section navigation anyway; its
# page-contents sidebar is removed by a field at the top of fdivergence_table.rst)
html_sidebars = {"fdivergence_table": []}
html_show_sourcelink = False

# MathJax: \operatorname etc. are built in; a few shorthands used across the pages.
mathjax3_config = {
    "tex": {
        "macros": {
            "KL": r"\operatorname{KL}",
            "JS": r"\operatorname{JS}",
            "dom": r"\operatorname{dom}",
        }
    }
}
