"""Fine-tuning and evaluation: ``train`` (a project job), ``train_examples``, ``evaluate``."""

from engine.training.config import TrainConfig, TrainResult
from engine.training.evaluate import evaluate
from engine.training.trainer import TrainOutcome, train, train_examples

__all__ = ["TrainConfig", "TrainOutcome", "TrainResult", "evaluate", "train", "train_examples"]
