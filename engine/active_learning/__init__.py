"""Active learning: query strategies, batch diversity, cold start, the labelling queue, rescoring
and simulation.

Importing the package fills the strategy registry (:data:`STRATEGIES`).
"""

from engine.active_learning import bald as _bald  # noqa: F401  (registers "bald")
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
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "Head",
    "ModelOutputs",
    "Strategy",
    "get_strategy",
    "register",
    "strategy_names",
]
