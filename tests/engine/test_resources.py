"""The bundled resources exist, load, and are consistent (no Qt needed)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from engine.text import segment_text

RES = Path(__file__).resolve().parents[2] / "resources"
LABELS = RES / "labels.json"
CORPUS = RES / "demo" / "corpus.txt"
SEED = RES / "demo" / "seed.jsonl"
ICON_SVG = RES / "icon.svg"
ICON_PNG = RES / "icon.png"


@pytest.fixture(scope="module")
def labels() -> list[dict]:
    return json.loads(LABELS.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def corpus() -> str:
    return CORPUS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed() -> list[dict]:
    lines = SEED.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def test_files_exist() -> None:
    for path in (RES / "__init__.py", RES / "README.md", LABELS, CORPUS, SEED, ICON_SVG, ICON_PNG):
        assert path.is_file(), path
        assert path.stat().st_size > 0 or path.name == "__init__.py", path


def test_labels(labels: list[dict]) -> None:
    assert isinstance(labels, list) and labels
    names = [lab["name"] for lab in labels]
    assert names[:4] == ["PER", "ORG", "LOC", "MISC"]
    assert len(set(names)) == len(names)
    colors = [lab["color"] for lab in labels]
    assert all(re.fullmatch(r"#[0-9A-Fa-f]{6}", c) for c in colors), colors
    assert len({c.upper() for c in colors}) == len(colors)
    hotkeys = [lab["hotkey"] for lab in labels]
    assert all(h in set("123456789") for h in hotkeys), hotkeys
    assert len(set(hotkeys)) == len(hotkeys)
    for lab in labels:
        assert set(lab) == {"name", "color", "hotkey", "description"}
        assert lab["name"] == lab["name"].strip() and lab["name"]
        assert isinstance(lab["description"], str) and lab["description"].strip()


def test_icons() -> None:
    svg = ICON_SVG.read_text(encoding="utf-8")
    assert "<svg" in svg and 'viewBox="0 0 256 256"' in svg
    head = ICON_PNG.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert (width, height) == (256, 256)


def test_corpus(corpus: str) -> None:
    assert unicodedata.is_normalized("NFC", corpus)
    assert "\r" not in corpus and "\t" not in corpus
    sentences = segment_text(corpus, "sentences")
    assert len(sentences) >= 300
    paragraphs = [p for p in corpus.split("\n\n") if p.strip()]
    assert len(paragraphs) >= 60
    assert all("\n" not in p.strip("\n") for p in paragraphs)  # one paragraph per line
    for needle in ("U.S.", "Dr. Amara Okafor", "York-based", "Łódź", "Zoë", "José", "東京"):
        assert needle in corpus, needle


def test_seed_sentences_come_from_the_corpus(corpus: str, seed: list[dict]) -> None:
    assert len(seed) >= 30
    texts = [rec["text"] for rec in seed]
    assert len(set(texts)) == len(texts), "duplicate seed sentences"
    sentences = {corpus[a:b] for a, b in segment_text(corpus, "sentences")}
    for text in texts:
        assert text in corpus, text
        assert text in sentences, f"not a whole corpus sentence: {text!r}"


def test_seed_spans(seed: list[dict], labels: list[dict]) -> None:
    names = {lab["name"] for lab in labels}
    counts: Counter[str] = Counter()
    for rec in seed:
        assert set(rec) == {"text", "spans"}
        text, spans = rec["text"], rec["spans"]
        previous_end = 0
        for span in sorted(spans, key=lambda s: (s["start"], s["end"])):
            assert set(span) == {"start", "end", "label"}, span
            start, end, label = span["start"], span["end"], span["label"]
            assert isinstance(start, int) and isinstance(end, int)
            assert 0 <= start < end <= len(text), (text, span)
            assert start >= previous_end, f"overlapping spans in {text!r}"
            previous_end = end
            assert label in names, label
            piece = text[start:end]
            assert piece == piece.strip(), f"span {piece!r} has surrounding whitespace"
            # spans do not cut a word in half (a possessive 's may follow)
            assert start == 0 or not text[start - 1].isalnum(), (text, piece)
            assert end == len(text) or not text[end].isalnum(), (text, piece)
            counts[label] += 1
    assert all(counts[name] > 0 for name in ("PER", "ORG", "LOC", "MISC")), counts
