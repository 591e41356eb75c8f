"""Strict JSON for readers and writers: no NaN/Infinity, errors as FormatError with a line."""

from __future__ import annotations

import json
from typing import Any

from .registry import ReadContext


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def loads(text: str, ctx: ReadContext, line: int | None = None) -> Any:
    """Parse ``text`` as JSON; ``line`` is the file line where ``text`` starts (JSONL).

    Syntax errors, NaN/Infinity, numbers too long to convert and nesting too deep for the
    parser all become FormatError naming the line.
    """
    try:
        return DECODER.decode(text)
    except json.JSONDecodeError as exc:
        at = exc.lineno if line is None else line + exc.lineno - 1
        raise ctx.error(f"invalid JSON: {exc.msg} (column {exc.colno})", at) from None
    except (ValueError, RecursionError) as exc:
        raise ctx.error(f"invalid JSON: {exc}", line) from None


def dumps(record: Any) -> str:
    """One JSON line: UTF-8 characters kept readable, NaN refused, line separators escaped.

    U+2028/U+2029/U+0085 are escaped because tools that split on Unicode line breaks
    (``str.splitlines``) would otherwise cut a record in two.
    """
    text = json.dumps(record, ensure_ascii=False, allow_nan=False)
    if "\u2028" in text or "\u2029" in text or "\x85" in text:
        text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
        text = text.replace("\x85", "\\u0085")
    return text
