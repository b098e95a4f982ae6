"""The message sandbox: Jinja narrowed to plain data, and bounded in steps, time and size.

This file runs by itself in a confined process (statuspage.core.confined loads it by path), so it
imports nothing of the app: only the standard library and Jinja. It is given a template's source
and a context of plain data (strings, numbers, lists and dicts) and gives back the text, or the
line and reason of a refusal; `handle` is that exchange.

On top of Jinja's SandboxedEnvironment it allows only a short list of filters and string methods,
refuses to include or import anything, and refuses, before doing it, any work whose result would be
huge, so that an admin reads a clear reason and its line:

- every arithmetic operator is checked: no integer past 63 bits, whether written in the source,
  computed (`**` is refused from the operands' sizes before Python starts a huge power in C, which
  nothing could interrupt) or converted by a filter; `%` on text is refused;
- no text or list longer than MAX_SIZE: `*` and `+` on texts and lists, `~`, every filter and
  call, and what `{{ }}` writes are measured first (a list counts its items, nested ones too, so
  lists of lists of lists cannot be built into a huge text either);
- arguments of filters and calls are at most MAX_NUMBER (ranges, truncations, paddings);
- a render stops after MAX_STEPS template lines, MAX_SECONDS, MAX_DEPTH nested macro calls, or
  MAX_SIZE characters written.

What slips past these (the process's own limits: time, processor, memory) is stopped from outside
by killing the process.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from functools import lru_cache, wraps
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import SandboxedEnvironment

MAX_SIZE = 50_000  # characters of a text or items of a list: far above any message, below harm
MAX_STEPS = 100_000  # template lines executed in one render
MAX_SECONDS = 0.5
MAX_DEPTH = 50  # nested macro calls
MAX_NUMBER = 100_000  # largest number a filter or call accepts
MAX_INTEGER_BITS = 63  # 19 digits
MAX_NESTING = 100  # lists within lists
TEMPLATE_FILENAME = "<template>"  # what Jinja names code compiled from a string

# Filters a message needs; the rest (format, center, indent, wordwrap, tojson, attr ...) either
# build strings of any size from a small input or reach past plain data.
_ALLOWED_FILTERS = [
    "abs", "capitalize", "count", "default", "d", "e", "escape", "first", "float", "int", "join",
    "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace",
    "reverse", "round", "select", "selectattr", "sort", "string", "striptags", "title", "trim",
    "truncate", "unique", "upper", "urlencode", "wordcount",
]  # fmt: skip
_ALLOWED_METHODS = {
    str: {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith",
          "endswith", "split"},
    dict: {"items", "keys", "values", "get"},
    list: set(),
    tuple: set(),
    int: set(),
    float: set(),
    bool: set(),
}  # fmt: skip
_FORBIDDEN_TAGS = {
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "from … import",
    nodes.Extends: "extends",
}


class TemplateStopped(Exception):
    """A render exceeded a limit; the message says which."""


class Refusal(Exception):
    """The template cannot be rendered: why, and on which line if known."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's compiler, with `~` measured before it joins (Jinja joins it inline)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.measured_concat({join}, (")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")


class MessageSandbox(SandboxedEnvironment):
    """Jinja's sandbox, narrowed to plain data and bounded in size."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "%", "**"})
    code_generator_class = _BoundedCodeGenerator

    def __init__(self) -> None:
        # Not optimized: Jinja's optimizer would run filters and `~` while compiling, unwatched.
        super().__init__(
            autoescape=False,
            undefined=StrictUndefined,
            loader=None,
            optimized=False,
            finalize=_written,
        )
        self.filters = {name: _bounded(self.filters[name]) for name in _ALLOWED_FILTERS}
        self.filters["join"] = _bounded(_join)
        self.filters["replace"] = _bounded(_replace)
        self.globals = {"range": self.globals["range"]}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        for kind, allowed in _ALLOWED_METHODS.items():
            if isinstance(obj, kind):
                return attr in allowed
        return super().is_safe_attribute(obj, attr, value)

    def wrap_str_format(self, value: Any) -> None:
        # str.format builds a string of any width from a short pattern: not offered at all.
        return None

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        return _checked(super().call(context, obj, *args, **kwargs), "a call's result")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _check_operation(operator, left, right)
        try:
            result = super().call_binop(context, operator, left, right)
        except OverflowError as error:
            raise TemplateStopped(f"the result of '{operator}' would be too large") from error
        return _checked(result, f"the result of '{operator}'")

    def measured_concat(self, join: Callable[[Any], str], parts: tuple[Any, ...]) -> str:
        """`a ~ b`: refused before joining when the text would be too long."""
        sizes: dict[int, int] = {}
        if sum(_size(part, sizes) for part in parts) > MAX_SIZE:
            raise TemplateStopped(f"a '~' would make a text longer than {MAX_SIZE:,} characters")
        return join(parts)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _size(value: Any, seen: dict[int, int] | None = None, depth: int = 0) -> int:
    """About how many characters or items `value` holds, counting nested lists and dicts in full
    (each container is measured once, however often it is repeated); past MAX_SIZE it stops."""
    if isinstance(value, str):
        return len(value)
    if not isinstance(value, list | tuple | dict | set | frozenset):
        return 0  # a number (at most 19 digits) is one item of its list, counted there
    seen = {} if seen is None else seen
    key = id(value)
    if key not in seen:
        if depth > MAX_NESTING:
            return MAX_SIZE + 1
        total = len(value)
        items = value.items() if isinstance(value, dict) else value
        for item in items:
            total += _size(item, seen, depth + 1)
            if total > MAX_SIZE:
                break
        seen[key] = total
    return seen[key]


def _check_operation(operator: str, left: Any, right: Any) -> None:
    """Refuse an operation whose result would be huge, before Python computes it."""
    if operator == "%" and isinstance(left, str):
        raise TemplateStopped("'%' string formatting is not available; use filters")
    if operator == "**" and _is_integer(left) and _is_integer(right) and right > 0:
        # The result has at least this many bits (and at most twice as many once it passes).
        least = (left.bit_length() - 1) * right
        if least > MAX_INTEGER_BITS:
            raise TemplateStopped(f"a power would be too large (over {MAX_INTEGER_BITS} bits)")
    if operator == "*":
        for sized, count in ((left, right), (right, left)):
            repeated = isinstance(sized, str | list | tuple) and _is_integer(count)
            if repeated and _size(sized) * max(count, 0) > MAX_SIZE:
                raise TemplateStopped("a repetition would be too long")
    joined = operator == "+" and isinstance(left, str | list | tuple)
    if joined and _size(left) + _size(right) > MAX_SIZE:
        raise TemplateStopped("a '+' would make a value too long")


def _checked(value: Any, what: str) -> Any:
    """`value`, unless it is a number past the bound or a text or list past MAX_SIZE."""
    if _is_integer(value) and value.bit_length() > MAX_INTEGER_BITS:
        raise TemplateStopped(f"{what} is too large a number (over {MAX_INTEGER_BITS} bits)")
    if _size(value) > MAX_SIZE:
        raise TemplateStopped(f"{what} would be too long")
    return value


def _written(value: Any) -> Any:
    """What `{{ }}` writes, measured before it is turned into text."""
    if _size(value) > MAX_SIZE:
        raise TemplateStopped(f"a value is longer than {MAX_SIZE:,} characters")
    return value


def _check_arguments(args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int | float) and not isinstance(value, bool):
            if abs(value) > MAX_NUMBER:
                raise TemplateStopped(f"the number {value:g} is too large (at most {MAX_NUMBER:,})")
        elif _size(value) > MAX_SIZE:
            raise TemplateStopped("a value is too long to pass on")


def _bounded(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that refuses huge inputs, numbers and results."""

    @wraps(function)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        # The first argument is the value, or Jinja's environment or context (never a number).
        _check_arguments(args[1:], kwargs)
        if _size(args[0]) > MAX_SIZE:
            raise TemplateStopped("a filter's value is too long")
        return _checked(function(*args, **kwargs), "a filter's result")

    return wrapped


def _join(value: Any, separator: str = "", attribute: str | None = None) -> str:
    items = [str(item[attribute] if attribute else item) for item in value]
    size = sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)
    if size > MAX_SIZE:
        raise TemplateStopped("a join would be too long")
    return separator.join(items)


def _replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    hits = len(text) + 1 if old == "" else text.count(old)
    if len(text) + hits * (len(new) - len(old)) > MAX_SIZE:
        raise TemplateStopped("a replacement would be too long")
    return text.replace(old, new, -1 if count is None else count)


_environment = MessageSandbox()


def handle(request: Mapping[str, Any]) -> dict[str, Any]:
    """The confined process's answer: {"text": ...}, or {"line": ..., "reason": ...}."""
    try:
        return {"text": render(request["source"], request["context"])}
    except Refusal as refusal:
        return {"line": refusal.line, "reason": refusal.reason}


def render(source: str, context: Mapping[str, Any]) -> str:
    """The template's text over the context, or Refusal saying why not and where."""
    try:
        template = _compile(source)
        return "".join(_bounded_output(template.generate(context)))
    except TemplateSyntaxError as error:
        raise Refusal(error.lineno, error.message or str(error)) from error
    except (TemplateError, TemplateStopped, ArithmeticError, ValueError, TypeError) as error:
        raise Refusal(_template_line(error), str(error)) from error
    except (RecursionError, MemoryError) as error:
        raise Refusal(_template_line(error), "it is too deep or too big") from error


@lru_cache(maxsize=512)
def _compile(source: str) -> Any:
    tree = _environment.parse(source)
    for kind, word in _FORBIDDEN_TAGS.items():
        for node in tree.find_all(kind):
            raise TemplateSyntaxError(
                f"{{% {word} %}} is not allowed: a template cannot read files or other templates",
                node.lineno,
            )
    for constant in tree.find_all(nodes.Const):
        if _is_integer(constant.value) and constant.value.bit_length() > MAX_INTEGER_BITS:
            raise TemplateSyntaxError(
                f"the number is too large (over {MAX_INTEGER_BITS} bits)", constant.lineno
            )
    return _environment.from_string(tree)


def _bounded_output(chunks: Iterator[str]) -> Iterator[str]:
    """Yield the render's output while watching its steps, time and size."""
    steps = depth = 0
    deadline = time.monotonic() + MAX_SECONDS

    def trace_line(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal steps, depth
        if event == "return":
            depth -= 1
            return trace_line
        steps += 1
        if steps > MAX_STEPS:
            raise TemplateStopped(f"it ran more than {MAX_STEPS:,} steps (a loop too long?)")
        if steps % 1000 == 0 and time.monotonic() > deadline:
            raise TemplateStopped(f"it ran longer than {MAX_SECONDS} s")
        return trace_line

    def trace_call(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal depth
        if frame.f_code.co_filename != TEMPLATE_FILENAME:
            return None
        # Stopped long before Python's own recursion limit, which takes seconds to reach
        # when every frame is traced.
        depth += 1
        if depth > MAX_DEPTH:
            raise TemplateStopped(f"macros call each other too deep (more than {MAX_DEPTH})")
        return trace_line

    written = 0
    previous = sys.gettrace()
    sys.settrace(trace_call)
    try:
        for chunk in chunks:
            written += len(chunk)
            if written > MAX_SIZE:
                raise TemplateStopped(f"its output is longer than {MAX_SIZE:,} characters")
            yield chunk
    finally:
        sys.settrace(previous)


def _template_line(error: BaseException) -> int | None:
    """The line of the template the error came from (Jinja keeps it in the traceback)."""
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(error.__traceback__)
        if frame.filename == TEMPLATE_FILENAME
    ]
    return lines[-1] if lines else getattr(error, "lineno", None)
