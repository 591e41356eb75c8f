"""OffsetMap: Qt UTF-16 positions ↔ Python code points, exact for any text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor, QTextDocument

from desktop.widgets.qt_offsets import OffsetMap

pytestmark = pytest.mark.gui

PIECES = [
    "a",
    "Z",
    " ",
    "é",
    "e\u0301",
    "\u0301",
    "😀",
    "👍🏽",
    "👩\u200d👩\u200d👧",
    "東京",
    "\r\n",
    "\r",
    "\n",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\t",
    "\x00",
    "\x85",
    "\x0b",
    "\x0c",
    "\ud800",
    "\U0001d11e",
    "\ufeff",
    "\u200d",
    "\x7f",
    "\ufdd0",
    "\ufdd1",
    "\ufffc",
    "ﷺ",
    "\u202e",
]
texts = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
    st.text(max_size=40),
)


def utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def qt_document(display: str) -> QTextDocument:
    doc = QTextDocument()
    QTextCursor(doc).insertText(display)
    return doc


def is_surrogate_middle(display: str, q: int) -> bool:
    units = display.encode("utf-16-le", "surrogatepass")
    if not 0 < q < len(units) // 2:
        return False
    unit = int.from_bytes(units[2 * q : 2 * q + 2], "little")
    return 0xDC00 <= unit <= 0xDFFF


@given(texts, st.integers(min_value=0, max_value=1000))
def test_round_trip_code_points(text: str, base: int) -> None:
    omap = OffsetMap(text, base)
    assert omap.qt_length == utf16_len(omap.display)
    for i in range(base, base + len(text) + 1):
        q = omap.to_qt(i)
        assert 0 <= q <= omap.qt_length
        if omap.is_boundary(i):
            assert omap.from_qt(q) == i
        else:  # the \n of a \r\n: maps after the separator, back to the next boundary
            assert text[i - base - 1 : i - base + 1] == "\r\n"
            assert omap.from_qt(q) == i + 1


@given(texts)
def test_round_trip_qt_positions(text: str) -> None:
    omap = OffsetMap(text)
    for q in range(omap.qt_length + 1):
        i = omap.from_qt(q)
        assert omap.is_boundary(i)
        if not is_surrogate_middle(omap.display, q):
            assert omap.to_qt(i) == q
        else:
            assert omap.to_qt(i) == q - 1


@given(texts)
def test_positions_are_monotonic(text: str) -> None:
    omap = OffsetMap(text)
    qs = [omap.to_qt(i) for i in range(len(text) + 1)]
    assert qs == sorted(qs)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.data())
def test_matches_a_real_qt_document(qapp: object, text: str, data: st.DataObject) -> None:
    omap = OffsetMap(text)
    doc = qt_document(omap.display)
    assert doc.characterCount() - 1 == omap.qt_length
    boundaries = [i for i in range(len(text) + 1) if omap.is_boundary(i)]
    i = data.draw(st.sampled_from(boundaries))
    j = data.draw(st.sampled_from([b for b in boundaries if b >= i]))
    cursor = QTextCursor(doc)
    cursor.setPosition(omap.to_qt(i))
    cursor.setPosition(omap.to_qt(j), QTextCursor.MoveMode.KeepAnchor)
    assert cursor.selectedText() == OffsetMap(text[i:j]).display


def test_examples() -> None:
    text = "a😀b\r\nc\u2028d\u00a0e"
    omap = OffsetMap(text, base=100)
    assert omap.to_qt(100) == 0
    assert omap.to_qt(101) == 1  # after "a"
    assert omap.to_qt(102) == 3  # the emoji takes 2 units
    assert omap.to_qt(103) == 4  # "\r" → the block separator
    assert omap.to_qt(105) == 5  # "c" after one separator position
    assert omap.from_qt(2) == 101  # inside the emoji → its start
    assert omap.from_qt(5) == 105
    assert not omap.is_boundary(104)  # between \r and \n
    assert omap.display == "a😀b\u2029c\u2028d\u00a0e"


def test_leading_bom_survives_into_qt(qapp: object) -> None:
    """PySide drops a leading U+FEFF converting str → QString: it is shown as U+2060."""
    omap = OffsetMap("\ufeffa")
    doc = qt_document(omap.display)
    assert doc.characterCount() - 1 == omap.qt_length == 2
