"""The README.md model card written into an exported folder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.export.reference import EXAMPLE_JS, WORD_RULES, without_int8

# Runs from any working directory with only onnxruntime, tokenizers and numpy (a test runs it).
USAGE_SNIPPET = """\
import runpy
ref = runpy.run_path("path/to/this/folder/example.py")  # paths inside are relative to it
print(ref["entities"]("Angela Merkel visited Paris ."))
"""

OPTIMUM_SNIPPET = """\
from optimum.onnxruntime import ORTModelForTokenClassification
from transformers import AutoTokenizer, pipeline
model = ORTModelForTokenClassification.from_pretrained(
    FOLDER, subfolder="onnx", file_name="model_quantized.onnx")  # fp32: file_name="model.onnx"
nlp = pipeline("token-classification", model=model, tokenizer=AutoTokenizer.from_pretrained(FOLDER))
"""


def _score_line(metrics: dict[str, Any]) -> list[str]:
    f1 = metrics.get("f1")
    if not isinstance(f1, int | float):
        return []
    from engine.training.bootstrap import describe

    lines = [
        f"- micro F1 {describe(metrics)}"
        + (f" ({metrics['split']} split)" if metrics.get("split") else "")
    ]
    for key in ("precision", "recall"):
        value = metrics.get(key)
        if isinstance(value, int | float):
            lines.append(f"- {key}: {value:.3f}")
    if metrics.get("f1_ci"):
        lines.append(
            "- the interval is a 95 % bootstrap over the held-out sentences; text from "
            "other sources usually scores lower"
        )
    return lines


_PER_TOKEN = (
    "per-channel int8 weights (MatMulInteger); each token's activations get their own scale at "
    "run time, so a text's output does not depend on what it is batched with; word-embedding "
    "table int8 per row; the classifier stays fp32"
)


def _quant_lines(quant: dict[str, Any]) -> list[str]:
    if not quant:
        return []
    lines = [
        f"- int8: {_PER_TOKEN}",
        f"- int8 vs fp32 on {quant.get('texts', 0)} texts: sub-token argmax agreement "
        f"{quant.get('token_argmax_agreement', 0):.4f}, entity agreement "
        f"{quant.get('entity_agreement', 0):.4f} ({quant.get('entities_fp32', 0)} fp32 entities)",
    ]
    if quant.get("batch_identical") is not None:
        sizes = ", ".join(str(s) for s in quant.get("batch_sizes", ()))
        lines.append(
            f"- int8 entities identical at batch sizes {sizes}: "
            f"{100 * quant['batch_identical']:.1f} % of texts"
        )
    return lines


def model_card(meta: dict[str, Any], tags: Sequence[str]) -> str:
    """Markdown model card: labels, metrics, files, word rule, decoding and runnable examples."""
    export = meta.get("export", {})
    quant = export.get("quantization") or {}
    validation = export.get("validation", {})
    int8 = ", `onnx/model_quantized.onnx` (int8, per-token)" if quant else " (no int8 file)"
    lines = [
        f"# Spantune NER model ({', '.join(meta.get('labels', [])) or 'no labels'})",
        "",
        f"Token classification fine-tuned from `{meta.get('base_model', 'unknown')}`.",
        f"Tags: {', '.join(tags)}.",
        "",
        "## Files",
        "- `model.onnx`: fp32 ONNX",
        f"- `onnx/model.onnx` (the same fp32 file){int8}: the transformers.js layout",
        "- `config.json`, `tokenizer.json`: label map and fast tokenizer",
        "- `head.npz` (when written): classifier weight/bias; outputs `logits`, "
        "`last_hidden_state`",
        "- `spantune.json`: labels, word rule, window settings, metrics, export validation",
        "- `example.py`: the reference decode below (onnxruntime, tokenizers, numpy; no torch)",
        "",
        "## Words and entities",
        "Each word takes the tag of its first sub-token "
        f"(`{meta.get('decoding', '')}`); `B-X` starts an entity, `I-X` continues an open `X` "
        "entity and otherwise starts one, `O` closes. Texts longer than "
        f"{meta.get('max_length')} sub-tokens run as overlapping windows in Spantune (stride "
        f"{meta.get('stride')}; each token keeps the window where it is most central).",
        "What a word is decides where spans can start and end:",
        *[f"- `{name}`: {text}" for name, text in WORD_RULES.items()],
        "`example.py` implements `whitespace` and reproduces `spantune predict MODEL --words "
        "whitespace` (Python offsets are code points).",
        "",
        "## Usage",
        "Python, without Spantune or torch, from any working directory:",
        "",
        "```python",
        USAGE_SNIPPET.rstrip("\n"),
        "```",
        "",
        "optimum (`ORTModelForTokenClassification`): name the file, and pass a folder plus "
        "`subfolder`/`file_name` (a path inside `file_name` fails). optimum warns that the folder "
        "holds several ONNX files (`model.onnx` twice): the warning is harmless once `file_name` "
        "is given.",
        "",
        "```python",
        OPTIMUM_SNIPPET.rstrip("\n"),
        "```",
        "",
        'transformers.js v4 (Node) loads the fp32 `onnx/model.onnx` by default; `dtype: "q8"` '
        "picks the int8 `onnx/model_quantized.onnx`"
        + ("" if quant else " (not in this export: it was made without int8)")
        + ". The same decode in JavaScript (WordPiece tokenizers; offsets in UTF-16 units):",
        "",
        "```js",
        EXAMPLE_JS.rstrip("\n"),
        "```",
        "",
        "## Validation",
        f"- fp32 vs torch: max |Δlogit| {validation.get('max_abs_logit_diff', float('nan')):.1e}",
        *_quant_lines(quant),
    ]
    score = _score_line(meta.get("metrics") or {})
    if score:
        lines += ["", "## Evaluation (held-out, seqeval micro)", *score]
    card = "\n".join(lines) + "\n"
    return card if quant else without_int8(card)
