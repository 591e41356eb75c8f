"""Base models (resolved and loaded safely) and token-classification heads."""

from engine.models.base import (
    BUNDLED,
    BaseModel,
    bundled_model_dir,
    load_token_classifier,
    load_tokenizer,
    resolve_base_model,
)
from engine.models.head import fit_head

__all__ = [
    "BUNDLED",
    "BaseModel",
    "bundled_model_dir",
    "fit_head",
    "load_token_classifier",
    "load_tokenizer",
    "resolve_base_model",
]
