"""Training bundles: train where the GPUs are, without the project.

A bundle is a folder that needs no SQLite and no project:

- ``bundle.json``: format and version, the label set, the resolved training config, where the
  base model is (``base-model/`` or a hub id) and the example counts;
- ``train.jsonl`` / ``eval.jsonl``: the labelled segments the trainer would read (the same
  snapshot, one ``{"id", "text", "spans": [{"start", "end", "label"}], "tokenized"}`` per
  line); the file an example is in is its split;
- ``base-model/``: the base encoder's files (config, tokenizer, safetensors; never pickles),
  copied from a local folder, the bundled encoder or the active version (warm start).

:func:`train_bundle` trains from it and writes an ordinary version folder, which
``spantune versions PROJECT import`` brings back (:mod:`engine.training.version_import`).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from engine.errors import FormatError, TrainingError, ValidationError
from engine.progress import CancelToken, EventCallback
from engine.training.config import TrainConfig
from engine.types import LabelledExample, SpanData

log = logging.getLogger(__name__)

FORMAT = "spantune-training-bundle"
VERSION = 1
MANIFEST = "bundle.json"
BASE_DIR = "base-model"
MODEL_SUFFIXES = (".json", ".safetensors", ".txt", ".model")


def _example_record(ex: LabelledExample) -> dict[str, Any]:
    return {
        "id": ex.segment_id,
        "text": ex.text,
        "tokenized": ex.tokenized,
        "spans": [{"start": s.start, "end": s.end, "label": s.label} for s in ex.spans],
    }


def _write_jsonl(path: Path, examples: Sequence[LabelledExample]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(json.dumps(_example_record(ex), ensure_ascii=False) + "\n")


def copy_model_files(source: Path, target: Path) -> list[str]:
    """Copy a model folder's safe top-level files (config, tokenizer, safetensors)."""
    target.mkdir(parents=True)
    copied = []
    for path in sorted(source.iterdir()):
        if path.is_file() and path.suffix in MODEL_SUFFIXES:
            shutil.copy2(path, target / path.name)
            copied.append(path.name)
    return copied


def write_bundle(project: Any, out: str | Path, config: TrainConfig | None = None) -> Path:
    """Write a training bundle of ``project`` to the new folder ``out``; return its path.

    The config is resolved as a project run would resolve it (seed, base model, device
    setting); with ``warm_start`` the active version becomes the base model. Written to a
    temp folder and renamed into place. Raises ValidationError (``out`` exists and is not
    empty), TrainingError (no labelled segments), ModelLoadError (base model unusable).
    """
    from engine.models.base import BUNDLED, resolve_base_model
    from engine.training.trainer import _project_config

    target = Path(out)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValidationError(f"{target} exists and is not empty; choose a new folder", field="out")
    config = _project_config(project, config or TrainConfig())
    snapshot = project.annotations.training_snapshot()
    if not snapshot.train:
        raise TrainingError("there are no labelled training segments yet; label a few first")
    active = project.versions.active() if config.warm_start else None
    base_name = active.path if active is not None else (config.base_model or BUNDLED)
    is_hub = not Path(base_name).expanduser().exists() and base_name != BUNDLED
    base = None if is_hub else resolve_base_model(base_name)  # a hub id is fetched remotely
    return bundle_from_examples(
        target,
        snapshot.labels,
        snapshot.train,
        snapshot.eval,
        config,
        name=active.name if active is not None else base_name,
        base_folder=None if base is None else base.folder,
        hub_id=base_name if is_hub else None,
        project=project.path.name,
    )


def bundle_from_examples(
    target: Path,
    labels: Sequence[str],
    train: Sequence[LabelledExample],
    evaluation: Sequence[LabelledExample],
    config: TrainConfig,
    *,
    name: str,
    base_folder: Path | None,
    hub_id: str | None = None,
    project: str | None = None,
) -> Path:
    """Write a bundle folder from in-memory examples (temp folder, then renamed)."""
    from engine.store.util import now

    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    tmp.mkdir(parents=True)
    try:
        _write_jsonl(tmp / "train.jsonl", train)
        _write_jsonl(tmp / "eval.jsonl", evaluation)
        files = [] if base_folder is None else copy_model_files(base_folder, tmp / BASE_DIR)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": now(),
            "project": project,
            "labels": list(labels),
            "config": {**config.to_dict(), "warm_start": False},
            "base_model": {
                "name": name,
                "hub_id": hub_id,
                "folder": None if base_folder is None else BASE_DIR,
                "files": files,
            },
            "counts": {"train": len(train), "eval": len(evaluation)},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _read_examples(path: Path, labels: set[str]) -> list[LabelledExample]:
    if not path.is_file():
        raise FormatError("missing (a bundle needs train.jsonl and eval.jsonl)", path=path)
    out = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                spans = tuple(
                    SpanData(int(s["start"]), int(s["end"]), str(s["label"])) for s in rec["spans"]
                )
                ex = LabelledExample(
                    int(rec["id"]), str(rec["text"]), spans, bool(rec.get("tokenized", False))
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise FormatError(f"not a bundle example ({exc})", path=path, line=lineno) from exc
            for s in ex.spans:
                if s.label not in labels:
                    raise FormatError(
                        f"label {s.label!r} is not in the bundle's label set",
                        path=path,
                        line=lineno,
                    )
                if not 0 <= s.start < s.end <= len(ex.text):
                    raise FormatError(
                        f"span {s.start}-{s.end} is outside the text", path=path, line=lineno
                    )
            out.append(ex)
    return out


def read_bundle(
    folder: str | Path,
) -> tuple[dict[str, Any], list[LabelledExample], list[LabelledExample]]:
    """``(manifest, train, eval)`` of a bundle; FormatError names the file and line."""
    root = Path(folder)
    path = root / MANIFEST
    if not path.is_file():
        raise FormatError("not a training bundle (no bundle.json)", path=root)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"cannot be read ({exc})", path=path) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise FormatError(f"format is not {FORMAT!r}", path=path)
    if int(manifest.get("version", 0)) > VERSION:
        raise FormatError(
            f"bundle version {manifest['version']} is newer than this Spantune "
            f"reads ({VERSION}); update Spantune",
            path=path,
        )
    labels = manifest.get("labels")
    if not isinstance(labels, list) or not labels:
        raise FormatError("field 'labels' must be a non-empty list", path=path)
    wanted = set(map(str, labels))
    return (
        manifest,
        _read_examples(root / "train.jsonl", wanted),
        _read_examples(root / "eval.jsonl", wanted),
    )


def bundle_base(root: Path, manifest: dict[str, Any]) -> str:
    """The base model a bundle names: its copied folder, or a hub id."""
    base = manifest.get("base_model") or {}
    if base.get("folder"):
        folder = root / str(base["folder"])
        if not folder.is_dir():
            raise FormatError(
                f"the bundle's base model folder {folder} is missing", path=root / MANIFEST
            )
        return str(folder)
    if base.get("hub_id"):
        return str(base["hub_id"])
    raise FormatError(
        "field 'base_model' names neither a folder nor a hub id", path=root / MANIFEST
    )


def train_bundle(
    bundle: str | Path,
    out_dir: str | Path,
    *,
    device: str | None = None,
    seed: int | None = None,
    parallel: Any = None,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Any]:
    """Train from a bundle and write an ordinary version folder to ``out_dir`` (new or empty).

    ``device`` and ``seed`` override the bundle's config. With ``parallel`` every worker
    trains and rank 0 alone writes. Returns the version's metadata (``spantune.json``).
    Raises FormatError (bad bundle), ValidationError (``out_dir`` not empty, device missing),
    TrainingError, ModelLoadError, Cancelled.
    """
    from engine.training.trainer import save_model_folder, train_examples

    root, target = Path(bundle), Path(out_dir)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ValidationError(
            f"{target} exists and is not empty; choose a new folder", field="out_dir"
        )
    manifest, train, evaluation = read_bundle(root)
    config = TrainConfig.from_dict(manifest.get("config") or {})
    config = replace(
        config,
        base_model=bundle_base(root, manifest),
        warm_start=False,
        device=device or config.device or "auto",
        seed=seed if seed is not None else config.seed,
    )
    outcome = train_examples(
        train,
        evaluation,
        manifest["labels"],
        config,
        None,
        on_event=on_event,
        cancel=cancel,
        parallel=parallel,
    )
    base_name = str((manifest.get("base_model") or {}).get("name") or outcome.base_model)
    outcome.base_model = base_name
    outcome.config = {
        **outcome.config,
        "base_model": base_name,
        "bundle": str(root.resolve()),
        "bundle_project": manifest.get("project"),
    }
    if parallel is not None and not parallel.main:
        parallel.barrier()
        return {"metrics": outcome.metrics, "config": outcome.config}
    tmp = target.with_name(f".{target.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        save_model_folder(tmp, outcome)
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        if parallel is not None:
            parallel.barrier()
    meta: dict[str, Any] = json.loads((target / "spantune.json").read_text(encoding="utf-8"))
    meta["seconds"] = round(outcome.seconds, 2)
    return meta
