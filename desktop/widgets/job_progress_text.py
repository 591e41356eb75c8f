"""One line describing a job's progress event (epoch, loss, ETA…), for panels and status bar."""

from __future__ import annotations

from engine.progress import ProgressEvent, TrainEvent, progress_counts

JOB_TITLES = {
    "train": "Training",
    "rescore": "Updating suggestions",
    "cold_start": "Ordering the queue",
    "export_model": "Exporting model",
    "import": "Importing",
    "export_data": "Exporting data",
}


def job_title(name: str) -> str:
    return JOB_TITLES.get(name, name.replace("_", " ").capitalize())


def fmt_eta(seconds: float | None) -> str:
    if seconds is None or seconds < 0:
        return ""
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


def describe_progress(name: str, event: object | None) -> str:
    title = job_title(name)
    done, total = progress_counts(event) or (0, None)
    parts = [title]
    if isinstance(event, TrainEvent):
        parts.append(
            f"epoch {event.epoch}/{event.epochs}" if event.epochs else f"epoch {event.epoch}"
        )
        if total:
            parts.append(f"{100 * done / total:.0f}%")
        if event.loss is not None:
            parts.append(f"loss {event.loss:.3f}")
        if event.eval_f1 is not None:
            parts.append(f"F1 {event.eval_f1:.3f}")
    elif isinstance(event, ProgressEvent):
        if total:
            parts.append(f"{done}/{total}")
        if event.message:
            parts.append(str(event.message))
    else:
        return title
    eta = fmt_eta(event.eta_seconds)
    if eta:
        parts.append(f"ETA {eta}")
    return " · ".join(parts)
