"""One line describing a job's progress event (epoch, loss, ETA…), for panels and status bar."""

from __future__ import annotations

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
    if event is None:
        return title
    parts = [title]
    epoch, epochs = getattr(event, "epoch", None), getattr(event, "epochs", None)
    if epoch is not None:
        parts.append(f"epoch {epoch}/{epochs}" if epochs else f"epoch {epoch}")
        step, total = getattr(event, "step", None), getattr(event, "total_steps", None)
        if step is not None and total:
            parts.append(f"{100 * step / total:.0f}%")
    else:
        done, total = getattr(event, "done", None), getattr(event, "total", None)
        if done is not None and total:
            parts.append(f"{done}/{total}")
        message = getattr(event, "message", "")
        if message:
            parts.append(str(message))
    loss = getattr(event, "loss", None)
    if loss is not None:
        parts.append(f"loss {loss:.3f}")
    f1 = getattr(event, "eval_f1", None)
    if f1 is not None:
        parts.append(f"F1 {f1:.3f}")
    eta = fmt_eta(getattr(event, "eta_seconds", None))
    if eta:
        parts.append(f"ETA {eta}")
    return " · ".join(parts)
