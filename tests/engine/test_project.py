"""Project settings: every value is checked before it is stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.api import Project


def test_settings_are_checked_on_create_and_set(tmp_path: Path) -> None:
    from engine.errors import ValidationError

    with pytest.raises(ValidationError, match="unknown strategy"):
        Project.create(tmp_path / "a", ["PER"], settings={"strategy": "nope"})
    assert not (tmp_path / "a.spantune").exists()
    with Project.create(tmp_path / "b", ["PER"], settings={"strategy": "margin"}) as project:
        assert project.setting("strategy") == "margin"
        with pytest.raises(ValidationError) as err:
            project.set_setting("eval_share", "lots")
        assert err.value.field == "eval_share"
        with pytest.raises(ValidationError, match="whole number"):
            project.set_setting("seed", True)
        project.set_setting("backup_interval_hours", 0)
        assert project.setting("eval_share") == 0.15 and project.setting("seed") == 0
