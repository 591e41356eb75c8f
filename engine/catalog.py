"""What the desktop picks from besides a project: file formats, strategies, the demo resources.

Re-exported by :mod:`engine.api`, the desktop's one door into the engine. Each function imports
its module when called, so importing the facade stays fast (and ``engine.demo``, which imports
the facade itself, is not imported at module level).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.api import Project
    from engine.formats.registry import Reader, Writer
    from engine.training import TrainConfig
    from engine.types import DocumentData


def readers() -> list[Reader]:
    """The import formats, in registration order."""
    from engine.formats import READERS

    return list(READERS.values())


def writers() -> list[Writer]:
    """The export formats, in registration order."""
    from engine.formats import WRITERS

    return list(WRITERS.values())


def detect_format(path: str | Path) -> str:
    """The reader name for ``path`` (see :func:`engine.formats.detect_format`)."""
    from engine.formats import detect_format as detect

    return detect(Path(path))


def read_file(
    path: str | Path, fmt: str | None = None, *, max_bytes: int | None = None
) -> list[DocumentData]:
    """Every document of ``path``, checked (raises FormatError naming file and line)."""
    from engine.formats import read_file as read

    return read(Path(path), fmt, max_bytes=max_bytes)


def strategy_names() -> list[str]:
    """The registered active-learning strategies."""
    from engine.active_learning.strategies import strategy_names as names

    return names()


def split_rules() -> tuple[str, ...]:
    """The values of the ``split`` setting (what the evaluation split holds out)."""
    from engine.store.split import SPLIT_RULES

    return tuple(SPLIT_RULES)


def device_choices() -> tuple[str, ...]:
    """The values the ``device`` setting offers in a list (``cuda:N`` is also accepted)."""
    from engine.training.device import DEVICE_CHOICES

    return tuple(DEVICE_CHOICES)


def train_config(values: Mapping[str, Any]) -> TrainConfig:
    """A training configuration from a mapping of its fields (ValidationError if bad)."""
    from engine.training.config import TrainConfig

    return TrainConfig.from_dict(dict(values))


def resource_path(name: str) -> Path:
    """A file bundled with the application (icon, demo data)."""
    from engine.demo import resource_path as path

    return path(name)


def demo_labels() -> list[dict[str, str]]:
    """The bundled demo project's labels (name, colour, hotkey)."""
    from engine.demo import default_labels

    return default_labels()


def open_demo_project(folder: str | Path | None = None) -> Project:
    """The bundled demo project (created on first use)."""
    from engine.demo import open_demo_project as open_demo

    return open_demo(folder)
