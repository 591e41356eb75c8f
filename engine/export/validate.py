"""Export validation: onnxruntime against torch, int8 against fp32 (optimum-style).

The sample always includes emoji, CJK, combining marks, odd whitespace and one text long enough to
need several windows, so offsets and window merging are exercised, not only the maths. torch is
imported lazily by the caller (the export); this module itself needs only numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine.errors import ExportValidationError
from engine.inference.predictor import Predictor

# Element-wise, as numpy.allclose: |onnx - torch| <= atol + rtol * |torch|. A fixed 1e-4 alone
# refused real models whose logits reach 10-15 (float32 rounding through six layers gives 1.6e-4
# there); the relative part scales with the value, the absolute part guards values near zero.
LOGIT_TOLERANCE = 1e-4
LOGIT_RTOL = 1e-4
HIDDEN_TOLERANCE = 1e-3
HIDDEN_RTOL = 1e-3

SAMPLE_TEXTS: tuple[str, ...] = (
    "John Smith lives in New York.",
    "Angela Merkel 😀 visited Paris 👍🏽 yesterday!",
    "東京大学の人は北京に行った。",
    "Cafe\u0301 de Flore, Zo\u00eb and Jose\u0301 met at the bank.",
    "\tMary\u00a0Jones  works\nfor Google in London\u2028today.",
    "UNITED STATES president visited China, Germany and France.",
)
_LONG_SENTENCE = "John Smith met Mary Jones of Google in Paris, London and Tokyo 東京 yesterday. "


@dataclass(frozen=True)
class ParityReport:
    """fp32 onnxruntime against torch on the validation windows."""

    max_abs_logit_diff: float
    max_abs_hidden_diff: float
    texts: int
    windows: int
    #: worst |diff| / (atol + rtol·|torch|) over the logits; at most 1 passes.
    logit_tolerance_used: float = 0.0


@dataclass(frozen=True)
class AgreementReport:
    """int8 against fp32: sub-token argmax agreement and entity agreement (micro F1)."""

    token_argmax_agreement: float
    entity_agreement: float
    tokens: int
    entities_fp32: int
    entities_int8: int
    texts: int
    #: share of texts whose int8 entities are identical at batch 1, 8 and 32 (None: not checked)
    batch_identical: float | None = None
    batch_sizes: tuple[int, ...] = ()


def validation_texts(
    count_subtokens: Callable[[str], int], window: int, extra: Sequence[str] = ()
) -> list[str]:
    """The fixed sample, ``extra`` texts, and one text of about 3.5 windows of sub-tokens."""
    per_sentence = max(1, count_subtokens(_LONG_SENTENCE))
    repeats = max(2, int(3.5 * window / per_sentence) + 1)
    return [*SAMPLE_TEXTS, *extra, _LONG_SENTENCE * repeats]


def _tolerance_used(want: np.ndarray, have: np.ndarray, atol: float, rtol: float) -> float:
    """Worst element of |have - want| / (atol + rtol·|want|): at most 1 means within tolerance."""
    return float((np.abs(have - want) / (atol + rtol * np.abs(want))).max(initial=0.0))


def check_parity(
    torch_run: Callable[[dict[str, np.ndarray]], tuple[np.ndarray, np.ndarray]],
    predictor: Predictor,
    texts: Sequence[str],
    *,
    tolerance: float = LOGIT_TOLERANCE,
    rtol: float = LOGIT_RTOL,
) -> ParityReport:
    """Compare torch and onnxruntime on the batches the predictor would run.

    ``torch_run(batch) -> (logits, hidden)`` as numpy. Raises :class:`ExportValidationError`
    when shapes differ, values are not finite, or an element differs by more than
    ``tolerance + rtol·|torch value|`` (logits; hidden states use the looser hidden bounds).
    """
    worst_logit = worst_hidden = used_logit = used_hidden = 0.0
    windows = 0
    for batch in predictor.model_inputs(texts, batch_size=8):
        want_logits, want_hidden = torch_run(batch)
        got = predictor.run(batch, hidden=True)
        windows += len(batch["input_ids"])
        for name, want, have in (
            ("logits", want_logits, got["logits"]),
            ("last_hidden_state", want_hidden, got["last_hidden_state"]),
        ):
            if want.shape != have.shape:
                raise ExportValidationError(
                    f"ONNX {name} has shape {have.shape} but torch gives {want.shape}"
                )
            if not np.isfinite(have).all():
                raise ExportValidationError(f"ONNX {name} contains NaN or infinity")
        worst_logit = max(worst_logit, float(np.abs(want_logits - got["logits"]).max()))
        diff = np.abs(want_hidden - got["last_hidden_state"]).max()
        worst_hidden = max(worst_hidden, float(diff))
        used_logit = max(used_logit, _tolerance_used(want_logits, got["logits"], tolerance, rtol))
        used_hidden = max(
            used_hidden,
            _tolerance_used(want_hidden, got["last_hidden_state"], HIDDEN_TOLERANCE, HIDDEN_RTOL),
        )
    if used_logit > 1.0:
        raise ExportValidationError(
            f"the ONNX model differs from torch by up to {worst_logit:.2e} in logits, beyond "
            f"the tolerance {tolerance:.0e} + {rtol:.0e}·|logit|; nothing was written"
        )
    if used_hidden > 1.0:
        raise ExportValidationError(
            f"the ONNX hidden states differ from torch by up to {worst_hidden:.2e}, beyond the "
            f"tolerance {HIDDEN_TOLERANCE:.0e} + {HIDDEN_RTOL:.0e}·|value|; nothing was written"
        )
    return ParityReport(worst_logit, worst_hidden, len(texts), windows, used_logit)


def head_error(
    predictor: Predictor, texts: Sequence[str], weight: np.ndarray, bias: np.ndarray
) -> float:
    """Max |hidden @ Wᵀ + b − logits|: whether ``head.npz`` reproduces the model's logits."""
    worst = 0.0
    for batch in predictor.model_inputs(texts, batch_size=8):
        out = predictor.run(batch, hidden=True)
        logits = out["last_hidden_state"] @ weight.T + bias
        worst = max(worst, float(np.abs(logits - out["logits"]).max()))
    return worst


def _content_mask(batch: dict[str, np.ndarray], predictor: Predictor) -> np.ndarray:
    mask = batch["attention_mask"].astype(bool)
    lead, tail = len(predictor.special.prefix), len(predictor.special.suffix)
    mask[:, :lead] = False
    lengths = batch["attention_mask"].sum(axis=1)
    for row, length in enumerate(lengths):
        mask[row, max(lead, length - tail) : length] = False
    return mask


def batch_identical(
    predictor: Predictor, texts: Sequence[str], sizes: Sequence[int] = (1, 8, 32)
) -> float:
    """Share of ``texts`` whose entities are the same at every batch size in ``sizes``."""
    runs = [
        [
            [(e.start, e.end, e.label) for e in es]
            for es in predictor.predict(texts, batch_size=size)
        ]
        for size in sizes
    ]
    same = sum(all(r[i] == runs[0][i] for r in runs[1:]) for i in range(len(texts)))
    return same / len(texts) if texts else 1.0


def check_agreement(
    fp32: Predictor, int8: Predictor, texts: Sequence[str], *, batch_sizes: Sequence[int] = ()
) -> AgreementReport:
    """How often int8 picks the same tag per sub-token, and the same entities, as fp32."""
    same = total = 0
    for batch in fp32.model_inputs(texts, batch_size=16):
        mask = _content_mask(batch, fp32)
        a = fp32.run(batch)["logits"].argmax(-1)
        b = int8.run(batch)["logits"].argmax(-1)
        same += int((a == b)[mask].sum())
        total += int(mask.sum())
    ents_a = {(i, e.start, e.end, e.label) for i, es in enumerate(fp32.predict(texts)) for e in es}
    ents_b = {(i, e.start, e.end, e.label) for i, es in enumerate(int8.predict(texts)) for e in es}
    both = len(ents_a & ents_b)
    denominator = len(ents_a) + len(ents_b)
    entity_f1 = 1.0 if denominator == 0 else 2 * both / denominator
    return AgreementReport(
        token_argmax_agreement=same / total if total else 1.0,
        entity_agreement=entity_f1,
        tokens=total,
        entities_fp32=len(ents_a),
        entities_int8=len(ents_b),
        texts=len(texts),
        batch_identical=batch_identical(int8, texts, batch_sizes) if batch_sizes else None,
        batch_sizes=tuple(batch_sizes),
    )
