"""Bootstrap confidence intervals of entity-level F1 (micro and per label), resampling sentences.

Each sentence contributes true-positive, false-positive and false-negative entity counts per
label (seqeval's default entity rule, the one :func:`engine.training.evaluate.entity_metrics`
reports); a resample draws as many sentences with replacement and sums their counts, so the
1000 resamples cost one matrix product. Seeded: the same predictions give the same interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RESAMPLES = 1000
SEED = 0
LEVEL = 0.95


def sentence_counts(
    gold: Sequence[Sequence[str]], pred: Sequence[Sequence[str]], labels: Sequence[str]
) -> Any:
    """An array (sentences, labels, 3) of true positives, false positives, false negatives."""
    import numpy as np
    from seqeval.metrics.sequence_labeling import get_entities

    index = {name: i for i, name in enumerate(labels)}
    out = np.zeros((len(gold), len(labels), 3), dtype=np.int64)
    for n, (g, p) in enumerate(zip(gold, pred, strict=True)):
        true, found = set(get_entities(list(g))), set(get_entities(list(p)))
        for kind, col in ((true & found, 0), (found - true, 1), (true - found, 2)):
            for name, _, _ in kind:
                if name in index:
                    out[n, index[name], col] += 1
    return out


def _f1(tp: Any, fp: Any, fn: Any) -> Any:
    import numpy as np

    denom = 2 * tp + fp + fn
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)


def f1_intervals(
    gold: Sequence[Sequence[str]],
    pred: Sequence[Sequence[str]],
    labels: Sequence[str],
    *,
    resamples: int = RESAMPLES,
    seed: int = SEED,
    level: float = LEVEL,
) -> dict[str, Any]:
    """``{"f1": [lo, hi], "per_label": {label: [lo, hi] or None}}`` percentile intervals.

    A label without any gold or predicted entity gets None (nothing to resample).
    """
    import numpy as np

    labels = list(dict.fromkeys(labels))
    n = len(gold)
    if n == 0:
        return {"f1": None, "per_label": {}}
    counts = sentence_counts(gold, pred, labels).reshape(n, -1).astype(np.float64)
    rng = np.random.default_rng(seed)
    sums = np.empty((resamples, counts.shape[1]))
    chunk = max(1, 2_000_000 // max(n, 1))
    for lo in range(0, resamples, chunk):
        k = min(chunk, resamples - lo)
        weights = rng.multinomial(n, np.full(n, 1.0 / n), size=k).astype(np.float64)
        sums[lo : lo + k] = weights @ counts
    sums = sums.reshape(resamples, len(labels), 3)
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    micro = sums.sum(axis=1)
    out: dict[str, Any] = {"f1": _interval(_f1(micro[:, 0], micro[:, 1], micro[:, 2]), q)}
    totals = counts.reshape(n, len(labels), 3).sum(axis=0)
    out["per_label"] = {
        name: _interval(_f1(sums[:, i, 0], sums[:, i, 1], sums[:, i, 2]), q)
        if totals[i].sum() > 0
        else None
        for i, name in enumerate(labels)
    }
    return out


def _interval(values: Any, q: list[float]) -> list[float]:
    import numpy as np

    lo, hi = np.percentile(values, q)
    return [round(float(lo), 4), round(float(hi), 4)]


def describe(metrics: dict[str, Any]) -> str:
    """``0.71 (0.64–0.77) on 45 sentences from 3 documents`` for a metrics dict."""
    f1 = metrics.get("f1")
    if f1 is None:
        return "no held-out score yet"
    text = f"{f1:.2f}"
    ci = metrics.get("f1_ci")
    if ci:
        text += f" ({ci[0]:.2f}\u2013{ci[1]:.2f})"
    return f"{text} on {held_out_phrase(metrics)}"


def held_out_phrase(metrics: dict[str, Any]) -> str:
    """``45 sentences from 3 documents`` (or blocks of one document, or a gold file)."""
    n = int(metrics.get("sentences") or 0)
    text = f"{n} sentence{'s' if n != 1 else ''}"
    docs, groups = metrics.get("documents"), metrics.get("groups")
    rule = metrics.get("split")
    if docs is None:
        return text
    docs_text = f"{docs} document{'s' if docs != 1 else ''}"
    if rule in ("blocks", "segments") and groups is not None and groups != docs:
        kind = "blocks" if rule == "blocks" else "runs"
        return f"{text} in {groups} {kind} of {docs_text}"
    return f"{text} from {docs_text}"
