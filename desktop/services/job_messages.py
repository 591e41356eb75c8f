"""What a cancelled job really left behind, and what quitting during a job will keep.

Each job cleans up differently (training keeps no half-made version, an import keeps the files it
had finished, a rescore after a retrain leaves the new version active); the messages say so.
"""

from __future__ import annotations

from desktop.widgets.job_progress_text import job_title

_CANCELLED = {
    "train": "no new version was made; the models trained before are unchanged.",
    "rescore": "the suggestions and the queue order are as they were before.",
    "cold_start": "the documents are imported; the queue keeps the import order.",
    "import": "files finished before the cancel are imported; the file in progress and the "
    "rest are not.",
    "export_model": "nothing was written.",
    "export_data": "nothing was written.",
}
_QUIT = {
    "train": "Quitting cancels it: this run is not kept; the models trained before stay.",
    "rescore": "Quitting stops it: the suggestions and queue order stay as they were before.",
    "cold_start": "Quitting stops it: the documents stay imported, in import order.",
    "import": "Quitting stops it: files already imported stay; the file in progress is not "
    "imported.",
    "export_model": "Quitting stops it: nothing is written.",
    "export_data": "Quitting stops it: nothing is written.",
}


def cancelled_text(name: str, kept: str | None = None) -> str:
    """``kept``: what an earlier step of the same request already kept ("v0003 is trained and
    active"), which the cancel does not undo."""
    rest = _CANCELLED.get(name, "it stopped where it was.")
    if kept and name == "rescore":
        rest = (
            f"{kept}; its suggestions and queue order are not computed yet (the previous "
            "ones stay until the next retrain)."
        )
    return f"{job_title(name)} cancelled: {rest}"


def quit_question(name: str, kept: str | None = None) -> str:
    rest = _QUIT.get(name, "Quitting stops it.")
    if kept and name == "rescore":
        rest = (
            f"{kept} and kept. Quitting stops only the update of the suggestions; the "
            "previous ones stay."
        )
    return f"{job_title(name)} is still running. {rest}"
