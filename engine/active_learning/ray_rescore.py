"""Rescoring a large pool on Ray: Ray Data ``map_batches`` over actors holding the ONNX predictor.

Everything but the predictions is the local job (:func:`engine.active_learning.rescore.rescore`:
the same pool, sample, strategy, diversity re-ranking, eval mixing and the one write
transaction), so the queue is the one a local rescore produces. The pool goes out in the
chunks the local job would run (length-sorted, :data:`~engine.active_learning.rescore.CHUNK`
segments each): dynamic int8 quantisation scales activations per batch, so equal batches are
what makes equal scores. Each actor receives the export folder's files through the object
store (remote nodes need no shared disk, only ``pip install spantune[cluster]``), loads the
int8 predictor once and predicts one chunk per call; predictions stream back to the driver.

``ray_address="local"`` starts a local Ray instance sized to the machine (``workers`` actors,
default one per core); any other value is passed to ``ray.init(address=…)``.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import ValidationError
from engine.progress import CancelToken, EventCallback, check

if TYPE_CHECKING:
    from engine.active_learning.pool import PoolSegment, RescoreResult
    from engine.api import Project

log = logging.getLogger(__name__)

INSTALL_HINT = "rescore --ray needs Ray: pip install 'spantune[cluster]' (or 'ray[data]')"


def import_ray() -> Any:
    """The ``ray`` module, or ValidationError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise ValidationError(INSTALL_HINT, field="ray") from exc
    return ray


def model_files(folder: Path) -> dict[str, bytes]:
    """The export folder's files an int8 predictor needs (no fp32 graph when int8 exists)."""
    from engine.inference.predictor import find_model_file

    model = find_model_file(folder, quantized=True)
    if model is None:
        raise ValidationError(f"{folder} has no ONNX model", field="version")
    files = {
        p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.suffix != ".onnx"
    }
    files[model.relative_to(folder).as_posix()] = model.read_bytes()
    return files


class PredictorActor:
    """A Ray Data actor: writes the model files to local disk once, predicts chunks."""

    def __init__(self, files: Any, hidden: bool, threads: int = 1) -> None:
        import ray

        from engine.inference.predictor import Predictor

        if isinstance(files, ray.ObjectRef):
            files = ray.get(files)
        self._dir = tempfile.TemporaryDirectory(prefix="spantune-ray-")
        root = Path(self._dir.name)
        for name, data in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        self.predictor = Predictor(root, quantized=True, threads=threads, spin=False)
        self.hidden = hidden

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = []
        for payload in batch["payload"]:
            texts, words = pickle.loads(payload)
            preds = self.predictor.predict_arrays(texts, hidden=self.hidden, words=words)
            out.append(pickle.dumps(preds, protocol=pickle.HIGHEST_PROTOCOL))
        return {"chunk": batch["chunk"], "preds": np.array(out, dtype=object)}


class RayPredict:
    """The ``predict`` hook of :func:`rescore`: the pool scored by ``workers`` Ray actors."""

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def __call__(
        self,
        folder: Path,
        segments: Sequence[PoolSegment],
        *,
        hidden: bool,
        cancel: CancelToken | None = None,
        progress: Any = None,
    ) -> list[Any]:
        import ray

        from engine.active_learning.rescore import CHUNK

        order = np.argsort([len(s.text) for s in segments], kind="stable")
        chunks = [order[lo : lo + CHUNK] for lo in range(0, len(order), CHUNK)]
        items = [
            {
                "chunk": k,
                "payload": pickle.dumps(
                    ([segments[i].text for i in idx], [segments[i].words() for i in idx])
                ),
            }
            for k, idx in enumerate(chunks)
        ]
        out: list[Any] = [None] * len(segments)
        if not items:
            return out
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        if not log.isEnabledFor(logging.INFO):
            logging.getLogger("ray.data").setLevel(logging.WARNING)
        files = ray.put(model_files(folder))
        source = ray.data.from_items(items, override_num_blocks=min(len(items), 4 * self.workers))
        ds = source.map_batches(
            PredictorActor,
            batch_size=1,
            batch_format="numpy",
            fn_constructor_kwargs={"files": files, "hidden": hidden},
            concurrency=self.workers,
            num_cpus=1,
        )
        done = 0
        for row in ds.iter_rows():
            check(cancel)
            idx = chunks[int(row["chunk"])]
            for i, pred in zip(idx, pickle.loads(row["preds"]), strict=True):
                out[int(i)] = pred
            done += len(idx)
            if progress is not None:
                progress(done, len(segments))
        return out


def start_ray(address: str, workers: int | None) -> tuple[Any, int, bool]:
    """``(ray, workers, started)``: connect (``address``) or start a local instance."""
    ray = import_ray()
    started = False
    if not ray.is_initialized():
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
        }
        if address == "local":
            ray.init(num_cpus=workers or os.cpu_count() or 1, **options)
        else:
            ray.init(address=address, **options)
        started = True
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return ray, max(1, min(workers or cpus, cpus)), started


def ray_rescore(
    project: Project,
    ray_address: str,
    version: str | None = None,
    strategy: str | None = None,
    *,
    workers: int | None = None,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
    **options: Any,
) -> RescoreResult:
    """:func:`rescore` with the predictions made by Ray actors (``ray_address``: ``"local"``
    or a cluster address). Raises ValidationError when Ray is missing, and what rescore
    raises; nothing is written unless the whole pool was scored.
    """
    from engine.active_learning.rescore import rescore

    if project.versions.active() is None and version is None:
        raise ValidationError(
            "rescore --ray needs a trained model; train one first", field="version"
        )
    ray, n, started = start_ray(ray_address, workers)
    log.info("scoring on Ray (%s) with %d actors", ray_address, n)
    try:
        return rescore(
            project,
            version,
            strategy,
            on_event=on_event,
            cancel=cancel,
            predict=RayPredict(n),
            **options,
        )
    finally:
        if started:
            ray.shutdown()
