"""Shared pytest set-up: offscreen Qt, no user-level side effects."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# PySide6 6.12 has a refcount bug (pytest-qt's signal waits disconnect signals, and
# Signal.disconnect() returns an unowned True) that aborts the interpreter while it finalises,
# after every test has passed and been reported. Leave with the real exit status before that.
_exit_status: list[int] = []


def pytest_sessionfinish(session, exitstatus) -> None:  # type: ignore[no-untyped-def]
    _exit_status.append(int(exitstatus))


def pytest_unconfigure(config) -> None:  # type: ignore[no-untyped-def]
    import sys

    if _exit_status and "PySide6.QtCore" in sys.modules:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
