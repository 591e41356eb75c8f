"""Which segments are held out for evaluation: a group split, stable as documents are added.

A random sample of segments flatters a model: eval sentences then share documents, names and
topics with training sentences. So the eval split holds out whole groups:

- ``documents``: whole documents, when the project has enough of them (at least
  :data:`MIN_DOCUMENTS` and ``3 / eval_share``, none holding more than ``eval_share`` of the
  segments). A document is held out when a hash of ``seed:content_hash`` falls under
  ``eval_share``, so adding documents never moves a stored one. Text-lines / JSONL imports are
  one document per line, so each line is its own group.
- ``blocks``: otherwise, contiguous blocks of segments inside each document (the document's
  whole eval share in one block, blocks of at most :data:`BLOCK_SEGMENTS` for long documents,
  evenly spaced through the document from a hashed offset).
- ``segments``: the old rule (each segment on its own, at random), kept to compare against.

The ``split`` setting is ``auto`` (choose as above) or forces one rule; the rule in use is
stored under :data:`USED_KEY` and reported with every score. Every assignment is a pure
function of the document, its segment positions, the seed and ``eval_share``.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sqlite3
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

SPLIT_RULES: tuple[str, ...] = ("auto", "documents", "blocks", "segments")
USED_KEY = "split_used"
MIN_DOCUMENTS = 10
LEGACY_RULE = "segments"  # projects created before the group split


@dataclass(frozen=True)
class SplitReport:
    """What :func:`apply_split` did: the rule, what it holds out, and how many segments moved."""

    rule: str
    documents: int
    eval_documents: int
    eval_segments: int
    segments: int
    moved: int
    moved_labelled: int

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1) from ``parts`` (sha256, not Python's hash)."""
    digest = hashlib.sha256(":".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def choose_rule(doc_sizes: list[int], eval_share: float) -> str:
    """``documents`` when there are enough, similar-enough documents, else ``blocks``."""
    total = sum(doc_sizes)
    if eval_share <= 0 or total == 0:
        return "documents"
    needed = max(MIN_DOCUMENTS, math.ceil(3 / eval_share))
    if len(doc_sizes) >= needed and max(doc_sizes) <= eval_share * total:
        return "documents"
    return "blocks"


def document_split(digest: str, n: int, eval_share: float, seed: int, rule: str) -> list[bool]:
    """Eval membership of the ``n`` segments (by position) of one document under ``rule``."""
    if rule == "documents":
        return [unit(seed, "doc", digest) < eval_share] * n
    if rule == "segments":  # exactly what import did before the group split
        rng = random.Random(f"{seed}:{digest}")
        return [rng.random() < eval_share for _ in range(n)]
    return _blocks(digest, n, eval_share, seed)


BLOCK_SEGMENTS = 50


def _blocks(digest: str, n: int, eval_share: float, seed: int) -> list[bool]:
    """Contiguous blocks of up to :data:`BLOCK_SEGMENTS`, every ``1/eval_share``-th block.

    Long blocks because names repeat within a stretch of text: on the first 300 CoNLL-2003
    train sentences (one document), 52 % of the entities of 45 held-out sentences in 5 blocks
    also occur in the training part, 42 % with 3 blocks, 30 % with one block, 12 % for the
    test set; a random sample of sentences: 62 %.
    """
    if eval_share <= 0 or n == 0:
        return [False] * n
    size = max(1, min(math.ceil(n * eval_share), BLOCK_SEGMENTS))
    offset = unit(seed, "blocks", digest) / eval_share
    out = []
    for pos in range(n):
        b = pos // size + offset
        out.append(math.floor((b + 1) * eval_share) > math.floor(b * eval_share))
    return out


def used_rule(conn: sqlite3.Connection) -> str:
    """The rule the stored split was made with (``segments`` for projects made before it)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (USED_KEY,)).fetchone()
    return str(json.loads(row[0])) if row else LEGACY_RULE


def _setting(conn: sqlite3.Connection, key: str, default: object) -> object:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return json.loads(row[0]) if row else default


def apply_split(
    conn: sqlite3.Connection, *, rule: str | None = None, keep_legacy: bool = False
) -> SplitReport:
    """(Re)assign every segment's split (caller holds the write transaction).

    ``rule`` defaults to the ``split`` setting. ``keep_legacy`` (an import into a project made
    before the group split) keeps the old per-segment rule until ``spantune resplit``.
    """
    setting = str(rule or _setting(conn, "split", "auto"))
    eval_share = float(_setting(conn, "eval_share", 0.15))  # type: ignore[arg-type]
    seed = int(_setting(conn, "seed", 0))  # type: ignore[call-overload]
    # Streamed, document by document: an import of a million segments must not hold them all.
    counts = [
        n
        for (n,) in conn.execute(
            "SELECT COUNT(*) FROM segments GROUP BY document_id ORDER BY document_id"
        )
    ]
    if keep_legacy and used_rule(conn) == LEGACY_RULE and not _has_marker(conn):
        chosen = LEGACY_RULE
    elif setting == "auto":
        chosen = choose_rule(counts, eval_share)
    else:
        chosen = setting
    updates: list[tuple[str, int]] = []
    moved_labelled = eval_segments = eval_docs = 0
    rows = conn.execute(
        "SELECT s.document_id, d.content_hash, s.id, s.split, s.status FROM segments s"
        " JOIN documents d ON d.id = s.document_id ORDER BY s.document_id, s.position, s.id"
    )
    for _, group in groupby(rows, key=itemgetter(0)):
        segs = list(group)
        member = document_split(segs[0][1], len(segs), eval_share, seed, chosen)
        eval_docs += any(member)
        for (_, _, seg_id, split, status), is_eval in zip(segs, member, strict=True):
            want = "eval" if is_eval else "train"
            eval_segments += is_eval
            if want != split:
                updates.append((want, seg_id))
                moved_labelled += status == "labelled"
    conn.executemany("UPDATE segments SET split = ? WHERE id = ?", updates)
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (USED_KEY, json.dumps(chosen))
    )
    return SplitReport(
        chosen, len(counts), eval_docs, eval_segments, sum(counts), len(updates), moved_labelled
    )


def _has_marker(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM settings WHERE key = ?", (USED_KEY,)).fetchone() is not None


def eval_groups(
    conn: sqlite3.Connection, segment_ids: list[int] | None = None
) -> dict[str, object]:
    """How held-out segments are grouped: ``split`` rule, ``documents``, ``groups`` (documents,
    or contiguous runs of positions under the block rules). Default: the labelled eval
    segments; ``segment_ids`` names them instead (a training snapshot's)."""
    rule = used_rule(conn)
    if segment_ids is None:
        rows = conn.execute(
            "SELECT document_id, position FROM segments WHERE status = 'labelled'"
            " AND split = 'eval' ORDER BY document_id, position"
        ).fetchall()
    else:
        rows = []
        for lo in range(0, len(segment_ids), 500):
            part = segment_ids[lo : lo + 500]
            rows += conn.execute(
                "SELECT document_id, position FROM segments WHERE id IN"
                f" ({','.join('?' * len(part))})",
                part,
            ).fetchall()
        rows.sort()
    groups = 0
    last: tuple[int, int] | None = None
    for doc_id, pos in rows:
        # a new group: another document, or (blocks/segments) a gap in the positions
        if last is None or doc_id != last[0] or (rule != "documents" and pos != last[1] + 1):
            groups += 1
        last = (doc_id, pos)
    return {"split": rule, "documents": len({d for d, _ in rows}), "groups": groups}


def sample_texts(conn: sqlite3.Connection, n: int, split: str | None = None) -> list[str]:
    """Up to ``n`` segment texts spread over the project (a fixed pseudo-random order by id),
    of one ``split`` or any: the int8 agreement sample of export."""
    where, args = ("WHERE split = ?", [split]) if split else ("", [])
    rows = conn.execute(
        f"SELECT text FROM segments {where} ORDER BY (id * 2654435761) % 4294967296, id LIMIT ?",
        [*args, n],
    ).fetchall()
    return [str(r[0]) for r in rows if str(r[0]).strip()]
