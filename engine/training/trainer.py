"""Training jobs: :func:`train` for a project, :func:`train_examples` for in-memory data.

A project run reads its snapshot once (one short read transaction), trains in the calling
thread, writes the version into ``models/.tmp-vNNNN-xxxx``, renames it to ``models/vNNNN`` and
only then registers (and activates) it. Cancelling or failing leaves no folder and no version;
the run is recorded as cancelled or failed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.errors import Cancelled, EngineError, TrainingError, writing
from engine.inference.decode import DECODING_RULE
from engine.progress import CancelToken, EventCallback, check
from engine.store.versions import TEMP_PREFIX
from engine.training.config import TrainConfig, TrainResult
from engine.types import LabelledExample

log = logging.getLogger(__name__)


@dataclass
class TrainOutcome:
    """An in-memory training result: the model and everything written next to it."""

    model: Any
    tokenizer: Any
    tags: list[str]
    metrics: dict[str, Any]
    counts: dict[str, Any]
    log: list[str]
    seconds: float
    config: dict[str, Any]
    base_model: str


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Run torch with ``count`` intra-op threads, restoring the previous number afterwards."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def train_examples(
    train: Sequence[LabelledExample],
    eval: Sequence[LabelledExample],
    labels: Sequence[str],
    config: TrainConfig | None = None,
    out_dir: str | Path | None = None,
    *,
    init: str | Path | None = None,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
    eval_groups: dict[str, Any] | None = None,
    parallel: Any = None,
) -> TrainOutcome:
    """Fine-tune on in-memory examples (no project needed: simulations and benchmarks).

    ``init`` is the folder to start from (default: ``config.base_model`` or the bundled
    encoder); ``out_dir``, when given, receives the model folder. ``config.device`` picks the
    device (:func:`engine.training.device.resolve_device`); ``parallel`` (an
    :class:`engine.training.parallel.Parallel`) makes this one of several data-parallel
    workers. Reports TrainEvent (throttled, every step, eval F1 after each evaluation). Raises
    Cancelled, ModelLoadError, ValidationError (device not available), TrainingError (no data,
    bad labels, a failure inside the loop).
    """
    import torch

    from engine.training.device import device_label, enable_tf32, resolve_device

    config = config or TrainConfig()
    seed = config.seed if config.seed is not None else 0
    started = time.monotonic()
    _check_labels(train, eval, labels)
    device = parallel.device if parallel is not None else resolve_device(config.device)
    tf32 = enable_tf32(device)
    threads = config.thread_count()
    if parallel is not None and config.threads is None and device.type == "cpu":
        threads = max(1, threads // parallel.world)
    with torch_threads(threads):
        torch.manual_seed(seed)
        try:
            prepared = _prepare(train, eval, labels, config, init, cancel)
            prepared.model.to(device)
        except EngineError:
            raise
        except Exception as exc:  # tokenizer or model failures outside our checks
            raise TrainingError(f"could not prepare the training data: {exc}") from exc
        config = replace(config, max_length=prepared.max_length, stride=prepared.stride)
        if parallel is not None:
            torch.manual_seed(seed + parallel.rank)  # own dropout masks per worker
        state = _fit(prepared, config, seed, on_event, cancel, device, parallel)
    metrics = state.best_metrics or prepared.no_eval()
    if state.best_metrics and eval_groups:  # how the held-out segments are grouped
        metrics = {**metrics, **eval_groups}
    metrics = {
        **metrics,
        "training": {
            "steps": state.steps,
            "epochs": state.epochs,
            "loss": state.last_loss,
            "stopped": state.stopped,
            "seconds": round(time.monotonic() - started, 2),
        },
    }
    resolved = {
        **config.to_dict(),
        "seed": seed,
        "epochs": state.epochs,
        "threads": threads,
        "bf16": state.bf16,
        "device": str(device),
        "device_name": device_label(device),
        "precision": state.precision,
        "tf32": tf32,
        "processes": parallel.world if parallel is not None else 1,
    }
    prepared.log.insert(
        1,
        f"device: {device_label(device)}, {state.precision}"
        + (f", {parallel.world} data-parallel processes" if parallel is not None else ""),
    )
    outcome = TrainOutcome(
        prepared.model,
        prepared.tokenizer,
        prepared.tags,
        metrics,
        prepared.counts,
        prepared.log + state.log,
        time.monotonic() - started,
        resolved,
        prepared.base_name,
    )
    if out_dir is not None:
        with writing(Path(out_dir).parent, "the trained model into"):  # a full disk: one line
            save_model_folder(Path(out_dir), outcome)
    return outcome


def _check_labels(
    train: Sequence[LabelledExample], eval: Sequence[LabelledExample], labels: Sequence[str]
) -> None:
    if not train:
        raise TrainingError("there are no labelled training segments yet; label a few first")
    if len(set(labels)) != len(labels) or not labels:
        raise TrainingError(f"the label set {list(labels)} is empty or has duplicates")
    unknown = {s.label for ex in [*train, *eval] for s in ex.spans} - set(labels)
    if unknown:
        raise TrainingError(f"spans use labels outside the label set: {sorted(unknown)}")


@dataclass
class _Prepared:
    model: Any
    tokenizer: Any
    tags: list[str]
    rows: list[Any]
    eval_encoded: list[Any]
    special: Any
    counts: dict[str, Any]
    log: list[str]
    base_name: str
    max_length: int = 256
    stride: int = 32

    def no_eval(self) -> dict[str, Any]:
        from engine.training.evaluate import no_metrics

        return no_metrics("eval split")


def _prepare(
    train: Sequence[LabelledExample],
    eval: Sequence[LabelledExample],
    labels: Sequence[str],
    config: TrainConfig,
    init: str | Path | None,
    cancel: CancelToken | None,
) -> _Prepared:
    from engine.inference.windows import special_tokens
    from engine.models import fit_head, load_token_classifier, load_tokenizer
    from engine.models.base import resolve_base_model
    from engine.text.bio import tag_names
    from engine.training.examples import (
        AlignmentReport,
        encode_examples,
        window_rows,
    )
    from engine.training.loop import configure_model

    base = resolve_base_model(init if init is not None else config.base_model)
    check(cancel)
    tokenizer = load_tokenizer(base.folder)
    model = load_token_classifier(base.folder)
    tags = tag_names(labels)
    kept = fit_head(model, tags)
    configure_model(model, config)
    check(cancel)
    config = _clamped(config, model.config)
    tag_ids = {t: i for i, t in enumerate(tags)}
    train_report, eval_report = AlignmentReport(), AlignmentReport()
    encoded = encode_examples(
        train, tokenizer, tag_ids, config.max_length, config.stride, train_report, cancel
    )
    eval_encoded = (
        encode_examples(
            eval, tokenizer, tag_ids, config.max_length, config.stride, eval_report, cancel
        )
        if eval
        else []
    )
    for line in train_report.problems:
        log.warning("training data: %s", line)
    special = special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token)
    rows = window_rows(encoded, special)
    if not rows:
        raise TrainingError("no labelled word could be aligned to the model's sub-tokens")
    counts = {f"train_{k}": v for k, v in train_report.counts().items()}
    counts.update({f"eval_{k}": v for k, v in eval_report.counts().items()})
    lines = [
        f"base model: {base.name}" + (f" (kept head rows for {len(kept)} tags)" if kept else "")
    ]
    lines += train_report.log_lines("training") + (
        eval_report.log_lines("evaluation") if eval else []
    )
    return _Prepared(
        model,
        tokenizer,
        tags,
        rows,
        eval_encoded,
        special,
        counts,
        lines,
        base.name,
        config.max_length,
        config.stride,
    )


def _clamped(config: TrainConfig, model_config: Any) -> TrainConfig:
    """``config`` with its window cut to the model's position embeddings (logged)."""
    from engine.inference.windows import clamp_window

    limit = clamp_window(config.max_length, model_config)
    if limit == config.max_length:
        return config
    log.info(
        "window cut from %d to %d sub-tokens: the model has %s positions",
        config.max_length,
        limit,
        getattr(model_config, "max_position_embeddings", "?"),
    )
    return replace(config, max_length=limit, stride=min(config.stride, limit // 4))


def _fit(
    prepared: _Prepared,
    config: TrainConfig,
    seed: int,
    on_event: EventCallback | None,
    cancel: CancelToken | None,
    device: Any = None,
    parallel: Any = None,
) -> Any:
    from engine.training.evaluate import entity_metrics
    from engine.training.loop import FitLoop
    from engine.training.predict import predict_tags

    labels = [t[2:] for t in prepared.tags if t.startswith("B-")]

    def evaluate(model: Any) -> dict[str, Any]:
        pred = predict_tags(
            model,
            prepared.eval_encoded,
            prepared.special,
            prepared.tags,
            config.eval_batch_size,
            cancel,
        )
        return entity_metrics([ex.tags for ex in prepared.eval_encoded], pred, labels, "eval split")

    loop = FitLoop(
        prepared.model,
        prepared.rows,
        config,
        prepared.special.pad_id,
        evaluate=evaluate if prepared.eval_encoded else None,
        on_event=on_event,
        cancel=cancel,
        seed=seed,
        device=device,
        parallel=parallel,
    )
    try:
        return loop.run()
    except EngineError:
        raise
    except Exception as exc:
        raise TrainingError(f"training failed at step {loop.state.steps}: {exc}") from exc


def save_model_folder(folder: Path, outcome: TrainOutcome) -> None:
    """Write an HF ``save_pretrained`` folder plus ``spantune.json`` and ``metrics.json``."""
    from engine.models.base import quiet_transformers

    folder.mkdir(parents=True, exist_ok=True)
    model = outcome.model
    outcome.tokenizer.init_kwargs.pop("max_length", None)
    with quiet_transformers():
        model.save_pretrained(str(folder))
        outcome.tokenizer.save_pretrained(str(folder))
    labels = [t[2:] for t in outcome.tags if t.startswith("B-")]
    meta = {
        "labels": labels,
        "tags": outcome.tags,
        "max_length": outcome.config["max_length"],
        "stride": outcome.config["stride"],
        "base_model": outcome.base_model,
        "counts": outcome.counts,
        "metrics": outcome.metrics,
        "decoding": DECODING_RULE,
        "config": outcome.config,
        "device": outcome.config.get("device_name", outcome.config.get("device")),
    }
    (folder / "spantune.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps(outcome.metrics, indent=2), encoding="utf-8")


def train(
    project: Any,
    config: TrainConfig | None = None,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
) -> TrainResult:
    """Fine-tune on the project's labelled segments and register the result as a new version.

    Reads the snapshot of labelled segments once, so labelling can go on meanwhile (safe to
    call from a worker thread). Evaluates on the eval split only. Reports TrainEvent
    (throttled). Raises Cancelled (no version, run recorded as cancelled), ModelLoadError,
    TrainingError (no version, run recorded as failed).
    """
    config = _project_config(project, config or TrainConfig())
    snapshot = project.annotations.training_snapshot()
    groups = _eval_groups(project, snapshot.eval)
    init = config.base_model
    active = project.versions.active() if config.warm_start else None
    if active is not None:
        init = active.path
    elif config.warm_start:
        log.info("warm start asked but no version is active: starting from %s", init)
    run_id = project.versions.start_run(config.to_dict())
    project.models_dir.mkdir(parents=True, exist_ok=True)
    name = project.versions.next_name()
    tmp = project.models_dir / f"{TEMP_PREFIX}{name}-{uuid.uuid4().hex[:8]}"
    try:
        outcome = train_examples(
            snapshot.train,
            snapshot.eval,
            snapshot.labels,
            config,
            tmp,
            init=init,
            on_event=on_event,
            cancel=cancel,
            eval_groups=groups,
        )
        check(cancel)
        if active is not None:
            outcome.log.insert(0, f"warm start from {active.name}")
        name = _publish(project, tmp, name, outcome)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        status = "cancelled" if isinstance(exc, Cancelled | KeyboardInterrupt) else "failed"
        project.versions.finish_run(run_id, status, error=str(exc) or type(exc).__name__)
        raise
    project.versions.finish_run(run_id, "succeeded", version=name, log_text="\n".join(outcome.log))
    return TrainResult(
        name,
        str(project.models_dir / name),
        outcome.metrics,
        outcome.counts,
        round(outcome.seconds, 2),
        tuple(outcome.log),
        outcome.config,
    )


def _eval_groups(project: Any, eval: Sequence[LabelledExample]) -> dict[str, Any]:
    from engine.store.split import eval_groups

    with project.db.read() as conn:
        return eval_groups(conn, [ex.segment_id for ex in eval])


def _project_config(project: Any, config: TrainConfig) -> TrainConfig:
    seed = config.seed if config.seed is not None else int(project.setting("seed"))
    base = config.base_model or str(project.setting("base_model"))
    device = config.device or str(project.setting("device"))
    return replace(config, seed=seed, base_model=base, device=device)


def _publish(project: Any, tmp: Path, name: str, outcome: TrainOutcome) -> str:
    """Rename the finished folder into place (next free name), then register and activate it."""
    for _ in range(20):
        target = project.models_dir / name
        if not target.exists():
            with contextlib.suppress(OSError):  # another run took the name meanwhile
                os.replace(tmp, target)
                break
        name = project.versions.next_name()
    else:
        raise TrainingError(f"could not move the trained model into {project.models_dir}")
    try:
        project.versions.register(
            name,
            base_model=outcome.base_model,
            metrics=outcome.metrics,
            counts=outcome.counts,
            config=outcome.config,
            labelled_segments=outcome.counts.get("train_sentences", 0),
            activate=True,
        )
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return name
