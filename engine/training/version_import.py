"""Bring a version trained elsewhere (``spantune train-bundle``) into a project.

The folder gets the checks of a base model (config with a known architecture, a fast
tokenizer, safetensors weights, no custom code) and more: no pickled file anywhere in it, a
BIO label map whose entity types equal the project's label set, and weights that load. Only
the model's own files are copied (into ``models/.tmp-…``, renamed to ``models/vNNNN``), then
the version is registered, with the metrics and counts its ``spantune.json`` reports, and
activated.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError, ValidationError
from engine.store.versions import TEMP_PREFIX
from engine.types import ModelVersion

log = logging.getLogger(__name__)


def _read_meta(folder: Path) -> dict[str, Any]:
    path = folder / "spantune.json"
    if not path.is_file():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(meta, dict):
        raise ModelLoadError(f"{path} is not a JSON object")
    return meta


def check_version_folder(folder: Path, labels: list[str]) -> list[str]:
    """Refuse a folder that is not a safe, complete version for ``labels``; return its tags."""
    from engine.inference.predictor import read_tags
    from engine.models.base import PICKLE_SUFFIXES, check_model_folder, read_config
    from engine.text.bio import check_bio_tags

    if not folder.is_dir():
        raise ModelLoadError(f"{folder} is not a folder")
    pickles = sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.suffix.lower() in PICKLE_SUFFIXES
    )
    if pickles:
        raise ModelLoadError(
            f"{folder} holds pickled files ({', '.join(pickles[:3])}): only "
            "safetensors weights are imported, since pickles can run code"
        )
    check_model_folder(folder)
    tags = read_tags(read_config(folder), str(folder / "config.json"))
    found = check_bio_tags(tags)
    missing, extra = sorted(set(labels) - set(found)), sorted(set(found) - set(labels))
    if missing or extra:
        detail = "; ".join(
            part
            for part in (
                f"the project's {', '.join(missing)} missing" if missing else "",
                f"{', '.join(extra)} not in the project" if extra else "",
            )
            if part
        )
        raise ValidationError(
            f"the label set of {folder} does not match the project ({detail})", field="labels"
        )
    return tags


def import_version(project: Any, folder: str | Path, *, activate: bool = True) -> ModelVersion:
    """Validate ``folder`` and register a copy of it as the project's next version.

    Raises ModelLoadError (unsafe or incomplete folder, weights that do not load),
    ValidationError (label set differs from the project's); nothing is registered then.
    """
    from engine.models.base import load_token_classifier
    from engine.training.bundle import copy_model_files

    source = Path(folder)
    labels = [lab.name for lab in project.labels.get_all()]
    check_version_folder(source, labels)
    meta = _read_meta(source)
    name = project.versions.next_name()
    project.models_dir.mkdir(parents=True, exist_ok=True)
    tmp = project.models_dir / f"{TEMP_PREFIX}{name}-{uuid.uuid4().hex[:8]}"
    try:
        copy_model_files(source, tmp)
        load_token_classifier(tmp)  # truncated or mismatched weights fail here
        target = project.models_dir / name
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    config = {**(meta.get("config") or {}), "imported_from": str(source.resolve())}
    counts = meta.get("counts") or {}
    try:
        version: ModelVersion = project.versions.register(
            name,
            base_model=str(meta.get("base_model") or config.get("base_model") or "?"),
            metrics=meta.get("metrics") or _metrics_file(source),
            counts=counts,
            config=config,
            labelled_segments=int(counts.get("train_sentences", 0) or 0),
            activate=activate,
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return version


def _metrics_file(folder: Path) -> dict[str, Any]:
    path = folder / "metrics.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError):
        log.warning("ignoring unreadable %s", path)
        return {}
    return data if isinstance(data, dict) else {}
