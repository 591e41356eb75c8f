"""Torch-free predictor over an exported model folder (onnxruntime + tokenizers + numpy).

How a text is read (the same rule training uses, see :mod:`engine.text.align`):
the raw text is tokenised once with offsets; words come from :func:`engine.text.word_tokens`
(or whitespace for pre-tokenised text); each word takes the logits of its first sub-token; texts
longer than one window run as overlapping windows and each sub-token keeps the prediction of the
window where it is most central; tags are decoded with BIO repair (:mod:`engine.text.bio`).
An entity's score is the mean over its words of the winning tag's probability.

Only onnxruntime, tokenizers, numpy and torch-free engine modules are imported here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ModelLoadError
from engine.inference.decode import decode_entities, softmax
from engine.inference.onnx_scan import check_model_file
from engine.inference.windows import (
    WindowRef,
    clamp_window,
    length_sorted_batches,
    make_windows,
    pack_windows,
    special_tokens,
    window_owners,
)
from engine.text.align import first_subtokens, subtoken_words
from engine.text.bio import OUTSIDE, check_bio_tags
from engine.text.tokens import whitespace_tokens, word_tokens
from engine.types import Entity

log = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 256
DEFAULT_STRIDE = 64
FP32_FILES = ("model.onnx", "onnx/model.onnx")
INT8_FILES = ("onnx/model_quantized.onnx", "model_quantized.onnx")
KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")


@dataclass(frozen=True)
class TextPrediction:
    """Word-level output for one text (reused by active learning and evaluation).

    ``word_offsets``: ``(n_words, 2)`` code points; ``word_probs``: ``(n_words, n_tags)`` softmax
    of each word's first sub-token (one-hot ``O`` for words no sub-token reaches, marked -1 in
    ``first_subtoken``); ``word_hidden``: ``(n_words, hidden)`` final hidden states of those
    sub-tokens (zeros for unreached words) and ``mean_hidden``: ``(hidden,)`` mean over all content
    sub-tokens, both only when asked for.
    """

    text: str
    word_offsets: np.ndarray
    word_probs: np.ndarray
    first_subtoken: np.ndarray
    entities: list[Entity]
    word_hidden: np.ndarray | None = None
    mean_hidden: np.ndarray | None = None


def find_model_file(folder: Path, quantized: bool) -> Path | None:
    """The ONNX file a :class:`Predictor` of ``folder`` loads (None when there is none).

    ``quantized`` prefers the int8 files and falls back to fp32; otherwise only fp32 files count.
    The one list of model files, for the predictor and active learning alike.
    """
    for name in (*INT8_FILES, *FP32_FILES) if quantized else FP32_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def _read_json(path: Path, what: str) -> dict[str, Any]:
    if not path.is_file():
        raise ModelLoadError(f"{path.name} is missing from {path.parent} ({what})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"{path} cannot be read ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path} is not a JSON object")
    return data


def read_tags(config: dict[str, Any], where: str = "config.json") -> list[str]:
    """The BIO tag list from ``config.json``'s ``id2label`` (checked against ``label2id``)."""
    raw = config.get("id2label")
    if not isinstance(raw, dict) or not raw:
        raise ModelLoadError(f"{where} has no id2label label map")
    try:
        by_id = {int(k): str(v) for k, v in raw.items()}
    except ValueError as exc:
        raise ModelLoadError(f"{where}: id2label keys must be integers") from exc
    if sorted(by_id) != list(range(len(by_id))):
        raise ModelLoadError(f"{where}: id2label ids must be 0..{len(by_id) - 1}")
    tags = [by_id[i] for i in range(len(by_id))]
    label2id = config.get("label2id")
    expected = {t: i for i, t in enumerate(tags)}
    if isinstance(label2id, dict) and label2id and _int_map(label2id) != expected:
        raise ModelLoadError(f"{where}: label2id does not match id2label")
    try:
        check_bio_tags(tags)
    except ValueError as exc:
        raise ModelLoadError(f"{where}: {exc}") from exc
    return tags


def _int_map(mapping: dict[Any, Any]) -> dict[str, int] | None:
    try:
        return {str(k): int(v) for k, v in mapping.items()}
    except (TypeError, ValueError):
        return None


def _max_length(meta: dict[str, Any], config: dict[str, Any], tok_config: dict[str, Any]) -> int:
    if isinstance(meta.get("max_length"), int):  # never past the model's position embeddings
        return clamp_window(int(meta["max_length"]), config)
    limits = [DEFAULT_MAX_LENGTH, 512]
    for value in (config.get("max_position_embeddings"), tok_config.get("model_max_length")):
        if isinstance(value, int | float) and 0 < value < 1e6:
            limits.append(int(value))
    return clamp_window(min(limits), config)


def available_cpus() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def session_options(threads: int | None, spin: bool = True) -> Any:
    """onnxruntime options: ``threads`` intra-op threads (default: every core we may use).

    ``spin``: intra-op threads spin while waiting for work. On the int8 model at its default
    batch of 8 (CoNLL-2003 test, 2 cores, nothing else running) spinning gave 768-843 sentences/s
    against 572-592 without; the app runs one job at a time, so the cores are ours. Where other
    CPU-heavy work runs beside inference, spinning costs that work 10-40 %: pass ``spin=False``.
    One sequential graph needs no inter-op pool.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, threads or available_cpus())
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    opts.log_severity_level = 3
    return opts


_fallback_logged = False


def choose_providers(requested: Sequence[str] | None = None) -> list[str]:
    """``requested`` (default: CUDA then CPU) filtered by what onnxruntime has, CPU last.

    The CUDA provider exists only in the ``onnxruntime-gpu`` build; without it the default
    falls back to the CPU, said once per process in the log.
    """
    import onnxruntime as ort

    global _fallback_logged
    available = set(ort.get_available_providers())
    chosen = [p for p in (requested or PREFERRED_PROVIDERS) if p in available]
    if requested is None and "CUDAExecutionProvider" not in chosen and not _fallback_logged:
        _fallback_logged = True
        log.info(
            "onnxruntime runs on the CPU: its CUDA provider is not installed "
            "(pip install onnxruntime-gpu for GPU inference)"
        )
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


# Windows per onnxruntime run. Dynamic int8 (the oldest exports) quantises
# activations per tensor, i.e. over the whole padded batch, so one sentence's outliers coarsen
# every other sentence's scale: on CoNLL-2003 test int8 lost 0.59 F1 points at batch 32, 0.28 at
# batch 8 and 0.22 at batch 1. Static (calibrated) int8 has fixed scales and per-token int8
# (today's exports) one scale per token, so a sentence's output does not depend on its
# neighbours and it runs at the fp32 batch size.
INT8_BATCH = 32
DYNAMIC_INT8_BATCH = 8
FP32_BATCH = 32


class Predictor:
    """Run an exported model folder on texts.

    ``quantized`` picks ``onnx/model_quantized.onnx`` (falling back to fp32 when the folder has
    none); ``threads`` sets onnxruntime's intra-op threads, ``spin`` whether they spin while
    idle (see :func:`session_options`). Raises :class:`ModelLoadError` for a
    folder missing ``config.json``/``tokenizer.json``/a model, an inconsistent label map, a
    truncated model, custom operators or external data outside the folder.
    """

    def __init__(
        self,
        folder: str | Path,
        quantized: bool = True,
        threads: int | None = None,
        providers: Sequence[str] | None = None,
        *,
        spin: bool = True,
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise ModelLoadError(f"model folder {self.folder} does not exist")
        config = _read_json(self.folder / "config.json", "model configuration with id2label")
        self.tags = read_tags(config, str(self.folder / "config.json"))
        self.labels = check_bio_tags(self.tags)
        meta_path = self.folder / "spantune.json"
        self.meta = _read_json(meta_path, "spantune metadata") if meta_path.exists() else {}
        self._check_labels()
        tok_cfg_path = self.folder / "tokenizer_config.json"
        tok_config = _read_json(tok_cfg_path, "tokenizer") if tok_cfg_path.exists() else {}
        self.max_length = _max_length(self.meta, config, tok_config)
        stride = self.meta.get("stride", DEFAULT_STRIDE)
        self.stride = int(stride) if isinstance(stride, int) else DEFAULT_STRIDE
        self._tokenizer = self._load_tokenizer()
        pad_token = tok_config.get("pad_token")
        self.special = special_tokens(self._tokenizer, pad_token, config.get("pad_token_id"))
        if self.max_length <= self.special.count:
            raise ModelLoadError(f"max_length {self.max_length} leaves no room for text")
        self.model_path = self._model_file(quantized)
        self.quantized = self.model_path.name != "model.onnx"
        check_model_file(self.model_path, self.folder)
        self._session = self._create_session(threads, providers, spin)
        self._check_io()

    # ---- loading ---------------------------------------------------------------------------

    def _check_labels(self) -> None:
        wanted = self.meta.get("labels")
        if isinstance(wanted, list) and set(map(str, wanted)) != set(self.labels):
            raise ModelLoadError(
                f"{self.folder}: spantune.json labels {sorted(map(str, wanted))} do not match the "
                f"tags in config.json {self.tags}"
            )

    def _load_tokenizer(self) -> Any:
        from tokenizers import Tokenizer

        path = self.folder / "tokenizer.json"
        if not path.is_file():
            raise ModelLoadError(f"tokenizer.json is missing from {self.folder}")
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a bare Exception for malformed files
            raise ModelLoadError(f"{path} cannot be loaded ({exc})") from exc
        tokenizer.no_truncation()  # windows keep long texts whole
        tokenizer.no_padding()
        return tokenizer

    def _model_file(self, quantized: bool) -> Path:
        path = find_model_file(self.folder, quantized)
        if path is None:
            raise ModelLoadError(f"{self.folder} has no model.onnx (export the model first)")
        if quantized and path.relative_to(self.folder).as_posix() in FP32_FILES:
            log.warning(
                "%s has no quantised model; using fp32 %s",
                self.folder,
                path.relative_to(self.folder).as_posix(),
            )
        return path

    def _create_session(
        self, threads: int | None, providers: Sequence[str] | None, spin: bool
    ) -> Any:
        import onnxruntime as ort

        try:
            return ort.InferenceSession(
                str(self.model_path),
                sess_options=session_options(threads, spin),
                providers=choose_providers(providers),
            )
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidGraph types
            raise ModelLoadError(f"onnxruntime cannot load {self.model_path}: {exc}") from exc

    @property
    def providers(self) -> list[str]:
        """The execution providers the session runs on, in order (CUDA first when used)."""
        return list(self._session.get_providers())

    def _check_io(self) -> None:
        self.input_names = [i.name for i in self._session.get_inputs()]
        unknown = [n for n in self.input_names if n not in KNOWN_INPUTS]
        if unknown or "input_ids" not in self.input_names:
            raise ModelLoadError(
                f"{self.model_path} has inputs {self.input_names}; expected input_ids, "
                "attention_mask and optionally token_type_ids"
            )
        outputs = {o.name: o for o in self._session.get_outputs()}
        if "logits" not in outputs:
            raise ModelLoadError(f"{self.model_path} has no 'logits' output")
        self.output_names = list(outputs)
        self.has_hidden = "last_hidden_state" in outputs
        width = outputs["logits"].shape[-1] if outputs["logits"].shape else None
        if not isinstance(width, int):
            width = int(self._probe()["logits"].shape[-1])
        if width != len(self.tags):
            raise ModelLoadError(
                f"{self.model_path} predicts {width} tags but config.json's id2label has "
                f"{len(self.tags)}; the label map does not belong to this model"
            )

    # ---- running ---------------------------------------------------------------------------

    def _feed(self, arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {name: arrays[name] for name in self.input_names}

    def run(self, arrays: dict[str, np.ndarray], *, hidden: bool = False) -> dict[str, np.ndarray]:
        """Run one padded batch (``pack_windows`` output); returns ``logits`` (+ hidden)."""
        names = ["logits"] + (["last_hidden_state"] if hidden else [])
        if hidden and not self.has_hidden:
            raise ModelLoadError(f"{self.model_path} has no last_hidden_state output")
        return dict(zip(names, self._session.run(names, self._feed(arrays)), strict=True))

    def encode(self, texts: Sequence[str]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Sub-token ids and ``(n, 2)`` code-point offsets of each text (no special tokens)."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
        offsets = [np.asarray(e.offsets, dtype=np.int64).reshape(-1, 2) for e in encodings]
        return ids, offsets

    def windows(self, ids: Sequence[np.ndarray]) -> list[list[WindowRef]]:
        """The windows of each text (content length ``max_length`` minus special tokens)."""
        room = self.max_length - self.special.count
        out: list[list[WindowRef]] = []
        for t, x in enumerate(ids):
            spans = make_windows(len(x), room, self.stride)
            out.append([WindowRef(t, s, e, k) for k, (s, e) in enumerate(spans)])
        return out

    def model_inputs(
        self, texts: Sequence[str], batch_size: int = 32
    ) -> list[dict[str, np.ndarray]]:
        """The exact padded batches :meth:`predict_arrays` runs (used by export validation)."""
        ids, _ = self.encode(texts)
        refs = [r for per_text in self.windows(ids) for r in per_text]
        return [pack_windows(b, ids, self.special) for b in length_sorted_batches(refs, batch_size)]

    @property
    def default_batch_size(self) -> int:
        """Windows per run: :data:`FP32_BATCH`, and :data:`DYNAMIC_INT8_BATCH` for a dynamic
        int8 file (smaller batches couple fewer sentences' scales)."""
        if not self.quantized:
            return FP32_BATCH
        return DYNAMIC_INT8_BATCH if self.dynamic_int8 else INT8_BATCH

    @property
    def dynamic_int8(self) -> bool:
        """True for a dynamic int8 file (the oldest exports), whose output depends on the batch;
        False for static (``quantize_static``) and per-token (``batch_independent``) int8."""
        export = self.meta.get("export")
        quant = export.get("quantization") if isinstance(export, dict) else None
        if not self.quantized or not isinstance(quant, dict):
            return self.quantized
        return not (quant.get("batch_independent") or str(quant.get("method")).endswith("static"))

    def predict(
        self, texts: Sequence[str], *, batch_size: int | None = None, pretokenized: bool = False
    ) -> list[list[Entity]]:
        """Entities of each text (offsets in code points on that text)."""
        preds = self.predict_arrays(texts, batch_size=batch_size, pretokenized=pretokenized)
        return [p.entities for p in preds]

    def predict_arrays(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        pretokenized: bool = False,
        hidden: bool = False,
        words: Sequence[Sequence[tuple[int, int]]] | None = None,
    ) -> list[TextPrediction]:
        """Word-level probabilities, offsets, entities (and hidden states) of each text.

        ``words`` overrides the word tokens (``(start, end)`` per word, sorted); otherwise they
        come from :func:`word_tokens` or, with ``pretokenized``, from whitespace. ``batch_size``
        defaults to :attr:`default_batch_size`.
        """
        batch_size = batch_size or self.default_batch_size
        texts = list(texts)
        ids, offsets = self.encode(texts)
        per_text = self.windows(ids)
        logits = [np.zeros((len(x), len(self.tags)), np.float32) for x in ids]
        states: list[np.ndarray] | None = None
        refs = [r for rs in per_text for r in rs]
        owners = [
            window_owners(len(x), [(r.start, r.end) for r in rs])
            for x, rs in zip(ids, per_text, strict=True)
        ]
        lead = len(self.special.prefix)
        for batch in length_sorted_batches(refs, batch_size):
            out = self.run(pack_windows(batch, ids, self.special), hidden=hidden)
            if hidden and states is None:
                size = out["last_hidden_state"].shape[-1]
                states = [np.zeros((len(x), size), np.float32) for x in ids]
            for row, ref in enumerate(batch):
                keep = np.nonzero(owners[ref.text][ref.start : ref.end] == ref.index)[0]
                logits[ref.text][ref.start + keep] = out["logits"][row, lead + keep]
                if states is not None:
                    states[ref.text][ref.start + keep] = out["last_hidden_state"][row, lead + keep]
        if hidden and states is None:  # every text was empty: still return hidden arrays
            states = [np.zeros((0, self._hidden_size()), np.float32) for _ in ids]
        return [
            self._text_prediction(i, text, offsets[i], logits[i], states, words, pretokenized)
            for i, text in enumerate(texts)
        ]

    def _probe(self, hidden: bool = False) -> dict[str, np.ndarray]:
        """Run a text-free window (special tokens only) to read output widths."""
        empty = pack_windows([WindowRef(0, 0, 0)], [np.zeros(0, np.int64)], self.special)
        return self.run(empty, hidden=hidden)

    def _hidden_size(self) -> int:
        return int(self._probe(hidden=True)["last_hidden_state"].shape[-1])

    def _text_prediction(
        self,
        i: int,
        text: str,
        offsets: np.ndarray,
        logits: np.ndarray,
        states: list[np.ndarray] | None,
        words: Sequence[Sequence[tuple[int, int]]] | None,
        pretokenized: bool,
    ) -> TextPrediction:
        if words is not None:
            spans = np.asarray(words[i], dtype=np.int64).reshape(-1, 2)
        else:
            split = whitespace_tokens if pretokenized else word_tokens
            spans = np.asarray([tuple(t) for t in split(text)], dtype=np.int64).reshape(-1, 2)
        first = first_subtokens(subtoken_words(offsets, spans), len(spans))
        reached = first >= 0
        probs = np.zeros((len(spans), len(self.tags)), np.float32)
        probs[~reached, self.tags.index(OUTSIDE)] = 1.0
        probs[reached] = softmax(logits[first[reached]])
        word_hidden = mean_hidden = None
        if states is not None:
            sub = states[i]
            word_hidden = np.zeros((len(spans), sub.shape[1]), np.float32)
            word_hidden[reached] = sub[first[reached]]
            mean_hidden = sub.mean(axis=0) if len(sub) else np.zeros(sub.shape[1], np.float32)
        entities = decode_entities(text, spans, probs, self.tags)
        return TextPrediction(text, spans, probs, first, entities, word_hidden, mean_hidden)
