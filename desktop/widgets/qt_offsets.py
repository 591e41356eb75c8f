"""The one place where Qt text positions and Python code-point offsets meet.

Qt counts UTF-16 code units (an emoji is 2) and turns a line break into one block separator;
Python counts code points and the stored document keeps ``\\r\\n``. :class:`OffsetMap` builds the
text the editor shows from the stored text and converts positions both ways, exactly.

The shown text is never read back: ``QTextEdit.toPlainText()`` rewrites NBSP, CRLF and U+2028.
"""

from __future__ import annotations

from bisect import bisect_right

#: Qt's block separator; ``QTextCursor.insertText`` turns it into a new block of one position.
BLOCK_SEPARATOR = "\u2029"
#: Characters that end a line in stored text (``\r\n`` counts as one, see :meth:`OffsetMap`).
LINE_BREAKS = frozenset("\n\r\u2029\x0b\x0c\x1c\x1d\x1e\x85")
_CONTROL_PICTURES = 0x2400
#: Qt's frame markers and object replacement character mean something inside a QTextDocument.
_QT_SPECIAL = frozenset("\ufdd0\ufdd1\ufffc")


def display_char(ch: str) -> str:
    """What the editor shows for one stored code point (always a single code point)."""
    code = ord(ch)
    if ch in LINE_BREAKS:
        return BLOCK_SEPARATOR
    if ch == "\t" or ch == "\u2028":
        return ch  # tab and LINE SEPARATOR render as themselves inside a block
    if code < 0x20:
        return chr(_CONTROL_PICTURES + code)  # ␀ ␁ … so invisible controls stay one position
    if code == 0x7F:
        return "\u2421"
    if ch == "\ufeff":
        return "\u2060"  # a leading BOM is dropped crossing into Qt; WORD JOINER looks the same
    if 0xD800 <= code <= 0xDFFF or ch in _QT_SPECIAL:
        return "\ufffd"  # a lone surrogate cannot cross into Qt; frame/object marks are Qt's
    return ch


def utf16_len(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


class OffsetMap:
    """Maps document code-point offsets in ``[base, base + len(text)]`` to Qt positions and back.

    ``text`` is the stored text from document offset ``base``; :attr:`display` is the text to
    insert into a ``QTextDocument`` (with ``QTextCursor.insertText``) whose positions this map
    describes. The second code point of a ``\\r\\n`` lies inside one Qt position: it maps to the
    position after the separator, and no Qt position maps back to it.
    """

    __slots__ = ("base", "text", "display", "_qpos")

    def __init__(self, text: str, base: int = 0) -> None:
        self.base = base
        self.text = text
        shown: list[str] = []
        qpos = [0] * (len(text) + 1)
        q = 0
        i = 0
        n = len(text)
        while i < n:
            ch = text[i]
            qpos[i] = q
            if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
                shown.append(BLOCK_SEPARATOR)
                q += 1
                qpos[i + 1] = q  # inside the CRLF: after the separator
                i += 2
                continue
            out = display_char(ch)
            shown.append(out)
            q += utf16_len(out)
            i += 1
        qpos[n] = q
        self.display = "".join(shown)
        self._qpos = qpos

    @property
    def qt_length(self) -> int:
        """Number of Qt positions the shown text takes (UTF-16 units, separators counted 1)."""
        return self._qpos[-1]

    @property
    def end(self) -> int:
        """Document offset just past the mapped text."""
        return self.base + len(self.text)

    def to_qt(self, offset: int) -> int:
        """Qt position of document code-point ``offset`` (clamped to the mapped range)."""
        local = min(max(offset - self.base, 0), len(self.text))
        return self._qpos[local]

    def from_qt(self, position: int) -> int:
        """Document code-point offset at Qt ``position``.

        A position inside a surrogate pair rounds down to the start of its code point; the
        result never lies inside a ``\\r\\n``.
        """
        position = min(max(position, 0), self.qt_length)
        local = bisect_right(self._qpos, position) - 1
        return self.base + local

    def is_boundary(self, offset: int) -> bool:
        """Whether ``offset`` is a place a span can start or end (not inside a ``\\r\\n``)."""
        local = offset - self.base
        if not 0 <= local <= len(self.text):
            return False
        return not (
            0 < local < len(self.text) and self.text[local - 1] == "\r" and self.text[local] == "\n"
        )
