"""The one rule for label names, shared by the label store and every import reader.

A label name is 1 to 64 characters with no whitespace of any kind (spaces, tabs, newlines,
NBSP, Unicode line separators), no comma and no control or format character. Such names survive
every export: a CoNLL tag is ``B-NAME`` followed by whitespace, and ``labels order`` and
``init --labels`` take comma-separated names.

:func:`check_label_name` refuses other names with a message saying what is wrong;
:func:`map_label_name` turns a name found in an imported file into an allowed one (runs of
whitespace and commas become ``_``, control characters are dropped), so a file from a tool that
allows ``"Named Person"`` still imports, as ``Named_Person``.
"""

from __future__ import annotations

import regex

MAX_LENGTH = 64
# White_Space, comma, and the control (Cc), format (Cf), surrogate (Cs) and unassigned (Cn)
# categories; U+001C..U+001F are Cc as well.
_BAD_RE = regex.compile(r"[\s,\p{Cc}\p{Cf}\p{Cs}\p{Cn}]")
_SEPARATOR_RE = regex.compile(r"[\s,]+")
_DROP_RE = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\p{Cn}]")

RULE = (
    "a label name is 1 to 64 characters without spaces, tabs, newlines, commas or "
    "control characters (use _ or - instead of a space)"
)


def label_name_problem(name: object) -> str | None:
    """What is wrong with ``name`` as a label name, or None when it is allowed."""
    if not isinstance(name, str):
        return "a label name must be text"
    if not name:
        return "a label name cannot be empty"
    if len(name) > MAX_LENGTH:
        return f"{name[:20]!r}… is {len(name)} characters long; the limit is {MAX_LENGTH}"
    m = _BAD_RE.search(name)
    if m:
        ch = m.group()
        what = {
            ",": "a comma",
            " ": "a space",
            "\t": "a tab",
            "\n": "a newline",
            "\r": "a carriage return",
        }.get(ch, f"the character U+{ord(ch):04X}")
        return f"{name!r} contains {what}; {RULE}"
    return None


def is_label_name(name: object) -> bool:
    """True when ``name`` is an allowed label name."""
    return label_name_problem(name) is None


def check_label_name(name: object) -> str:
    """``name`` when it is allowed; raises ValidationError (field ``label``) otherwise."""
    from engine.errors import ValidationError

    problem = label_name_problem(name)
    if problem is not None:
        raise ValidationError(problem, field="label")
    assert isinstance(name, str)
    return name


def map_label_name(name: str) -> str | None:
    """An allowed name for ``name`` read from a file, or None when nothing is left of it.

    Whitespace and commas (runs of them) become ``_``, leading and trailing ones are dropped,
    control and format characters are removed, and the result is cut to 64 characters.
    """
    if is_label_name(name):
        return name
    trimmed = _SEPARATOR_RE.sub(" ", name).strip()
    out = _DROP_RE.sub("", _SEPARATOR_RE.sub("_", trimmed))[:MAX_LENGTH]
    return out if out and is_label_name(out) else None
