"""A safe arithmetic evaluator over `ast`: numbers, operators and a few math functions, no eval."""

from __future__ import annotations

import ast
import math
import operator
from typing import TYPE_CHECKING, Final

from mxp_agents.cli._errors import ToolInputError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MAX_EXPRESSION_LENGTH", "evaluate"]

Number = int | float

MAX_EXPRESSION_LENGTH: Final = 500
"""Longest expression accepted, in characters."""
_MAX_EXPONENT: Final = 1_000
_MAX_INT_BITS: Final = 4_096

_BINARY: Final[dict[type[ast.operator], Callable[[Number, Number], object]]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: lambda left, right: left / right,
    ast.FloorDiv: lambda left, right: left // right,
    ast.Mod: operator.mod,
    ast.Pow: lambda left, right: left**right,
}
_UNARY: Final[dict[type[ast.unaryop], Callable[[Number], object]]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_FUNCTIONS: Final[dict[str, Callable[..., object]]] = {
    "abs": abs,
    "round": round,
    "min": min,
    "max": max,
    "sqrt": math.sqrt,
}
_CONSTANTS: Final[dict[str, float]] = {"pi": math.pi, "e": math.e}


def evaluate(expression: str) -> Number:
    """The value of an arithmetic ``expression``.

    Accepts int and float literals, ``+ - * / // % **``, parentheses, the constants ``pi`` and
    ``e`` and the functions ``abs round min max sqrt``. Anything else (names, attributes,
    strings, comprehensions, other calls) is refused with `ToolInputError`, as are results
    that would be huge (exponents above 1000, integers above 4096 bits).

    Example:
        >>> evaluate("(2 + 3) * 4 ** 2 / 8")
        10.0
        >>> evaluate("__import__('os')")
        Traceback (most recent call last):
        ...
        mxp_agents.cli._errors.ToolInputError: the name '__import__' is not allowed ...
    """
    text = expression.strip()
    if not text:
        raise ToolInputError("the expression is empty; give one like '(2 + 3) * 4'")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ToolInputError(
            f"the expression has {len(text)} characters; at most {MAX_EXPRESSION_LENGTH} allowed"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ToolInputError(
            f"not a valid expression: {error.msg} (column {error.offset})"
        ) from None
    return _Evaluator(text).value(tree.body)


class _Evaluator:
    def __init__(self, text: str) -> None:
        self._text = text

    def _refuse(self, node: ast.AST, what: str) -> ToolInputError:
        column = getattr(node, "col_offset", None)
        where = f" (column {column + 1})" if isinstance(column, int) else ""
        return ToolInputError(
            f"{what} is not allowed in a calculator expression{where}; use numbers, "
            "+ - * / // % **, parentheses, pi, e and abs/round/min/max/sqrt"
        )

    def value(self, node: ast.expr) -> Number:
        if isinstance(node, ast.Constant):
            constant: object = node.value
            if isinstance(constant, bool) or not isinstance(constant, int | float):
                raise self._refuse(node, f"the literal {constant!r}")
            return constant
        if isinstance(node, ast.BinOp):
            return self._binary(node)
        if isinstance(node, ast.UnaryOp):
            unary = _UNARY.get(type(node.op))
            if unary is None:
                raise self._refuse(node, f"the operator {type(node.op).__name__}")
            return _checked(unary(self.value(node.operand)))
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            raise self._refuse(node, f"the name {node.id!r}")
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self._refuse(node, f"a {type(node).__name__} expression")

    def _binary(self, node: ast.BinOp) -> Number:
        function = _BINARY.get(type(node.op))
        if function is None:
            raise self._refuse(node, f"the operator {type(node.op).__name__}")
        left, right = self.value(node.left), self.value(node.right)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        try:
            result = function(left, right)
        except ZeroDivisionError:
            raise ToolInputError("division by zero") from None
        except OverflowError:
            raise ToolInputError("the result is too large") from None
        return _checked(result)

    def _call(self, node: ast.Call) -> Number:
        if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
            shown = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise self._refuse(node, f"calling {shown!r}")
        if node.keywords:
            raise self._refuse(node, "a keyword argument")
        arguments = [self.value(argument) for argument in node.args]
        try:
            result = _FUNCTIONS[node.func.id](*arguments)
        except (TypeError, ValueError, OverflowError) as error:
            raise ToolInputError(f"{node.func.id}(): {error}") from None
        return _checked(result)


def _check_power(base: Number, exponent: Number) -> None:
    if abs(exponent) > _MAX_EXPONENT:
        raise ToolInputError(f"the exponent {exponent} is too large (at most {_MAX_EXPONENT})")
    if not (isinstance(base, int) and isinstance(exponent, int) and exponent > 0):
        return
    if abs(base).bit_length() * exponent > _MAX_INT_BITS:
        raise ToolInputError(f"the result is too large (more than {_MAX_INT_BITS} bits)")


def _checked(result: object) -> Number:
    """``result`` if it is a finite float or an int of at most 4096 bits."""
    if isinstance(result, complex):
        raise ToolInputError("the result is a complex number (a fractional power of < 0)")
    if isinstance(result, bool) or not isinstance(result, int | float):
        raise ToolInputError(f"the result {result!r} is not a number")
    if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
        raise ToolInputError(f"the result is too large (more than {_MAX_INT_BITS} bits)")
    if isinstance(result, float) and not math.isfinite(result):
        raise ToolInputError("the result is not a finite number")
    return result
