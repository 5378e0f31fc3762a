"""Build of divlab's one optional C extension; all other metadata is in pyproject.toml.

``divlab/_sortkernels.c`` (no NumPy headers needed) holds the radix sort and CDF merge of
the 1-D Wasserstein closed form (issue #10). ``optional=True``: without a C compiler the
install still succeeds and divlab uses its NumPy path (``divlab._native.AVAILABLE`` is
False); the results are the same, only slower.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("divlab._sortkernels", ["divlab/_sortkernels.c"], optional=True)])
