"""The labelling queue: eval mixing, stable order, paging, cold start (fake embedder, no model)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np
import pytest

from engine.active_learning import COLD_START, cold_start, next_segments, queue_page
from engine.active_learning.queue import mix_eval, order_rng, queue_key, store_order
from engine.api import Project
from engine.errors import Cancelled, ValidationError
from engine.progress import CancelToken
from engine.store.corpus import insert_documents
from engine.types import DocumentData

TOPICS = {
    "sport": "goal match striker league cup referee penalty coach season team",
    "money": "bank shares market profit stock dollar investor bond price trade",
    "weather": "rain storm snow wind cloud sunny forecast cold heat flood",
    "music": "song album band guitar concert singer tour record drums chart",
    "food": "bread cheese soup salad pasta rice sauce dinner cook recipe",
    "space": "rocket orbit planet moon star launch satellite astronaut mars comet",
}
SIZES = {"sport": 120, "money": 60, "weather": 30, "music": 15, "food": 8, "space": 4}


def fake_embedder(texts: Sequence[str]) -> np.ndarray:
    """Hashed bag of words (64 dims): sentences of one topic land close together."""
    out = np.zeros((len(texts), 64), dtype=np.float32)
    for i, text in enumerate(texts):
        for word in text.split():
            out[i, zlib.crc32(word.encode()) % 64] += 1.0
    return out


def topic_corpus(project: Project, eval_every: int = 0) -> dict[int, str]:
    """One document per sentence; returns ``{segment_id: topic}``. Every ``eval_every``-th
    segment is put in the eval split."""
    rng = np.random.default_rng(0)
    docs = []
    for topic, n in SIZES.items():
        words = TOPICS[topic].split()
        for i in range(n):
            picked = rng.choice(words, size=6)
            docs.append(DocumentData(text=" ".join(picked) + f" n{i}{topic}", labelled=False))
    with project.db.write() as conn:
        insert_documents(
            conn, docs, source="t", mode="document", as_suggestions=False, eval_share=0.0
        )
        rows = conn.execute(
            "SELECT s.id, d.text FROM segments s JOIN documents d"
            " ON d.id = s.document_id ORDER BY s.id"
        ).fetchall()
        if eval_every:
            conn.execute("UPDATE segments SET split = 'eval' WHERE id % ? = 0", (eval_every,))
    return {seg_id: text.rsplit(" ", 1)[1].lstrip("n0123456789") for seg_id, text in rows}


def test_mix_eval_exact_rate_random_positions() -> None:
    train = list(range(900))
    evals = list(range(1000, 1100))
    out = mix_eval(train, evals, 0.1, np.random.default_rng(0))
    assert sorted(out) == sorted(train + evals)
    assert [i for i in out if i < 1000] == train  # strategy order kept
    flags = np.array([i >= 1000 for i in out])
    for block in range(10):
        assert flags[block * 100 : (block + 1) * 100].sum() in (9, 10, 11)
    positions = np.flatnonzero(flags)
    assert len(set(positions % 10)) > 5  # not a fixed stride
    again = mix_eval(train, evals, 0.1, np.random.default_rng(0))
    assert again == out


def test_mix_eval_edge_cases() -> None:
    rng = np.random.default_rng(1)
    assert mix_eval([1, 2], [], 0.2, rng) == [1, 2]
    assert sorted(mix_eval([], [5, 6], 0.2, rng)) == [5, 6]
    assert mix_eval([1, 2], [9], 0.0, rng) == [1, 2, 9]


def test_queue_page_follows_stored_order_and_filters(project: Project) -> None:
    topics = topic_corpus(project, eval_every=5)
    ids = sorted(topics)
    order = list(reversed(ids))
    with project.db.write() as conn:
        store_order(conn, COLD_START, COLD_START, order)
    page = queue_page(project, 0, 10)
    assert [it.segment_id for it in page] == order[:10]
    assert all(it.score is None for it in page if it.is_eval)
    scores = [it.score for it in page if not it.is_eval]
    assert scores == sorted(scores, reverse=True)
    assert [it.segment_id for it in queue_page(project, 10, 5)] == order[10:15]
    project.annotations.set_status(order[0], "labelled")
    assert queue_page(project, 0, 1, status="todo")[0].segment_id == order[1]
    assert queue_page(project, 0, 1, status="labelled")[0].segment_id == order[0]
    hits = queue_page(project, 0, 500, search="ROCKET")
    assert hits and all("rocket" in it.text for it in hits)
    assert [it.segment_id for it in hits] == [
        i for i in order if i in {it.segment_id for it in hits}
    ]
    with pytest.raises(ValidationError):
        queue_page(project, 0, 5, status="done")


def test_unscored_segments_follow_in_import_order(project: Project) -> None:
    topics = topic_corpus(project)
    ids = sorted(topics)
    with project.db.write() as conn:
        store_order(conn, COLD_START, COLD_START, ids[10:20])
    got = [it.segment_id for it in queue_page(project, 0, 15)]
    assert got == ids[10:20] + ids[:5]
    assert queue_page(project, 10, 1)[0].score is None


def test_cursor_paging_matches_offset_paging(project: Project) -> None:
    topics = topic_corpus(project, eval_every=4)
    ids = sorted(topics)
    with project.db.write() as conn:
        store_order(conn, COLD_START, COLD_START, ids[::-1][:200])
    project.annotations.set_status(ids[-3], "labelled")
    by_offset = [it.segment_id for it in queue_page(project, 0, 1000, status="todo")]
    walked: list[int] = []
    last = None
    while True:
        page = queue_page(
            project, len(walked) if last is None and walked else 0, 7, status="todo", after=last
        )
        if not page:
            break
        walked += [it.segment_id for it in page]
        last = page[-1].priority
    assert walked == by_offset and len(walked) == len(ids) - 1


def test_cold_start_first_segments_cover_every_topic(project: Project) -> None:
    topics = topic_corpus(project)
    result = cold_start(project, embedder=fake_embedder, size=len(TOPICS))
    assert result.version == COLD_START and not result.sampled
    first = next_segments(project, len(TOPICS))
    assert {topics[it.segment_id] for it in first} == set(TOPICS)
    assert topics[first[0].segment_id] == "sport"  # biggest cluster first
    assert queue_key(project) == (COLD_START, COLD_START)


def test_cold_start_samples_big_pools_and_says_so(project: Project) -> None:
    topic_corpus(project)
    result = cold_start(project, embedder=fake_embedder, size=5, sample_limit=100)
    assert result.sampled and result.scored == 100 and "sample" in result.message
    assert len(queue_page(project, 0, 1000)) == sum(SIZES.values())


def test_cold_start_cancel_stores_nothing(project: Project) -> None:
    topic_corpus(project)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        cold_start(project, embedder=fake_embedder, cancel=token)
    assert queue_key(project) is None


def test_eval_segments_mixed_at_rate_never_by_strategy(project: Project) -> None:
    topics = topic_corpus(project, eval_every=5)
    project.set_setting("eval_share", 0.2)
    cold_start(project, embedder=fake_embedder, size=6)
    items = next_segments(project, 100)
    evals = [it for it in items if it.is_eval]
    assert 15 <= len(evals) <= 25
    # the representatives (strategy picks) are train segments only
    assert not any(it.is_eval for it in items[:1])
    conn = project.db.connection()
    eval_ids = {r[0] for r in conn.execute("SELECT id FROM segments WHERE split = 'eval'")}
    assert {it.segment_id for it in evals} <= eval_ids
    assert {it.segment_id for it in items if not it.is_eval}.isdisjoint(eval_ids)
    assert len(topics) == len(queue_page(project, 0, 10_000))


def test_next_segments_is_stable_while_labelling(project: Project) -> None:
    topic_corpus(project, eval_every=7)
    first = [it.segment_id for it in next_segments(project, 20, embedder=fake_embedder)]
    assert len(set(first)) == 20
    again = [it.segment_id for it in next_segments(project, 20, embedder=fake_embedder)]
    assert again == first
    cold_start(project, embedder=fake_embedder)  # recomputing on the same pool: same order
    assert [it.segment_id for it in next_segments(project, 20)] == first
    project.annotations.set_status(first[0], "labelled")
    project.annotations.set_status(first[3], "skipped")
    later = [it.segment_id for it in next_segments(project, 20)]
    assert later[:18] == first[1:3] + first[4:]
    assert first[0] not in later and first[3] not in later


def test_read_only_project_gets_the_cold_start_order_without_storing(project: Project) -> None:
    topic_corpus(project, eval_every=5)
    ro = Project.open(project.path, read_only=True)
    try:
        shown = next_segments(ro, 8, embedder=fake_embedder)
        assert queue_key(ro) is None  # nothing was written
    finally:
        ro.close()
    stored = next_segments(project, 8, embedder=fake_embedder)
    assert [(it.segment_id, it.score, it.is_eval) for it in shown] == [
        (it.segment_id, it.score, it.is_eval) for it in stored
    ]


def test_order_rng_is_stable() -> None:
    a = order_rng(0, "v0001/mnlp").random(3)
    b = order_rng(0, "v0001/mnlp").random(3)
    c = order_rng(1, "v0001/mnlp").random(3)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.slow
def test_cold_start_with_the_bundled_encoder(project: Project) -> None:
    topics = topic_corpus(project)
    result = cold_start(project, size=len(TOPICS))
    assert result.scored == len(topics)
    cached = list((project.path / "cache").glob("encoder-*/encoder.onnx"))
    assert len(cached) == 1
    first = next_segments(project, len(TOPICS))
    assert len({topics[it.segment_id] for it in first}) >= 4  # real sentences, real encoder


def test_project_cold_start_and_strategy_names(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    cold = sys.modules["engine.active_learning.cold_start"]  # the package re-exports the function
    topics = topic_corpus(project)
    monkeypatch.setattr(cold, "project_encoder", lambda path, base: fake_embedder)
    result = project.cold_start()
    first = project.next_segments(50)  # the default cold-start sample is 50 segments
    assert result.version == COLD_START and len(first) == 50
    assert {topics[it.segment_id] for it in first} == set(TOPICS)
    assert {"mnlp", "random", "bald"} <= set(Project.strategy_names())
