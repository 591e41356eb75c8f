"""Terminal output for the CLI: progress bar, tables, JSON."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any

from engine.progress import Event, ProgressEvent, TrainEvent, progress_counts


class ProgressBar:
    """A one-line progress bar on stderr (silent when stderr is not a terminal)."""

    def __init__(self, label: str = "", *, enabled: bool | None = None, width: int = 30):
        self.label = label
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.width = width
        self._last = 0.0
        self._shown = False

    def __call__(self, event: Event) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < 0.1:
            return
        self._last = now
        done, total = progress_counts(event) or (0, None)
        if isinstance(event, TrainEvent):
            extra = f" epoch {event.epoch}/{event.epochs}"
            if event.loss is not None:
                extra += f" loss {event.loss:.3f}"
            if event.eta_seconds is not None:
                extra += f" ETA {event.eta_seconds:.0f}s"
            if event.eval_f1 is not None:
                extra += f" F1 {event.eval_f1:.3f}"
            label = self.label or "train"
        else:
            assert isinstance(event, ProgressEvent)
            extra = f" {event.message}" if event.message else ""
            label = self.label or event.stage
        if total:
            frac = min(1.0, done / total)
            filled = int(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            line = f"\r{label} [{bar}] {done}/{total}{extra}"
        else:
            line = f"\r{label} {done}{extra}"
        sys.stderr.write(line[:200].ljust(80))
        sys.stderr.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\n")
            sys.stderr.flush()


def print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False, default=str))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return "" if value is None else str(value)
