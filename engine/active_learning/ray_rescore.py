"""Rescoring a large pool on Ray: actors holding the ONNX predictor, fed page by page.

Everything but the predictions is the local job (:func:`engine.active_learning.rescore.rescore`:
the same pool, sample, strategy, diversity re-ranking, eval mixing and the one write
transaction), so the queue is the one a local rescore produces. The pool goes out in the
pages the local job reads and predicts (length-sorted, :data:`~engine.active_learning.rescore.CHUNK`
segments each): dynamic int8 quantisation scales activations per batch, so equal batches are
what makes equal scores. Each actor receives the export folder's files through the object
store once (remote nodes need no shared disk, only ``pip install spantune[cluster]``), loads the
int8 predictor once and predicts one page per call; the driver streams pages out and back, so
its memory is that of the local streaming job plus a few pages in flight.

``ray_address="local"`` starts a local Ray instance sized to the machine (``workers`` actors,
default one per core); any other value is passed to ``ray.init(address=…)``.
"""

from __future__ import annotations

import logging
import os
import pickle
import tempfile
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.errors import ValidationError
from engine.progress import CancelToken, EventCallback, check

if TYPE_CHECKING:
    from engine.active_learning.pool import PoolSegment, RescoreResult
    from engine.api import Project

log = logging.getLogger(__name__)

INSTALL_HINT = "rescore --ray needs Ray: pip install 'spantune[cluster]' (or 'ray')"


def import_ray() -> Any:
    """The ``ray`` module, or ValidationError saying how to install it."""
    try:
        import ray
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
    """A Ray actor: writes the model files to its local disk once, then predicts pages."""

    def __init__(self, files: Any, hidden: bool, threads: int = 1) -> None:
        import ray

        from engine.inference.predictor import Predictor

        if isinstance(files, ray.ObjectRef):
            files = ray.get(files)
        self._dir = tempfile.TemporaryDirectory(prefix="spantune-ray-")
        root = Path(self._dir.name)
        try:
            for name, data in files.items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(data)
            self.predictor: Any = Predictor(root, quantized=True, threads=threads, spin=False)
        except BaseException:
            self._dir.cleanup()
            raise
        self.hidden = hidden

    def close(self) -> None:
        """Drop the predictor and remove the model files (``ray.kill`` skips finalisers)."""
        self.predictor = None
        self._dir.cleanup()

    def predict(self, payload: bytes) -> bytes:
        """One page (pickled ``(texts, words)``) predicted as one chunk, pickled back."""
        texts, words = pickle.loads(payload)
        preds = self.predictor.predict_arrays(texts, hidden=self.hidden, words=words)
        return pickle.dumps(preds, protocol=pickle.HIGHEST_PROTOCOL)


class RayPredict:
    """The ``predict`` hook of :func:`rescore`: pages scored by ``workers`` Ray actors.

    The model files go to the object store once and each actor loads them once for the whole
    pool (not once per page); up to :attr:`in_flight` pages per actor are submitted ahead, so the
    actors stay busy while the driver scores, ranks and stages the pages already back. Pages come
    back in the order they went out (the local job's order)."""

    in_flight = 2
    close_timeout = 60.0

    def __init__(self, workers: int) -> None:
        self.workers = workers

    def __call__(
        self,
        folder: Path,
        pages: Iterable[tuple[Any, Sequence[PoolSegment]]],
        *,
        hidden: bool,
        cancel: CancelToken | None = None,
    ) -> Iterator[tuple[Any, Sequence[PoolSegment], list[Any]]]:
        import ray

        files = ray.put(model_files(folder))
        remote: Any = ray.remote(num_cpus=1)(PredictorActor)
        actors: list[Any] = [remote.remote(files, hidden) for _ in range(self.workers)]
        window: deque[tuple[Any, Sequence[PoolSegment], Any]] = deque()
        source = iter(pages)
        sent = 0

        def submit() -> bool:
            nonlocal sent
            page = next(source, None)
            if page is None:
                return False
            positions, segments = page
            payload = pickle.dumps(([s.text for s in segments], [s.words() for s in segments]))
            actor = actors[sent % len(actors)]
            sent += 1
            window.append((positions, segments, actor.predict.remote(payload)))
            return True

        try:
            while len(window) < self.in_flight * len(actors) and submit():
                pass
            while window:
                check(cancel)
                positions, segments, ref = window.popleft()
                preds = pickle.loads(ray.get(ref))
                submit()
                yield positions, segments, preds
        finally:
            for _, _, ref in window:  # pages not started are dropped, not predicted
                ray.cancel(ref)
            closing = [actor.close.remote() for actor in actors]
            try:  # waits at most for the page each actor is on
                ray.get(closing, timeout=self.close_timeout)
            except Exception as exc:  # an actor that died or hangs: its files stay on its disk
                log.warning("a Ray actor did not remove its model files: %s", exc)
            for actor in actors:
                ray.kill(actor)


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
