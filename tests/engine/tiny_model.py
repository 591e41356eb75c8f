"""Build a tiny BERT token-classification model (and its tokenizer) for fast tests.

``build_tiny_model(dir, labels)`` writes an HF ``save_pretrained`` folder: a 2-layer BERT
(hidden 32, 2 heads, intermediate 64) over a small WordPiece vocabulary (special tokens,
lowercase words, ``##`` pieces, single letters and digits, punctuation and a few CJK
characters) with a BIO label map. The classifier weights are drawn with a large standard
deviation so logits have clear margins: argmax decisions are then stable under float noise and
int8 quantisation, which keeps parity tests deterministic. Other tests (training, active
learning) can reuse it as a base model.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_WORD_LIST = """
the a an of in on at to and is was for with by from john smith mary jones angela merkel
visited lives works new york paris london berlin tokyo china germany france europe company
university bank apple google city river today yesterday said met president minister club
cafe café united states
"""
WORDS = _WORD_LIST.split()
PIECES = ["##s", "##ed", "##ing", "##er", "##ly", "##ion", "##es", "##y"]
CJK = list("東京北大学人中国日本上海")


def tiny_vocab() -> list[str]:
    """The tiny WordPiece vocabulary, special tokens first (``[PAD]`` has id 0)."""
    letters = list(string.ascii_lowercase) + list(string.digits)
    vocab: list[str] = list(SPECIAL_TOKENS)
    for token in [
        *WORDS,
        *PIECES,
        *letters,
        *("##" + c for c in letters),
        *string.punctuation,
        *CJK,
    ]:
        if token not in vocab:
            vocab.append(token)
    return vocab


def bio_tags(labels: Sequence[str]) -> list[str]:
    """``["O", "B-X", "I-X", ...]`` for entity types ``labels`` (already-BIO lists pass through)."""
    if "O" in labels:
        return list(labels)
    return ["O"] + [f"{p}-{label}" for label in labels for p in ("B", "I")]


def build_tiny_model(
    directory: str | Path,
    labels: Sequence[str] = ("PER", "LOC", "ORG"),
    *,
    seed: int = 0,
    spantune: dict[str, Any] | None = None,
    max_position_embeddings: int = 512,
) -> Path:
    """Write a tiny ``BertForTokenClassification`` + fast tokenizer to ``directory``.

    ``labels`` are entity types (or a full BIO tag list starting with ``"O"``). ``spantune``, when
    given, is written as ``spantune.json`` (what training writes next to the weights).
    Returns the folder path.
    """
    import torch
    from transformers import BertConfig, BertForTokenClassification, BertTokenizerFast

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    vocab = tiny_vocab()
    tags = bio_tags(labels)
    tokenizer = BertTokenizerFast(
        vocab={tok: i for i, tok in enumerate(vocab)},
        do_lower_case=True,
        model_max_length=max_position_embeddings,
    )
    tokenizer.save_pretrained(out)

    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=max_position_embeddings,
        id2label=dict(enumerate(tags)),
        label2id={t: i for i, t in enumerate(tags)},
        pad_token_id=0,
    )
    config.architectures = ["BertForTokenClassification"]
    torch.manual_seed(seed)
    model = BertForTokenClassification(config)
    with torch.no_grad():
        model.classifier.weight.normal_(0.0, 1.0)
        model.classifier.bias.normal_(0.0, 0.5)
    model.eval()
    model.save_pretrained(out, safe_serialization=True)
    if spantune is not None:
        (out / "spantune.json").write_text(json.dumps(spantune, indent=2), encoding="utf-8")
    return out
