"""The README.md model card written into an exported folder."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Runs from inside the exported folder with only onnxruntime, tokenizers and numpy installed
# (a test executes it). Ten lines at most.
USAGE_SNIPPET = """\
import json, numpy as np, onnxruntime as ort
from tokenizers import Tokenizer
tok = Tokenizer.from_file("tokenizer.json")
sess = ort.InferenceSession("onnx/model_quantized.onnx")  # or "model.onnx" (fp32)
id2label = json.load(open("config.json"))["id2label"]
enc = tok.encode("Angela Merkel visited Paris.")
names = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
feed = {i.name: np.array([getattr(enc, names[i.name])], np.int64) for i in sess.get_inputs()}
logits = sess.run(["logits"], feed)[0][0]
print([(t, id2label[str(i)]) for t, i in zip(enc.tokens, logits.argmax(-1))])
"""


def _metrics_lines(metrics: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("f1", "precision", "recall"):
        value = metrics.get(key)
        if isinstance(value, int | float):
            lines.append(f"- {key}: {value:.3f}")
    return lines


def model_card(meta: dict[str, Any], tags: Sequence[str]) -> str:
    """Markdown model card: labels, metrics, files, decoding rule and a runnable example."""
    export = meta.get("export", {})
    quant = export.get("quantization") or {}
    validation = export.get("validation", {})
    lines = [
        f"# Spantune NER model ({', '.join(meta.get('labels', [])) or 'no labels'})",
        "",
        f"Token classification fine-tuned from `{meta.get('base_model', 'unknown')}`.",
        f"Tags: {', '.join(tags)}.",
        "",
        "## Files",
        "- `model.onnx`: fp32 ONNX (loads with optimum's `ORTModelForTokenClassification`)",
        "- `onnx/model.onnx`, `onnx/model_quantized.onnx`: transformers.js layout (int8 dynamic)",
        "- `config.json`, `tokenizer.json`: label map and fast tokenizer",
        "- `head.npz`: classifier weight/bias; outputs `logits` and `last_hidden_state`",
        "- `spantune.json`: labels, window settings, metrics, export validation",
        "",
        "## Usage (onnxruntime, tokenizers, numpy)",
        "",
        "```python",
        USAGE_SNIPPET.rstrip("\n"),
        "```",
        "",
        "## How Spantune reads predictions",
        f"Each word takes the tag of its first sub-token (`{meta.get('decoding', '')}`); an `I-X` "
        "that does not continue an `X` entity starts a new one. Texts longer than "
        f"{meta.get('max_length')} tokens run as overlapping windows (stride "
        f"{meta.get('stride')}); each token keeps the window where it is most central.",
        "",
        "## Validation",
        f"- fp32 vs torch: max |Δlogit| {validation.get('max_abs_logit_diff', float('nan')):.1e}",
    ]
    if quant:
        lines.append(
            f"- int8 vs fp32: token argmax agreement {quant.get('token_argmax_agreement', 0):.4f}, "
            f"entity agreement {quant.get('entity_agreement', 0):.4f}"
        )
    metrics = _metrics_lines(meta.get("metrics") or {})
    if metrics:
        lines += ["", "## Evaluation (held-out, seqeval micro)", *metrics]
    return "\n".join(lines) + "\n"
