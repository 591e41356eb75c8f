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


def test_set_settings_is_all_or_nothing(tmp_path: Path) -> None:
    from engine.errors import ValidationError

    with Project.create(tmp_path / "s", ["PER"]) as project:
        with pytest.raises(ValidationError, match="seed"):
            project.set_settings({"strategy": "bald", "seed": -1})
        assert project.setting("strategy") == "mnlp"
        project.set_settings({"strategy": "bald", "seed": 7})
        assert (project.setting("strategy"), project.setting("seed")) == ("bald", 7)


def test_base_model_setting_names_a_model(tmp_path: Path) -> None:
    from engine.errors import ValidationError

    folder = tmp_path / "model"
    folder.mkdir()
    with Project.create(tmp_path / "b", ["PER"]) as project:
        for bad, words in ((tmp_path / "nowhere", "does not exist"), (folder, "no config.json")):
            with pytest.raises(ValidationError, match=words) as err:
                project.set_setting("base_model", str(bad))
            assert err.value.field == "base_model"
        (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
        with pytest.raises(ValidationError, match="safetensors"):  # refused now, not at train
            project.set_setting("base_model", str(folder))
        (folder / "model.safetensors").write_bytes(b"")
        (folder / "vocab.txt").write_text("[PAD]\n", encoding="utf-8")
        for good in (str(folder), "owner/some-model", "bundled"):
            project.set_setting("base_model", good)  # nothing is downloaded or loaded here
            assert project.setting("base_model") == good
