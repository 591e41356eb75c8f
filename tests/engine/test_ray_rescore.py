"""Rescoring on Ray (local instance, 2 actors) gives the local job's queue and suggestions."""

from __future__ import annotations

import builtins
import importlib
import tempfile
from pathlib import Path

import pytest

from engine.active_learning import rescore
from engine.api import Project
from engine.errors import ValidationError
from engine.progress import Cancelled, CancelToken
from tests.engine.test_active_learning_rescore import scored_project, tiny_export  # noqa: F401


def stored_queue(project: Project) -> tuple[list, list]:
    conn = project.db.connection()
    scores = conn.execute(
        "SELECT segment_id, model_version, strategy, score FROM al_scores"
        " ORDER BY score, segment_id"
    ).fetchall()
    suggestions = conn.execute(
        'SELECT segment_id, start, "end", label, round(score, 5)'
        " FROM suggestions ORDER BY segment_id, start"
    ).fetchall()
    return scores, suggestions


def actor_folders() -> set[Path]:
    """The model folders Ray actors write (local instance: this machine's temp folder)."""
    return set(Path(tempfile.gettempdir()).glob("spantune-ray-*"))


@pytest.mark.slow
@pytest.mark.parametrize(("strategy", "page"), [("mnlp", None), ("bald", None), ("mnlp", 5)])
def test_ray_queue_equals_local_queue(
    scored_project: Project,  # noqa: F811
    strategy: str,
    page: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("ray")
    if page is not None:  # many pages: 2 actors with pages in flight, back in order
        module = importlib.import_module("engine.active_learning.rescore")  # not the function
        monkeypatch.setattr(module, "CHUNK", page)
    from engine.active_learning.ray_rescore import ray_rescore

    local = rescore(scored_project, strategy=strategy)
    expected = stored_queue(scored_project)
    with scored_project.db.write() as conn:
        conn.execute("DELETE FROM al_scores")
        conn.execute("DELETE FROM suggestions")
    before = actor_folders()
    remote = ray_rescore(scored_project, "local", strategy=strategy, workers=2)
    assert actor_folders() == before  # the actors removed their copies of the model
    assert stored_queue(scored_project) == expected
    assert (remote.scored, remote.suggestions, remote.mean_score) == (
        local.scored,
        local.suggestions,
        local.mean_score,
    )


@pytest.mark.slow
def test_cancel_on_ray_stores_nothing_and_leaves_no_files(
    scored_project: Project,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("ray")
    monkeypatch.setattr(importlib.import_module("engine.active_learning.rescore"), "CHUNK", 5)
    from engine.active_learning.ray_rescore import ray_rescore

    cancel, events = CancelToken(), []

    def on_event(event: object) -> None:
        events.append(event)
        if len(events) == 2:  # pages are in flight on both actors by now
            cancel.cancel()

    before = actor_folders()
    with pytest.raises(Cancelled):
        ray_rescore(scored_project, "local", workers=2, on_event=on_event, cancel=cancel)
    assert actor_folders() == before
    assert stored_queue(scored_project) == ([], [])


def test_without_ray_the_flag_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
    scored_project: Project,  # noqa: F811
    tmp_path: Path,
) -> None:
    from engine.active_learning import ray_rescore as module

    real = builtins.__import__

    def no_ray(name: str, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    with pytest.raises(ValidationError, match=r"pip install 'spantune\[cluster\]'"):
        module.ray_rescore(scored_project, "local")


@pytest.mark.slow
def test_ray_rescore_runs_on_a_worker_thread(scored_project: Project) -> None:  # noqa: F811
    """The desktop runs jobs on a QThread: starting and stopping Ray there must work."""
    pytest.importorskip("ray")
    import threading

    from engine.active_learning.ray_rescore import ray_rescore

    local = rescore(scored_project)
    expected = stored_queue(scored_project)
    outcome: list[object] = []

    def job() -> None:
        try:
            outcome.append(ray_rescore(scored_project, "local", workers=2))
        except BaseException as exc:  # reported to the test below
            outcome.append(exc)

    thread = threading.Thread(target=job)
    thread.start()
    thread.join(timeout=300)
    assert len(outcome) == 1 and not isinstance(outcome[0], BaseException), outcome
    assert stored_queue(scored_project) == expected and local.scored > 0


def test_the_ray_setting_is_checked() -> None:
    from engine.api import check_setting

    assert check_setting("ray", "off") == "off" and check_setting("ray", " local ") == "local"
    assert check_setting("ray", "ray://head:10001") == "ray://head:10001"
    with pytest.raises(ValidationError, match="off, local, auto or a Ray address"):
        check_setting("ray", "cluster")
    for bad in ("", 3):
        with pytest.raises(ValidationError, match="must be a non-empty text"):
            check_setting("ray", bad)


def test_rescore_follows_the_ray_setting_once_a_model_exists(
    monkeypatch: pytest.MonkeyPatch,
    scored_project: Project,  # noqa: F811
) -> None:
    from engine.active_learning import ray_rescore as module

    calls: list[str] = []
    monkeypatch.setattr(
        module, "ray_rescore", lambda project, address, *a, **k: calls.append(address)
    )
    scored_project.set_setting("ray", "local")
    scored_project.rescore()
    assert calls == ["local"]
    scored_project.rescore(ray="off")  # scored here, as the default setting does
    scored_project.set_setting("ray", "off")
    scored_project.rescore()
    assert calls == ["local"] and stored_queue(scored_project)[0]
