"""Word-level predictions of a torch model, decoded by the same rule as the ONNX predictor.

Rule ("first-subtoken-bio", :mod:`engine.inference.decode`): a word takes the tag predicted on
its first sub-token; in overlapping windows each sub-token is read from the window where it is
most central (:func:`engine.inference.windows.window_owners`); a word no sub-token reaches is
``O``; ``I-X`` after ``O`` or another type starts an entity (:func:`engine.text.bio.repair_bio`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engine.inference.decode import softmax
from engine.inference.windows import (
    SpecialTokens,
    WindowRef,
    length_sorted_batches,
    pack_windows,
    window_owners,
)
from engine.progress import CancelToken, check
from engine.text.bio import repair_bio
from engine.training.examples import EncodedExample


def window_logits(
    model: Any,
    encoded: Sequence[EncodedExample],
    special: SpecialTokens,
    batch_size: int = 64,
    cancel: CancelToken | None = None,
) -> dict[WindowRef, np.ndarray]:
    """Content-token logits (``window length × tags``) of every window; cancel checked per batch."""
    import torch

    from engine.training.device import model_device

    device = model_device(model)
    refs = [WindowRef(i, s, e) for i, ex in enumerate(encoded) for s, e in ex.windows]
    ids = [ex.ids for ex in encoded]
    out: dict[WindowRef, np.ndarray] = {}
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for batch in length_sorted_batches(refs, batch_size):
                check(cancel)
                arrays = pack_windows(batch, ids, special)
                logits = model(
                    input_ids=torch.from_numpy(arrays["input_ids"]).to(device),
                    attention_mask=torch.from_numpy(arrays["attention_mask"]).to(device),
                ).logits
                logits = logits.float().cpu().numpy()
                head = len(special.prefix)
                for row, ref in enumerate(batch):
                    out[ref] = logits[row, head : head + ref.end - ref.start]
    finally:
        model.train(was_training)
    return out


def word_probabilities(
    model: Any,
    encoded: Sequence[EncodedExample],
    special: SpecialTokens,
    batch_size: int = 64,
    cancel: CancelToken | None = None,
) -> list[np.ndarray]:
    """Per example, ``words × tags`` probabilities read on each word's first sub-token.

    A word that no sub-token reaches gets probability 1 for tag 0 (``O``).
    """
    logits = window_logits(model, encoded, special, batch_size, cancel)
    result = []
    for i, ex in enumerate(encoded):
        n_tags = next(iter(logits.values())).shape[-1] if logits else 1
        sub = np.zeros((len(ex.ids), n_tags), dtype=np.float32)
        owners = window_owners(len(ex.ids), ex.windows)
        for w, (start, end) in enumerate(ex.windows):
            mine = np.nonzero(owners[start:end] == w)[0]
            sub[start + mine] = logits[WindowRef(i, start, end)][mine]
        probs = np.zeros((len(ex.first), n_tags), dtype=np.float32)
        probs[:, 0] = 1.0
        reached = ex.first >= 0
        if reached.any():
            probs[reached] = softmax(sub[ex.first[reached]])
        result.append(probs)
    return result


def predict_tags(
    model: Any,
    encoded: Sequence[EncodedExample],
    special: SpecialTokens,
    tags: Sequence[str],
    batch_size: int = 64,
    cancel: CancelToken | None = None,
) -> list[list[str]]:
    """Repaired BIO tags per word of each example."""
    probs = word_probabilities(model, encoded, special, batch_size, cancel)
    return [repair_bio([tags[j] for j in p.argmax(axis=-1)]) for p in probs]
