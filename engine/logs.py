"""Where log records go: a log file gets everything, the terminal gets one line per problem.

Libraries are noisy on stderr: transformers draws a "Loading weights" progress bar on every
retrain, onnxruntime warns through the root logger ("consider pre-processing before
quantization"), Python warnings print their source line. :func:`configure_logging` sends all of
that to ``spantune.log`` and lets only Spantune's own warnings and errors reach the terminal, each
as one line (an expected error never prints a traceback; ``--verbose`` shows details).
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import TextIO

LOG_DIR_ENV = "SPANTUNE_LOG_DIR"
LOG_NAME = "spantune.log"
OWN_LOGGERS = ("engine", "desktop", "spantune")
_MARK = "_spantune_handler"


def log_dir() -> Path:
    """``$SPANTUNE_LOG_DIR``, else the platform's place for application logs."""
    if os.environ.get(LOG_DIR_ENV):
        return Path(os.environ[LOG_DIR_ENV])
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Logs" / "Spantune"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", home)) / "Spantune" / "Logs"
    return Path(os.environ.get("XDG_STATE_HOME", home / ".local" / "state")) / "spantune"


class OneLineFormatter(logging.Formatter):
    """``spantune: warning: message`` with the exception's own line, never a traceback."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"spantune: {record.levelname.lower()}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" ({type(exc).__name__}: {exc})"
        return text.splitlines()[0] if text else text


class _LogFile(logging.handlers.RotatingFileHandler):
    """The log file, which goes quiet when it cannot be written (a full disk, a file-size limit):
    losing log lines must never print a traceback over the one line the user needs to read."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        self.failed = True
        with contextlib.suppress(OSError):
            self.close()

    def emit(self, record: logging.LogRecord) -> None:
        if not getattr(self, "failed", False):
            super().emit(record)


class _OwnRecords(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".")[0] in OWN_LOGGERS


def quiet_libraries() -> None:
    """No library progress bars or advisory warnings on the terminal (the log keeps ours)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    if "transformers" in sys.modules:  # imported before us: switch its bars off directly
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        # its warnings reach our handlers (the log file), not its own stderr handler
        hf_logging.disable_default_handler()
        hf_logging.enable_propagation()
        hf_logging.set_verbosity_warning()  # type: ignore[no-untyped-call]
    if "huggingface_hub" in sys.modules:
        from huggingface_hub.utils import (  # type: ignore[attr-defined]
            disable_progress_bars,
        )

        disable_progress_bars()


def configure_logging(
    *, verbose: bool = False, stream: TextIO | None = None, directory: Path | None = None
) -> Path | None:
    """Install Spantune's handlers on the root logger (again: replaces them) and return the log
    file, or None when it cannot be written (then the terminal handler alone is installed)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    terminal = logging.StreamHandler(stream or sys.stderr)
    terminal.setLevel(logging.INFO if verbose else logging.WARNING)
    if verbose:
        terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        terminal.setFormatter(OneLineFormatter())
        terminal.addFilter(_OwnRecords())
    handlers: list[logging.Handler] = [terminal]
    target = (directory or log_dir()) / LOG_NAME
    path: Path | None = target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        file = _LogFile(target, maxBytes=2_000_000, backupCount=2, encoding="utf-8", delay=True)
        file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handlers.append(file)
    except OSError:
        path = None
    for handler in handlers:
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    # warnings.warn → the "py.warnings" logger → the file. Off first: captureWarnings(True) does
    # nothing when it believes it is on, though warnings.showwarning may have been restored since
    # (a warnings.catch_warnings block that began before an earlier configure_logging).
    logging.captureWarnings(False)
    logging.captureWarnings(True)
    quiet_libraries()
    return path
