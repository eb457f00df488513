"""Build of the one compiled part: the neighbours model's pair kernels.

Everything else is declared in pyproject.toml.  The extension is optional:
where it cannot be compiled, the install goes on and skkdece uses its NumPy
path for the same sums (skkdece/_neighbors.py).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "_skkdece_pairs",
            sources=["csrc/_skkdece_pairs.c"],
            optional=True,
        )
    ]
)
