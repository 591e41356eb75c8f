"""Library noise goes to the log file; our own problems reach the terminal as one line."""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import FormatError
from engine.logs import LOG_NAME, configure_logging


@pytest.fixture
def configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[io.StringIO, Path]]:
    for key in ("HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY"):
        monkeypatch.delenv(key, raising=False)
    root = logging.getLogger()
    level, before = root.level, list(root.handlers)
    stream = io.StringIO()
    path = configure_logging(stream=stream, directory=tmp_path)
    assert path == tmp_path / LOG_NAME
    yield stream, path
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logging.captureWarnings(False)


def test_library_warnings_go_to_the_file_only(configured) -> None:  # type: ignore[no-untyped-def]
    stream, path = configured
    logging.warning("Please consider to run pre-processing before quantization.")  # onnxruntime
    logging.getLogger("transformers.modeling_utils").warning("Some weights were not used")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a library deprecation", DeprecationWarning, stacklevel=1)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert stream.getvalue() == ""
    logged = path.read_text(encoding="utf-8")
    assert "pre-processing before quantization" in logged
    assert "Some weights were not used" in logged and "a library deprecation" in logged


def test_an_expected_error_is_one_line_without_traceback(configured) -> None:  # type: ignore[no-untyped-def]
    stream, path = configured
    try:
        raise FormatError("not a CoNLL file", path="bad.txt", line=3)
    except FormatError:
        logging.getLogger("desktop.services.workers").warning("job import failed", exc_info=True)
    out = stream.getvalue()
    assert out.count("\n") == 1 and "Traceback" not in out
    assert out.startswith("spantune: warning: job import failed (FormatError:")


def test_transformers_progress_bars_are_off(configured) -> None:  # type: ignore[no-untyped-def]
    import os

    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    from transformers.utils import logging as hf_logging

    assert not hf_logging.is_progress_bar_enabled()


def test_a_log_file_that_cannot_be_written_goes_quiet(  # type: ignore[no-untyped-def]
    configured, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk under the log file loses log lines, never prints logging's own traceback."""
    stream, path = configured
    file = next(
        h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None) == str(path)
    )

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(28, "No space left on device")

    file.stream = Full()  # type: ignore[attr-defined]
    for _ in range(3):
        logging.getLogger("engine.store").warning("scheduled backup failed")
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Logging error" not in err
    assert stream.getvalue().count("scheduled backup failed") == 3  # the terminal still gets it
