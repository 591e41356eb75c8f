"""Fit a token-classification head to a BIO tag list, keeping rows for tags it already knows.

Used for the base encoder (whose head is new) and for warm starts from a previous version whose
label set may differ: rows of tags present before are copied, new tags get fresh rows, removed
tags are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from engine.errors import ModelLoadError

log = logging.getLogger(__name__)


def _old_tags(model: Any) -> list[str]:
    id2label = getattr(model.config, "id2label", None) or {}
    return [str(id2label.get(i, id2label.get(str(i), ""))) for i in range(len(id2label))]


def fit_head(model: Any, tags: Sequence[str]) -> list[str]:
    """Give ``model`` a classifier with one row per tag in ``tags``; return the tags it kept.

    Raises ModelLoadError when the model has no linear ``classifier`` head.
    """
    import torch

    head = getattr(model, "classifier", None)
    if not isinstance(head, torch.nn.Linear):
        raise ModelLoadError(f"{type(model).__name__} has no linear token-classification head")
    old = _old_tags(model)
    std = float(getattr(model.config, "initializer_range", 0.02))
    new = torch.nn.Linear(head.in_features, len(tags))
    kept: list[str] = []
    with torch.no_grad():
        new.weight.normal_(0.0, std)
        new.bias.zero_()
        for row, tag in enumerate(tags):
            if tag in old and head.out_features == len(old):
                new.weight[row] = head.weight[old.index(tag)]
                new.bias[row] = head.bias[old.index(tag)]
                kept.append(tag)
    model.classifier = new
    model.num_labels = len(tags)
    model.config.id2label = dict(enumerate(tags))
    model.config.label2id = {tag: i for i, tag in enumerate(tags)}
    if kept:
        log.info("head: kept %d of %d tags from the starting model", len(kept), len(tags))
    return kept
