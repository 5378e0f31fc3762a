"""Build of divlab's optional C extensions; all other metadata is in pyproject.toml.

- ``divlab/_sortkernels.c``: the radix sort and CDF merge of the 1-D Wasserstein closed form
  (issue #10);
- ``divlab/_knnkernel.c``: exact k-nearest-neighbour search by blocked brute force (issue #11).

Neither needs NumPy headers (arrays pass through the buffer protocol). ``optional=True``:
without a C compiler the install still succeeds and divlab uses its NumPy/SciPy paths
(``divlab._native``), which give the same results, only slower. GCC and clang compile with
``-ffp-contract=off``, so that no multiply-add is fused and every CPU rounds alike.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class BuildExt(build_ext):
    def build_extensions(self) -> None:
        if self.compiler.compiler_type == "unix":
            for ext in self.extensions:
                ext.extra_compile_args = [*ext.extra_compile_args, "-ffp-contract=off"]
        super().build_extensions()


setup(
    ext_modules=[
        Extension("divlab._sortkernels", ["divlab/_sortkernels.c"], optional=True),
        Extension("divlab._knnkernel", ["divlab/_knnkernel.c"], optional=True),
    ],
    cmdclass={"build_ext": BuildExt},
)
