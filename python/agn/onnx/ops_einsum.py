"""Einsum without ellipses: above all the (batched, transposed) matrix
products models write as "bhid,bhjd->bhij" or "ij,jk->ik", and also
one-operand transposes, sums and diagonals.

The equation maps straight onto one `linalg.generic`: a loop per letter
(the output's letters, parallel, in output order, then the summed letters,
reduction, in order of appearance), each operand read through the map onto
its letters (a letter repeated within a term reads a diagonal), and the
body out + a * b * .... Two operands make a contraction, which carries the
unit's attributes like MatMul's, so agn-form-units makes it a unit.
"""

from __future__ import annotations

from typing import List, Tuple

import numpy as np

from agn.onnx.context import ImportContext
from agn.onnx.limits import foldable
from agn.onnx.mlir_text import BodyBuilder, affine_map, tensor_type
from agn.onnx.registry import emitter


def _parse_equation(ctx: ImportContext, equation: str, ranks: List[int]) -> Tuple[List[str], str]:
    """The letters of each operand and of the output of `equation`
    ("ij,jk->ik"; without "->" the output is the letters that appear once,
    in alphabetical order, as in NumPy). Raises for ellipses, output letters
    that repeat or appear in no operand, and rank mismatches."""
    text = "".join(equation.split())
    if "." in text:
        raise ctx.error(f"equation '{equation}': ellipsis ('...') is not supported")
    lhs, arrow, out = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise ctx.error(f"equation '{equation}' has {len(terms)} operands; the node has "
                        f"{len(ranks)}")
    if not arrow:
        letters = "".join(terms)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    for term in terms + [out]:
        if not all(c.isalpha() for c in term):
            raise ctx.error(f"equation '{equation}' has a term '{term}' that is not letters")
    if len(set(out)) != len(out):
        raise ctx.error(f"equation '{equation}': the output '{out}' repeats a letter")
    for term, rank in zip(terms, ranks):
        if len(term) != rank:
            raise ctx.error(f"equation '{equation}': term '{term}' has {len(term)} letters "
                            f"for an operand of rank {rank}")
    unknown = set(out) - set("".join(terms))
    if unknown:
        raise ctx.error(f"equation '{equation}': output letters {sorted(unknown)} appear in "
                        "no operand")
    return terms, out


@emitter("Einsum")
def einsum(ctx: ImportContext) -> None:
    """Einsum as one generic (see the module docstring)."""
    ctx.check_attrs(["equation"])
    equation = ctx.attr("equation", None)
    if equation is None:
        raise ctx.error("the 'equation' attribute is required")
    operands = [ctx.get(name) for name in ctx.node.input if name]
    if not operands:
        raise ctx.error("needs at least one input")
    first = operands[0]
    for value in operands[1:]:
        if value.dtype != first.dtype:
            raise ctx.error(f"inputs have different dtypes ({first.dtype} and {value.dtype})")
    if first.kind.is_bool:
        raise ctx.error("boolean inputs are not supported")
    terms, out = _parse_equation(ctx, equation, [v.rank for v in operands])

    sizes = {}
    for term, value in zip(terms, operands):
        for letter, size in zip(term, value.shape):
            if sizes.setdefault(letter, size) != size:
                raise ctx.error(f"equation '{equation}': letter '{letter}' has sizes "
                                f"{sizes[letter]} and {size}")
    out_shape = tuple(sizes[c] for c in out)
    if all(v.const is not None for v in operands) and foldable(out_shape):
        folded = np.einsum(",".join(terms) + "->" + out, *[v.const for v in operands])
        ctx.define_const(0, np.asarray(folded).astype(first.dtype))
        return
    summed = [c for c in "".join(terms) if c not in out]
    loops = list(out) + list(dict.fromkeys(summed))
    dim = {letter: f"d{i}" for i, letter in enumerate(loops)}
    maps = [affine_map(len(loops), [dim[c] for c in term]) for term in terms + [out]]
    dtype, kind = first.dtype, first.kind
    init = ctx.fb.filled(out_shape, dtype, 0)
    count = len(operands)

    def body(bb: BodyBuilder, s: List[str]) -> List[str]:
        product = s[0]
        for factor in s[1:count]:
            product = bb.binary(kind, "mul", product, factor)
        return [bb.binary(kind, "add", s[count], product)]

    iterators = ["parallel"] * len(out) + ["reduction"] * (len(loops) - len(out))
    # Two operands: a contraction, and so a unit.
    attributes = ctx.unit_attribute_entries() if count == 2 else []
    result = ctx.fb.generic(
        [(ctx.ssa(v), v.type) for v in operands],
        [(init, tensor_type(out_shape, dtype))], maps, iterators, body, hint="einsum",
        attributes=attributes)[0]
    ctx.define(0, out_shape, dtype, ssa=result)
