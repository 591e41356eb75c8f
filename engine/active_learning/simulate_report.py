"""Results of an active-learning simulation: the CSV, the plot and the summary.

``results.csv`` gets one row per (strategy, seed, round), appended and flushed as each round
finishes, so a cancelled or interrupted simulation keeps every finished round and a rerun skips
them. The summary answers the question that matters on a CPU budget: how many labelled tokens
did each strategy need to reach the F1 that random sampling reached at the end?
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

COLUMNS = (
    "strategy",
    "seed",
    "round",
    "labelled_sentences",
    "labelled_tokens",
    "f1",
    "precision",
    "recall",
    "seconds",
)
BASELINE = "random"


@dataclass(frozen=True)
class Row:
    strategy: str
    seed: int
    round: int
    labelled_sentences: int
    labelled_tokens: int
    f1: float
    precision: float
    recall: float
    seconds: float


def read_rows(path: Path) -> list[Row]:
    """Rows already in ``results.csv`` (none when the file does not exist)."""
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return [
            Row(
                r["strategy"],
                int(r["seed"]),
                int(r["round"]),
                int(r["labelled_sentences"]),
                int(r["labelled_tokens"]),
                float(r["f1"]),
                float(r["precision"]),
                float(r["recall"]),
                float(r["seconds"]),
            )
            for r in csv.DictReader(fh)
        ]


def append_row(path: Path, row: Row) -> None:
    """Append one row (header first on a new file), flushed to disk."""
    new = not path.is_file() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(
            {k: (round(v, 5) if isinstance(v, float) else v) for k, v in asdict(row).items()}
        )
        fh.flush()


def curves(rows: Iterable[Row]) -> dict[str, dict[str, list[float]]]:
    """Per strategy, per round: mean and spread (min, max) over seeds of F1, sentences, tokens."""
    by: dict[str, dict[int, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by[r.strategy][r.round].append(r)
    out: dict[str, dict[str, list[float]]] = {}
    for strategy, rounds in by.items():
        keys = sorted(rounds)
        f1 = [np.array([r.f1 for r in rounds[k]]) for k in keys]
        out[strategy] = {
            "round": [float(k) for k in keys],
            "seeds": [float(len(rounds[k])) for k in keys],
            "sentences": [float(np.mean([r.labelled_sentences for r in rounds[k]])) for k in keys],
            "tokens": [float(np.mean([r.labelled_tokens for r in rounds[k]])) for k in keys],
            "f1": [float(x.mean()) for x in f1],
            "f1_min": [float(x.min()) for x in f1],
            "f1_max": [float(x.max()) for x in f1],
            "f1_std": [float(x.std()) for x in f1],
        }
    return out


def tokens_to_reach(curve: dict[str, list[float]], target: float) -> float | None:
    """Labelled tokens where the mean F1 curve first reaches ``target`` (linear interpolation
    between rounds), None when it never does."""
    f1, tokens = curve["f1"], curve["tokens"]
    for i, value in enumerate(f1):
        if value >= target:
            if i == 0 or f1[i - 1] >= value:
                return tokens[i]
            frac = (target - f1[i - 1]) / (value - f1[i - 1])
            return tokens[i - 1] + frac * (tokens[i] - tokens[i - 1])
    return None


def summarise(rows: list[Row]) -> dict[str, Any]:
    """The summary: final F1 per strategy and tokens needed to reach random's final F1."""
    data = curves(rows)
    summary: dict[str, Any] = {"strategies": {}, "baseline": BASELINE, "target_f1": None}
    base = data.get(BASELINE)
    target = base["f1"][-1] if base else None
    summary["target_f1"] = target
    base_tokens = tokens_to_reach(base, target) if base and target is not None else None
    for strategy, curve in data.items():
        reach = tokens_to_reach(curve, target) if target is not None else None
        summary["strategies"][strategy] = {
            "final_f1": curve["f1"][-1],
            "final_f1_std": curve["f1_std"][-1],
            "final_round": int(curve["round"][-1]),
            "final_tokens": curve["tokens"][-1],
            "final_sentences": curve["sentences"][-1],
            "tokens_to_reach_target": reach,
            "token_ratio_vs_baseline": (
                reach / base_tokens if reach is not None and base_tokens else None
            ),
            "curve": curve,
        }
    return summary


def summary_text(summary: dict[str, Any]) -> str:
    """A few lines a person reads in a terminal."""
    target = summary.get("target_f1")
    lines = []
    if target is not None:
        lines.append(f"random's final F1: {target:.4f}")
    for name, s in sorted(summary["strategies"].items()):
        line = (
            f"{name:>18}: final F1 {s['final_f1']:.4f} ± {s['final_f1_std']:.4f} after "
            f"{s['final_sentences']:.0f} sentences / {s['final_tokens']:.0f} tokens"
        )
        reach = s["tokens_to_reach_target"]
        if target is not None:
            if reach is None:
                line += "; never reached random's final F1"
            else:
                ratio = s["token_ratio_vs_baseline"]
                line += f"; reached it with {reach:.0f} tokens"
                if ratio is not None and not math.isnan(ratio):
                    line += f" ({100 * ratio:.0f}% of random's)"
        lines.append(line)
    return "\n".join(lines)


def write_summary(out_dir: Path, rows: list[Row]) -> tuple[dict[str, Any], str]:
    summary = summarise(rows)
    text = summary_text(summary)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out_dir / "summary.txt").write_text(text + "\n", encoding="utf-8")
    return summary, text


def plot(out_dir: Path, rows: list[Row]) -> Path | None:
    """``learning_curves.png``: F1 against labelled sentences and tokens, mean ± spread."""
    try:
        import matplotlib
    except ImportError:
        log.warning("matplotlib is not installed; no plot written")
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = curves(rows)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=True)
    for name, c in sorted(data.items()):
        for ax, x in zip(axes, ("sentences", "tokens"), strict=True):
            (line,) = ax.plot(c[x], c["f1"], marker="o", label=name)
            ax.fill_between(c[x], c["f1_min"], c["f1_max"], alpha=0.2, color=line.get_color())
    axes[0].set_xlabel("labelled sentences")
    axes[1].set_xlabel("labelled tokens")
    axes[0].set_ylabel("test entity F1 (mean, min-max over seeds)")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.tight_layout()
    path = out_dir / "learning_curves.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
