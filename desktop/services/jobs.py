"""The default job registry: the engine's long operations, imported only when they run.

Every entry has the shape ``fn(project, *, on_event, cancel, **kwargs) -> result`` and runs in
the job thread. Heavy modules (torch, onnxruntime) are imported inside, so opening the app stays
fast and a missing part of the engine fails the job, not the app. Tests hand the session their
own registry (a fake ``train`` that emits events and honours cancel, a failing one…).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api import detect_format, read_file, train_config
from engine.errors import FormatError
from engine.progress import CancelToken, EventCallback, ProgressEvent, check, emit
from engine.types import ImportReport

JobFn = Callable[..., Any]


@dataclass(frozen=True)
class ImportOutcome:
    """Per-file import: files that failed imported nothing, the others were stored."""

    reports: tuple[tuple[str, ImportReport], ...] = ()
    errors: tuple[FormatError, ...] = ()
    segments: int = field(default=0)


def train(project: Any, *, config: Any = None, on_event: EventCallback, cancel: CancelToken) -> Any:
    """``Project.train``; ``config`` is a TrainConfig, a dict of its fields, or None."""
    if isinstance(config, Mapping):
        config = train_config(config)
    return project.train(config, on_event=on_event, cancel=cancel)


def rescore(
    project: Any, *, version: str | None = None, on_event: EventCallback, cancel: CancelToken
) -> Any:
    """``Project.rescore``: new suggestions and queue order (the cold-start order without a
    model)."""
    return project.rescore(version, on_event=on_event, cancel=cancel)


def export_model(
    project: Any,
    *,
    version: str,
    out_dir: str | Path,
    quantize: bool = True,
    overwrite: bool = False,
    on_event: EventCallback,
    cancel: CancelToken,
) -> Any:
    return project.export_model(
        Path(out_dir),
        version=version,
        quantize=quantize,
        overwrite=overwrite,
        on_event=on_event,
        cancel=cancel,
    )


def import_files(
    project: Any,
    *,
    paths: Sequence[str | Path],
    fmt: str | None = None,
    segment: str = "sentences",
    as_suggestions: bool = False,
    on_event: EventCallback,
    cancel: CancelToken,
) -> ImportOutcome:
    """Import each file on its own: a file with an error imports nothing, the others do."""
    reports: list[tuple[str, ImportReport]] = []
    errors: list[FormatError] = []
    for i, path in enumerate(paths):
        check(cancel)
        emit(on_event, ProgressEvent("import", i, len(paths), f"importing {Path(path).name}"))
        try:
            report = project.import_files(
                [path], fmt, segment=segment, as_suggestions=as_suggestions, cancel=cancel
            )
        except FormatError as exc:
            errors.append(exc)
            continue
        reports.append((str(path), report))
    emit(on_event, ProgressEvent("import", len(paths), len(paths), "done"))
    return ImportOutcome(tuple(reports), tuple(errors), sum(r.segments for _, r in reports))


def export_data(
    project: Any,
    *,
    out: str | Path,
    fmt: str,
    only_labelled: bool = False,
    on_event: EventCallback,
    cancel: CancelToken,
) -> int:
    check(cancel)
    return int(project.export(out, fmt, only_labelled=only_labelled))


def review(project: Any, *, folds: int = 5, on_event: EventCallback, cancel: CancelToken) -> Any:
    """``Project.review``: K fold models rank the labelled segments by likely mistakes."""
    return project.review(folds, on_event=on_event, cancel=cancel)


def import_version(
    project: Any, *, folder: str | Path, on_event: EventCallback, cancel: CancelToken
) -> Any:
    """``Project.import_version``: check a version trained elsewhere, register and activate it."""
    check(cancel)
    emit(on_event, ProgressEvent("import_version", 0, 1, f"checking {Path(folder).name}"))
    return project.import_version(folder)


DEFAULT_JOBS: dict[str, JobFn] = {
    "review": review,
    "train": train,
    "rescore": rescore,
    "cold_start": rescore,
    "export_model": export_model,
    "import": import_files,
    "export_data": export_data,
    "import_version": import_version,
}


@dataclass(frozen=True)
class FilePreview:
    path: str
    fmt: str
    documents: int
    items: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # text, ((label, span text), …)


def preview_file(
    *,
    path: str | Path,
    fmt: str | None = None,
    limit: int = 20,
    max_bytes: int | None = 512 * 1024 * 1024,
    on_event: EventCallback,
    cancel: CancelToken,
) -> FilePreview:
    """Read ``path`` (format detected when ``fmt`` is None) and keep its first ``limit`` items.

    Not bound to a project: the import dialog runs it on its own worker. Raises FormatError.
    """
    path = Path(path)
    name = fmt or detect_format(path)
    check(cancel)
    docs = read_file(path, name, max_bytes=max_bytes)
    check(cancel)
    items = tuple(
        (d.text, tuple((s.label, d.text[s.start : s.end]) for s in d.spans)) for d in docs[:limit]
    )
    return FilePreview(str(path), name, len(docs), items)
