"""The importer's limits on the sizes it handles.

A corrupt model can claim any shape: a dimension of 2**40, a Reshape target
whose product overflows int64, a ConstantOfShape of a trillion elements.
The importer checks every shape it defines against `MAX_ELEMENTS`, and
everything it computes at import time (folded constants, interpolation
tables) against `MAX_FOLD_ELEMENTS`, before NumPy allocates anything, so
that a lying model gets an error instead of exhausting memory.
"""

from __future__ import annotations

import math
from typing import Sequence

#: The most elements one value may have (2**36: 256 GiB of f32). No model
#: agn compiles comes near it; a shape beyond it is corrupt, and its sizes
#: (and byte sizes) would overflow 64-bit arithmetic downstream.
MAX_ELEMENTS = 2 ** 36

#: The most dimensions a value may have: NumPy's limit (the importer folds
#: constants with NumPy, which cannot make an array of more).
MAX_RANK = 32

#: The most elements the importer computes at import time (folding an op on
#: constants, or an import-time table): 2**24 (64 MiB of f32). Larger
#: results are written as IR, or refused where the op has no IR form.
MAX_FOLD_ELEMENTS = 2 ** 24


def element_count(shape: Sequence[int]) -> int:
    """The number of elements of `shape`, in exact integer arithmetic
    (np.prod wraps around on int64)."""
    return math.prod(int(d) for d in shape)


def shape_problem(shape: Sequence[int]) -> str:
    """Why `shape` is not a valid static shape for the importer, or "" when
    it is: a negative dimension, or more than MAX_ELEMENTS elements (zero
    dimensions do not hide huge others: the product of the non-zero
    dimensions counts), or more than MAX_RANK dimensions."""
    if len(shape) > MAX_RANK:
        return (f"it has {len(shape)} dimensions, more than the importer supports "
                f"({MAX_RANK}, NumPy's limit)")
    for i, d in enumerate(shape):
        if int(d) < 0:
            return f"dimension {i} is {int(d)}; dimensions must be >= 0"
    extent = math.prod(max(int(d), 1) for d in shape)
    if extent > MAX_ELEMENTS:
        return (f"its dimensions multiply to {extent}, more than the importer's limit of "
                f"2**{MAX_ELEMENTS.bit_length() - 1} elements (a dimension is probably "
                "corrupt)")
    return ""


def foldable(shape: Sequence[int]) -> bool:
    """Whether a constant of `shape` is small enough to compute at import
    time (otherwise the op is written as IR, or refused)."""
    return element_count(shape) <= MAX_FOLD_ELEMENTS
