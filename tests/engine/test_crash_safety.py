"""Crash safety: SIGKILL real engine processes at random moments; nothing acknowledged is lost.

A few trials per scenario here; tests/benchmarks/bench_crash_safety.py runs 50+.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.engine import crash_harness as h


def test_span_edit_stream_survives_sigkill(tmp_path: Path) -> None:
    outcome = h.run_trials("spans", h.spans_trial, 4, tmp_path)
    assert outcome.failures == []


def test_import_is_all_or_nothing_under_sigkill(tmp_path: Path) -> None:
    big = h.write_big_file(tmp_path / "big.txt", 20_000)
    trial = functools.partial(h.import_trial, big_file=big, lines=20_000)
    outcome = h.run_trials("import", trial, 4, tmp_path, seed=1)
    assert outcome.failures == []


def test_migration_is_all_or_nothing_under_sigkill(tmp_path: Path) -> None:
    outcome = h.run_trials("migration", h.migration_trial, 4, tmp_path, seed=2)
    assert outcome.failures == []


@pytest.mark.slow
def test_training_never_leaves_half_written_versions(tmp_path: Path) -> None:
    from tests.engine.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "tiny", ["PER"])
    trial = functools.partial(h.training_trial, base_model=base)
    outcome = h.run_trials("training", trial, 2, tmp_path, seed=3)
    assert outcome.failures == []


@pytest.mark.slow
def test_export_never_leaves_a_half_written_folder(tmp_path: Path) -> None:
    from tests.engine.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "tiny", ["PER"])
    trained = h.trained_project(tmp_path, base)
    previous = h.prepared_export(trained, tmp_path / "previous-export")
    trial = functools.partial(h.export_trial, trained_project=trained, previous_export=previous)
    outcome = h.run_trials("export", trial, 3, tmp_path, seed=4)
    assert outcome.failures == []


def test_backup_is_whole_or_absent_under_sigkill(tmp_path: Path) -> None:
    outcome = h.run_trials("backup", h.backup_trial, 4, tmp_path, seed=5)
    assert outcome.failures == []


def test_restore_is_all_or_nothing_under_sigkill(tmp_path: Path) -> None:
    outcome = h.run_trials("restore", h.restore_trial, 4, tmp_path, seed=6)
    assert outcome.failures == []


@pytest.mark.slow
def test_rescore_staging_is_removed_at_the_next_open(tmp_path: Path) -> None:
    from tests.engine.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "tiny", ["PER"])
    trained = h.trained_project(tmp_path, base)
    trial = functools.partial(h.rescore_trial, trained_project=trained)
    outcome = h.run_trials("rescore", trial, 3, tmp_path, seed=7)
    assert outcome.failures == []
