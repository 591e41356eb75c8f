"""Project settings: their defaults and one validator per key (``check_setting``).

Re-exported by :mod:`engine.api`; the store keeps the values (``engine.store.settings``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from engine.errors import ValidationError

DEFAULT_SETTINGS: dict[str, Any] = {
    "base_model": "bundled",
    "eval_share": 0.15,
    "split": "auto",
    "strategy": "mnlp",
    "snap_mode": "expand",
    "max_import_mb": 512,
    "backup_interval_hours": 24,
    "seed": 0,
    "device": "auto",
    "keep_weights": 3,  # versions besides the active one that keep their weights
    "ray": "off",  # where a trained model scores the pool: off (here), local, or an address
}


def _number(key: str, value: Any, lo: float, hi: float, kind: type = float) -> Any:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or (kind is int and not float(value).is_integer())
        or not lo <= value <= hi
    ):
        what = "a whole number" if kind is int else "a number"
        raise ValidationError(f"must be {what} between {lo:g} and {hi:g}, not {value!r}", field=key)
    return kind(value)


def _text(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"must be a non-empty text, not {value!r}", field=key)
    return value


def _one_of(key: str, value: Any, choices: tuple[str, ...] | list[str], what: str) -> str:
    if _text(key, value) not in choices:
        raise ValidationError(
            f"unknown {what} {value!r}; choose one of {', '.join(choices)}", field=key
        )
    return str(value)


def _base_model(key: str, value: Any) -> str:
    from engine.errors import ModelLoadError
    from engine.models.base import check_base_model_name

    try:
        return check_base_model_name(_text(key, value))
    except ModelLoadError as exc:
        raise ValidationError(str(exc), field=key) from exc


def _strategy(key: str, value: Any) -> str:
    from engine.active_learning.strategies import strategy_names

    return _one_of(key, value, strategy_names(), "strategy")


def _snap_mode(key: str, value: Any) -> str:
    from engine.text.snap import SNAP_MODES

    return _one_of(key, value, SNAP_MODES, "snap mode")


def _split_rule(key: str, value: Any) -> str:
    from engine.store.split import SPLIT_RULES

    return _one_of(key, value, SPLIT_RULES, "split rule")


def _device(key: str, value: Any) -> str:
    from engine.training.device import check_device_name

    return check_device_name(_text(key, value))


def _ray(key: str, value: Any) -> str:
    text = _text(key, value).strip()
    if text in ("off", "local", "auto") or ":" in text:
        return text
    raise ValidationError(
        f"must be off, local, auto or a Ray address such as ray://head:10001, not {value!r}",
        field=key,
    )


# one validator per setting: (key, value) -> normalised value, or ValidationError
_SETTING_CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "base_model": _base_model,
    "eval_share": partial(_number, lo=0.0, hi=0.5),
    "strategy": _strategy,
    "snap_mode": _snap_mode,
    "max_import_mb": partial(_number, lo=1, hi=1024 * 1024),
    "backup_interval_hours": partial(_number, lo=0, hi=24 * 365),  # 0: no scheduled backups
    "seed": partial(_number, lo=0, hi=2**32 - 1, kind=int),
    "split": _split_rule,
    "device": _device,
    "keep_weights": partial(_number, lo=0, hi=1000, kind=int),
    "ray": _ray,
}


def check_setting(key: str, value: Any) -> Any:
    """``value`` for setting ``key`` if it is valid (normalised), else :class:`ValidationError`."""
    if key not in DEFAULT_SETTINGS:
        raise ValidationError(
            f"unknown setting {key!r}; known: {', '.join(DEFAULT_SETTINGS)}", field=key
        )
    validate: Callable[[str, Any], Any] = _SETTING_CHECKS.get(key, _text)
    return validate(key, value)
