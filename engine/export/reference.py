"""The reference decode shipped in every export: ``example.py`` (Python) and a JavaScript twin.

Both reproduce ``spantune predict MODEL --words whitespace`` for texts that fit one window:
words are maximal runs of non-whitespace; each word takes the tag of its first sub-token; ``B-X``
starts an entity, ``I-X`` continues an open ``X`` entity (else starts one), ``O`` closes.
``example.py`` runs with onnxruntime, tokenizers and numpy alone, from any working directory
(paths are relative to the file); a test executes it against the predictor.
"""

from __future__ import annotations

# The word rules written into spantune.json ("words") and the model card.
WORD_RULES: dict[str, str] = {
    "whitespace": "maximal runs of non-whitespace characters (regex \\S+): the tokens of "
    "CoNLL and of clients that split on spaces; `spantune predict --words "
    "whitespace` and `--input conll`",
    "spantune": "engine.text.tokens.word_tokens: letters/digits runs with inner "
    "apostrophes, abbreviations such as U.S. kept whole, hyphens and other "
    "punctuation split off, one token per Han ideograph; `spantune predict` default",
}

EXAMPLE_PY = '''\
"""Reference decode of this model without Spantune: python example.py "some text" (any cwd).

Whitespace words; each word takes its first sub-token's tag; B-X starts an entity, I-X
continues an open X entity (else starts one), O closes. Reproduces `spantune predict MODEL
--words whitespace` for texts within the model's window (longer ones need Spantune's windows).
"""
import json
import re
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

HERE = Path(__file__).resolve().parent  # paths relative to this file, not to the cwd
tok = Tokenizer.from_file(str(HERE / "tokenizer.json"))
sess = ort.InferenceSession(str(HERE / "onnx" / "model_quantized.onnx"))  # fp32: "model.onnx"
id2label = json.loads((HERE / "config.json").read_text(encoding="utf-8"))["id2label"]
NAMES = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


def entities(text):
    enc = tok.encode(text)
    feed = {i.name: np.array([getattr(enc, NAMES[i.name])], np.int64) for i in sess.get_inputs()}
    best = sess.run(["logits"], feed)[0][0].argmax(-1)
    found, open_kind = [], None
    for word in re.finditer(r"\\S+", text):
        first = next((k for k, (s, e) in enumerate(enc.offsets)
                      if s < e and s < word.end() and e > word.start()), None)
        tag = id2label[str(best[first])] if first is not None else "O"
        kind = tag[2:] if tag[:2] in ("B-", "I-") else None
        if kind and tag.startswith("I-") and kind == open_kind:
            found[-1]["end"] = word.end()
        elif kind:
            found.append({"start": word.start(), "end": word.end(), "label": kind})
        open_kind = kind
    return [{**f, "text": text[f["start"]:f["end"]]} for f in found]


if __name__ == "__main__":
    for line in sys.argv[1:] or ["Angela Merkel visited Paris ."]:
        print(json.dumps({"text": line, "spans": entities(line)}, ensure_ascii=False))
'''

# Not executed by the tests (no Node packages there): the same rule in transformers.js v4.
EXAMPLE_JS = """\
import { AutoTokenizer, AutoModelForTokenClassification } from "@huggingface/transformers";
const dir = new URL(".", import.meta.url).pathname;        // this folder, whatever the cwd
const opts = { local_files_only: true };
const tokenizer = await AutoTokenizer.from_pretrained(dir, opts);
const model = await AutoModelForTokenClassification.from_pretrained(dir, { ...opts, dtype: "q8" });
const id2label = model.config.id2label;

export async function entities(text) {
  const words = [...text.matchAll(/\\S+/gu)];
  // WordPiece (BERT/MiniLM): a word's pieces do not depend on its neighbours, so the first
  // sub-token of word i sits after [CLS] and the pieces of words 0..i-1.
  let next = 1; const first = words.map((w) => {
    const n = tokenizer.encode(w[0], { add_special_tokens: false }).length;
    const at = n ? next : -1; next += n; return at; });
  const { logits } = await model(await tokenizer(text));
  const [, len, tags] = logits.dims; const data = logits.data;
  const found = []; let open = null;
  words.forEach((w, i) => {
    let best = 0, tag = "O";
    if (first[i] >= 0 && first[i] < len) {
      const row = first[i] * tags;
      for (let t = 1; t < tags; t++) if (data[row + t] > data[row + best]) best = t;
      tag = id2label[best];
    }
    const kind = /^[BI]-/.test(tag) ? tag.slice(2) : null;
    const end = w.index + w[0].length;
    if (kind && tag.startsWith("I-") && kind === open) found.at(-1).end = end;
    else if (kind) found.push({ start: w.index, end, label: kind });
    open = kind;
  });
  return found;   // offsets in UTF-16 code units (JavaScript strings), not code points
}
"""


def without_int8(text: str) -> str:
    """``text`` (example.py, a model-card snippet) for an export made without an int8 file:
    the fp32 ``onnx/model.onnx`` in its place."""
    return text.replace('"model_quantized.onnx"', '"model.onnx"').replace(
        'dtype: "q8"', 'dtype: "fp32"'
    )
