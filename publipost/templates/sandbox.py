"""The Jinja2 sandbox, bounded in time and memory.

Jinja's sandbox keeps copy from reaching Python's internals, but not from asking for work
without end: `{{ 9**999999999 }}` (which Jinja computes while compiling, so `validate`
hangs), `{{ 'x' * 10**10 }}`, `{{ name.center(10**9) }}`, loops nested in loops. A campaign
file may come from an untrusted repository (`lint` in CI), and one recipient's data must
not stall a print run. So here:

- arithmetic is never folded at compile time; at run time a power, a repetition or a
  %-format that would build a huge number or text is refused;
- numbers given to filters and methods (widths, counts) stay below MAX_ARGUMENT;
- all the loops of one render together run at most MAX_ITERATIONS times;
- `lipsum` (text generator) is not offered.

What is refused raises SecurityError: for a constant expression, the copy's error at
`validate` (exit 2); for a recipient's data, that recipient is not rendered, the others go on.
"""

from __future__ import annotations

import functools
import operator
import re
from typing import Any

from jinja2 import Environment, nodes, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

MAX_ITERATIONS = 10_000  # all loops of one render
MAX_LENGTH = 100_000  # characters or items a repetition may build
MAX_ARGUMENT = 10_000  # a width or a count given to a filter or a method
MAX_EXPONENT_BITS = 4_096  # a power's result
_WIDTH = re.compile(r"\d{5,}")  # a width of 10,000 or more in a format string
LOOP_GUARD = "_publipost_loop"


class BoundedEnvironment(SandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "%", "//", "/"})

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.globals.pop("lipsum", None)
        self.globals[LOOP_GUARD] = _loop_guard
        self.filters = {name: _bounded_filter(f) for name, f in self.filters.items()}

    def call_binop(self, context: Any, operator_: str, left: Any, right: Any) -> Any:
        return bounded_binop(operator_, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _check_arguments(getattr(__obj, "__name__", "function"), args, kwargs)
        target = getattr(__obj, "__wrapped__", __obj)
        if getattr(target, "__name__", "") in ("format", "format_map"):
            owner = getattr(target, "__self__", None)
            if isinstance(owner, str) and _WIDTH.search(owner):
                raise SecurityError("a format width of 10,000 or more")
        return super().call(__context, __obj, *args, **kwargs)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every loop's iterable goes through the guard that counts iterations."""
        return _GuardLoops().visit(super()._parse(source, name, filename))


def bounded_binop(operator_: str, left: Any, right: Any) -> Any:
    if operator_ == "**" and _is_number(left) and _is_number(right) and abs(right) > 1 and abs(left) > 1:
        bits = abs(float(right)) * max(1, int(abs(left)).bit_length())
        if bits > MAX_EXPONENT_BITS:
            raise SecurityError(f"{left} ** {right} is too large a number")
    if operator_ == "*":
        for sequence, count in ((left, right), (right, left)):
            repeated = isinstance(sequence, str | list | tuple) and isinstance(count, int)
            if repeated and len(sequence) * count > MAX_LENGTH:
                raise SecurityError(f"repeating a text or a list {count} times builds too much")
    if operator_ == "%" and isinstance(left, str) and _WIDTH.search(left):
        raise SecurityError("a format width of 10,000 or more")
    return _OPERATORS[operator_](left, right)


_OPERATORS = {
    "**": operator.pow,
    "*": operator.mul,
    "%": operator.mod,
    "//": operator.floordiv,
    "/": operator.truediv,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_arguments(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if _is_number(value) and abs(value) > MAX_ARGUMENT:
            raise SecurityError(f"{name}() was given {value}: widths and counts stay below {MAX_ARGUMENT:,}")


def _bounded_filter(function: Any) -> Any:
    """A filter whose width and count arguments are bounded (its value itself is not)."""

    @functools.wraps(function)  # keeps jinja_pass_arg: the filter still gets its context
    def bounded(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not _is_context(a)]
        _check_arguments(getattr(function, "__name__", "filter"), tuple(values[1:]), kwargs)
        return function(*args, **kwargs)

    return bounded


def _is_context(value: Any) -> bool:
    return isinstance(value, Context | EvalContext | Environment)


class _GuardLoops(NodeTransformer):
    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Call(
            nodes.Name(LOOP_GUARD, "load", lineno=node.lineno),
            [node.iter],
            [],
            None,
            None,
            lineno=node.lineno,
        )
        return node


@pass_eval_context
def _loop_guard(eval_ctx: EvalContext, iterable: Any) -> Any:
    """Counts the iterations of all the loops of one render, on its evaluation context."""
    for item in iterable:
        count = getattr(eval_ctx, "publipost_iterations", 0) + 1
        if count > MAX_ITERATIONS:
            raise SecurityError(f"the copy's loops ran more than {MAX_ITERATIONS:,} times for one recipient")
        eval_ctx.publipost_iterations = count  # type: ignore[attr-defined]
        yield item


def constant_errors(ast: nodes.Template) -> list[tuple[int, str]]:
    """(line, message) of each expression of constants that the bounds refuse, such as
    `9**999999999`: an error in the copy itself, reported before anything is rendered."""
    found = []
    for node in ast.find_all(nodes.BinExpr):
        try:
            _constant(node)
        except SecurityError as exc:
            found.append((node.lineno, str(exc)))
        except _NotConstant:
            continue
        except (ArithmeticError, TypeError, ValueError):
            continue  # left to the render, which reports it per recipient
    return found


class _NotConstant(Exception):
    pass


def _constant(node: nodes.Node) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.BinExpr):
        return bounded_binop(node.operator, _constant(node.left), _constant(node.right))
    raise _NotConstant
