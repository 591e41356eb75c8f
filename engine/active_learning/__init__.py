"""Active learning: query strategies, batch diversity, cold start, the labelling queue, rescoring
and simulation.

Importing the package is cheap (numpy and the store only) and fills the strategy registry
(:data:`STRATEGIES`); torch, transformers and onnxruntime are imported inside the jobs.
"""

from engine.active_learning import bald as _bald  # noqa: F401  (registers "bald")
from engine.active_learning.cold_start import cold_start
from engine.active_learning.pool import DEFAULT_MAX_POOL, RescoreResult
from engine.active_learning.queue import COLD_START, QueueItem, next_segments, queue_page
from engine.active_learning.rescore import rescore
from engine.active_learning.strategies import (
    DEFAULT_STRATEGY,
    STRATEGIES,
    Head,
    ModelOutputs,
    Strategy,
    get_strategy,
    register,
    strategy_names,
)

__all__ = [
    "COLD_START",
    "DEFAULT_MAX_POOL",
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "Head",
    "ModelOutputs",
    "QueueItem",
    "RescoreResult",
    "Strategy",
    "cold_start",
    "get_strategy",
    "next_segments",
    "queue_page",
    "register",
    "rescore",
    "strategy_names",
]
