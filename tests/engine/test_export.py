"""ONNX export of a tiny model version: layout, validation, atomicity, cancel, model card."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from engine.errors import Cancelled, ExportValidationError, ValidationError
from engine.export import exporter as export_module
from engine.export.exporter import STAGES, ExportResult, export_model
from engine.inference.predictor import Predictor
from engine.progress import CancelToken, ProgressEvent
from tests.engine.tiny_model import build_tiny_model

META = {
    "labels": ["PER", "LOC", "ORG"],
    "max_length": 16,
    "stride": 4,
    "base_model": "tiny-bert",
    "counts": {"train": 12, "eval": 3},
    "metrics": {"f1": 0.5, "precision": 0.4, "recall": 0.6},
    "decoding": "first-subtoken-bio",
}


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "v0001", spantune=META)


@pytest.fixture(scope="module")
def exported(
    source: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ExportResult, list[ProgressEvent]]:
    events: list[ProgressEvent] = []
    out = tmp_path_factory.mktemp("exports") / "v0001-onnx"
    result = export_model(source, out, on_event=events.append, sample_texts=["Mary in Paris"])
    return result, events


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_export_layout_and_metadata(exported: tuple[ExportResult, list[ProgressEvent]]) -> None:
    result, events = exported
    folder = result.path
    files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
    assert files == {
        "config.json", "tokenizer.json", "tokenizer_config.json", "model.onnx", "onnx/model.onnx",
        "onnx/model_quantized.onnx", "head.npz", "spantune.json", "README.md", "example.py",
    }  # fmt: skip
    assert _leftovers(folder.parent) == []
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["BertForTokenClassification"]
    assert config["id2label"]["1"] == "B-PER" and config["label2id"]["I-ORG"] == 6
    meta = json.loads((folder / "spantune.json").read_text())
    assert {k: meta[k] for k in META} == META
    export = meta["export"]
    assert export["validation"]["max_abs_logit_diff"] <= 1e-4
    assert export["validation"]["windows"] > export["validation"]["texts"]  # long text windowed
    quant = export["quantization"]
    assert quant["method"] == "spantune.per_token_int8"
    assert quant["nodes_excluded"] == ["/model/classifier/MatMul"]
    _assert_per_token_graph(folder / "onnx" / "model_quantized.onnx")
    assert 0.9 <= quant["token_argmax_agreement"] <= 1 and 0.8 <= quant["entity_agreement"] <= 1
    assert result.max_abs_logit_diff <= 1e-4 and result.quantized
    assert result.token_argmax_agreement == quant["token_argmax_agreement"]
    head = np.load(folder / "head.npz")
    assert head["weight"].shape == (7, 32) and head["weight"].dtype == np.float32
    assert [e.stage for e in events] == [*STAGES, "write"]
    assert events[-1].done == events[-1].total


def test_onnx_graph_interface(exported: tuple[ExportResult, list[ProgressEvent]]) -> None:
    import onnx

    folder = exported[0].path
    graph = onnx.load(str(folder / "model.onnx")).graph
    inputs = {i.name: [d.dim_param for d in i.type.tensor_type.shape.dim] for i in graph.input}
    assert inputs == {
        n: ["batch", "sequence"] for n in ("input_ids", "attention_mask", "token_type_ids")
    }
    assert [o.name for o in graph.output] == ["logits", "last_hidden_state"]
    assert (folder / "onnx/model.onnx").read_bytes() == (folder / "model.onnx").read_bytes()
    quant = onnx.load(str(folder / "onnx/model_quantized.onnx")).graph
    ops = {n.op_type for n in quant.node}
    # per-token int8: a scale per row (QuantizeLinear), no per-batch DynamicQuantizeLinear
    assert {"QuantizeLinear", "MatMulInteger"} <= ops and "DynamicQuantizeLinear" not in ops
    assert any(n.name == "/model/classifier/MatMul" and n.op_type == "MatMul" for n in quant.node)


def test_reference_decode_reproduces_the_predictor_from_any_cwd(
    exported: tuple[ExportResult, list[ProgressEvent]], tmp_path: Path
) -> None:
    import subprocess
    import sys

    folder = exported[0].path
    readme = (folder / "README.md").read_text()
    assert (
        'dtype: "q8"' in readme
        and 'subfolder="onnx", file_name="model_quantized.onnx"' in readme
        and "U.S." in readme
    )
    meta = json.loads((folder / "spantune.json").read_text())
    assert set(meta["words"]["rules"]) == {"whitespace", "spantune"}
    texts = ["Mary Jones visited Paris", "C$ 3M AL-AIN U.S.", "Google staff , Berlin ."]
    int8 = Predictor(folder, quantized=True)
    assert all(len(ids) <= int8.max_length - 2 for ids in int8.encode(texts)[0])  # one window
    blocker = (
        "import runpy, sys\nfor m in ('torch', 'transformers', 'engine'):\n"
        "    sys.modules[m] = None\n"
        f"sys.argv = ['example.py', *{texts!r}]\n"
        f"runpy.run_path({str(folder / 'example.py')!r}, run_name='__main__')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocker], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    got = [json.loads(line)["spans"] for line in done.stdout.splitlines()]
    want = int8.predict(texts, pretokenized=True)
    assert got == [
        [{"start": e.start, "end": e.end, "label": e.label, "text": e.text} for e in es]
        for es in want
    ]
    assert any(got)
    snippet = re.search(r"```python\n(.*?)```", readme, re.S)
    assert snippet is not None and "example.py" in snippet.group(1)


def test_refuses_non_empty_target_and_overwrites_whole(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ValidationError, match="already holds files"):
        export_model(source, target, quantize=False)
    assert (target / "keep.txt").exists() and _leftovers(tmp_path) == []
    export_model(source, target, quantize=False, overwrite=True)
    assert not (target / "keep.txt").exists() and (target / "model.onnx").exists()
    assert not (target / "onnx/model_quantized.onnx").exists()
    assert _leftovers(tmp_path) == []
    Predictor(target).predict(["John Smith"])  # falls back to fp32


@pytest.mark.parametrize("stage", ["export", "validate", "quantize", "write"])
def test_cancel_leaves_nothing_behind(source: Path, tmp_path: Path, stage: str) -> None:
    token = CancelToken()

    def on_event(event: ProgressEvent) -> None:
        if event.stage == stage:
            token.cancel()

    with pytest.raises(Cancelled):
        export_model(source, tmp_path / "out", on_event=on_event, cancel=token)
    assert list(tmp_path.iterdir()) == []


def test_validation_failure_writes_nothing(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export_module._torch_runner

    def drifting(wrapper, names):  # type: ignore[no-untyped-def]
        run = real(wrapper, names)
        return lambda batch: (run(batch)[0] + 1e-3, run(batch)[1])

    monkeypatch.setattr(export_module, "_torch_runner", drifting)
    with pytest.raises(ExportValidationError, match="differs from torch"):
        export_model(source, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_export_without_spantune_json_uses_defaults(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = build_tiny_model(tmp_path / "src")
    result = export_model(source, tmp_path / "out", quantize=False)
    meta = json.loads((result.path / "spantune.json").read_text())
    assert meta["labels"] == ["PER", "LOC", "ORG"] and meta["max_length"] == 256
    assert meta["stride"] == 64 and meta["export"]["quantization"] is None
    assert result.token_argmax_agreement is None
    # without int8, the card's snippets and example.py load the fp32 file that exists
    card = (result.path / "README.md").read_text()
    assert not (result.path / "onnx" / "model_quantized.onnx").exists()
    assert "(no int8 file)" in card and 'file_name="model.onnx"' in card
    assert '"model_quantized.onnx"' not in card and 'dtype: "q8"' not in card
    text = "Mary Jones visited Paris"
    done = subprocess.run(
        [sys.executable, str(result.path / "example.py"), text],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    want = Predictor(result.path, quantized=False).predict([text], pretokenized=True)[0]
    got = json.loads(done.stdout)["spans"]
    assert [(e["start"], e["end"], e["label"]) for e in got] == [
        (e.start, e.end, e.label) for e in want
    ]


def test_optimum_loads_the_folder(exported: tuple[ExportResult, list[ProgressEvent]]) -> None:
    ort_model = pytest.importorskip("optimum.onnxruntime")
    from transformers import AutoTokenizer

    folder = exported[0].path
    model = ort_model.ORTModelForTokenClassification.from_pretrained(folder)
    tok = AutoTokenizer.from_pretrained(folder)
    logits = model(**tok(["John Smith lives in Paris"], return_tensors="pt")).logits
    assert logits.shape[-1] == 7


class _FixedPredictor:
    """Stands in for the ONNX side of check_parity: one batch, fixed outputs."""

    def __init__(self, logits: np.ndarray) -> None:
        self.logits = logits

    def model_inputs(self, texts, batch_size):  # type: ignore[no-untyped-def]
        yield {"input_ids": np.zeros(self.logits.shape[:2], dtype=np.int64)}

    def run(self, batch, hidden=False):  # type: ignore[no-untyped-def]
        return {"logits": self.logits, "last_hidden_state": np.zeros((*self.logits.shape[:2], 4))}


@pytest.mark.parametrize(
    ("scale", "drift", "passes"),
    [
        (15.0, 1.6e-4, True),  # a real model's large logits: float32 rounding, not a bad export
        (15.0, 5e-3, False),
        (0.01, 1.6e-4, False),  # near zero only the absolute bound applies
        (0.01, 5e-5, True),
    ],
)
def test_parity_tolerance_is_relative_to_the_logit(
    scale: float, drift: float, passes: bool
) -> None:
    from engine.export.validate import check_parity

    want = np.full((1, 3, 5), scale, dtype=np.float64)
    fake = _FixedPredictor(want + drift)
    hidden = np.zeros((1, 3, 4))
    run = lambda batch: (want, hidden)  # noqa: E731
    if passes:
        report = check_parity(run, fake, ["x"])  # type: ignore[arg-type]
        assert report.max_abs_logit_diff == pytest.approx(drift)
        assert report.logit_tolerance_used <= 1.0
    else:
        with pytest.raises(ExportValidationError, match="differs from torch"):
            check_parity(run, fake, ["x"])  # type: ignore[arg-type]


def test_a_kill_between_the_renames_gets_the_old_export_back(tmp_path: Path) -> None:
    from engine.export.folder import recover_leftovers, target_lock

    target = tmp_path / "out"
    old = tmp_path / ".out.old-1234abcd"  # a previous export renamed aside, then the kill
    old.mkdir()
    (old / "model.onnx").write_bytes(b"old")
    stale = tmp_path / ".out.staging-xyz.tmp"
    stale.mkdir()
    other = tmp_path / ".out.x.staging-abc.tmp"  # another target's build: not ours to touch
    other.mkdir()
    with target_lock(target):
        assert (target / "model.onnx").read_bytes() == b"old"
        assert not old.exists() and not stale.exists() and other.exists()
        assert (tmp_path / ".out.lock").exists()
    assert not (tmp_path / ".out.lock").exists()
    assert recover_leftovers(target) == []


def test_two_writers_of_one_export_folder_are_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    from engine.export.folder import target_lock

    target = tmp_path / "out"
    with target_lock(target):
        code = (
            "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]); "
            "from engine.export.folder import target_lock\n"
            "with target_lock(Path(sys.argv[1])): pass"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, str(target), str(Path(__file__).resolve().parents[2])],
            capture_output=True,
            text=True,
        )
        assert done.returncode != 0 and "another process is writing" in done.stderr
    with target_lock(target):  # free again once released
        pass


def _assert_per_token_graph(path: Path) -> None:
    """Standard ONNX ops only; every weight MatMul but the classifier's runs in int8, and the
    word-embedding table is int8."""
    import onnx

    model = onnx.load(str(path))
    graph = model.graph
    onnx.checker.check_model(model, full_check=True)
    assert {n.domain for n in graph.node} <= {""}  # any ONNX runtime can run it
    weights = {t.name: t for t in graph.initializer}
    fp32_matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
    assert fp32_matmuls == ["/model/classifier/MatMul"]
    int8 = [n for n in graph.node if n.op_type == "MatMulInteger"]
    assert len(int8) == 2 * 6  # two layers: Q, K, V, attention output, feed-forward in and out
    assert all(weights[n.input[1]].data_type == onnx.TensorProto.INT8 for n in int8)
    lookup = [n for n in graph.node if n.op_type == "Gather" and "input_ids" in n.input]
    tables = sorted((weights[n.input[0]].data_type, weights[n.input[0]].dims[1]) for n in lookup)
    assert tables == [(onnx.TensorProto.FLOAT, 1), (onnx.TensorProto.INT8, 32)]  # rows, scales


def test_int8_entities_do_not_depend_on_the_batch(
    exported: tuple[ExportResult, list[ProgressEvent]],
) -> None:
    folder = exported[0].path
    words = ["Mary", "Jones", "visited", "Paris", "and", "Berlin", "with", "Google", "staff"]
    texts = [" ".join(words[: 2 + i % 8] * (1 + i % 5)) + f" {i}" for i in range(64)]
    int8 = Predictor(folder, quantized=True)
    runs = {}
    for size in (1, 8, 32):
        preds = int8.predict_arrays(texts, batch_size=size)
        runs[size] = (
            [[(e.start, e.end, e.label) for e in p.entities] for p in preds],
            [p.word_probs.argmax(-1).tolist() for p in preds],
        )
    assert runs[1] == runs[8] == runs[32]
    assert any(runs[1][0])  # the tiny model does find entities, so the check has teeth
    quant = json.loads((folder / "spantune.json").read_text())["export"]["quantization"]
    assert quant["batch_identical"] == 1.0 and quant["batch_sizes"] == [1, 8, 32]
    assert quant["method"] == "spantune.per_token_int8" and quant["batch_independent"]
    assert int8.default_batch_size == 32  # per-token scales: the fast batch is safe


def test_predict_words_whitespace_and_conll_io(
    exported: tuple[ExportResult, list[ProgressEvent]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli.main import main

    folder = exported[0].path
    texts = ["C$ 3M AL-AIN U.S. Mary", "Google staff , Berlin ."]
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts) + "\n", encoding="utf-8")
    assert main(["predict", str(folder), str(raw), "--words", "whitespace"]) == 0
    got = [json.loads(line)["spans"] for line in capsys.readouterr().out.splitlines()]
    want = Predictor(folder).predict(texts, pretokenized=True)
    assert [[(s["start"], s["end"], s["label"]) for s in g] for g in got] == [
        [(e.start, e.end, e.label) for e in es] for es in want
    ]
    conll = tmp_path / "in.conll"
    conll.write_text(
        "-DOCSTART- -X- O\n\n"
        + "\n\n".join("\n".join(f"{tok} NNP O" for tok in t.split()) for t in texts)
        + "\n",
        encoding="utf-8",
    )
    assert main(["predict", str(folder), str(conll), "--input", "conll", "--format", "conll"]) == 0
    blocks = capsys.readouterr().out.strip("\n").split("\n\n")
    assert [[line.split()[0] for line in b.splitlines()] for b in blocks] == [
        t.split() for t in texts
    ]  # one line per input token, in order
    for block, ents in zip(blocks, want, strict=True):
        tags = [line.split()[1] for line in block.splitlines()]
        assert sum(t.startswith("B-") for t in tags) == len(ents)


def test_modernbert_head_reads_what_the_classifier_reads(tmp_path: Path) -> None:
    """ModernBERT puts a dense/norm head before its classifier: head.npz must still hold."""
    import shutil

    transformers = pytest.importorskip("transformers")
    if not hasattr(transformers, "ModernBertForTokenClassification"):
        pytest.skip("this transformers has no ModernBERT")
    from tests.engine.tiny_model import tiny_vocab

    bert = build_tiny_model(tmp_path / "bert", ["PER"])
    labels = json.loads((bert / "config.json").read_text())
    config = transformers.ModernBertConfig(
        vocab_size=len(tiny_vocab()),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        max_position_embeddings=128,
        pad_token_id=0,
        cls_token_id=2,
        sep_token_id=3,
        bos_token_id=2,
        eos_token_id=3,
        global_attn_every_n_layers=1,
        local_attention=16,
        id2label=labels["id2label"],
        label2id=labels["label2id"],
    )
    folder = tmp_path / "modernbert"
    transformers.ModernBertForTokenClassification(config).save_pretrained(folder)
    for f in bert.iterdir():
        if f.name.startswith(("tokenizer", "vocab", "special")):
            shutil.copy(f, folder / f.name)
    result = export_model(folder, tmp_path / "onnx", quantize=False)
    head = result.metadata["export"]["head"]
    assert head["file"] == "head.npz" and head["max_abs_diff"] < 1e-4
    saved = np.load(result.path / "head.npz")
    predictor = Predictor(result.path, quantized=False)
    batch = predictor.model_inputs(["john smith visited paris"])[0]
    out = predictor.run(batch, hidden=True)
    np.testing.assert_allclose(
        out["last_hidden_state"] @ saved["weight"].T + saved["bias"], out["logits"], atol=1e-4
    )


_JS_DRIVER = """\
import { pathToFileURL } from "node:url";
import { AutoTokenizer, AutoModelForTokenClassification } from "@huggingface/transformers";
const [dir, json] = process.argv.slice(2);
const texts = JSON.parse(json);
const card = await import(pathToFileURL(dir + "/example.mjs").href);
const opts = { local_files_only: true };
const tokenizer = await AutoTokenizer.from_pretrained(dir, opts);
const model = await AutoModelForTokenClassification.from_pretrained(dir, { ...opts, dtype: "q8" });
async function tags(size) {  // argmax tag of every real sub-token, texts batched in file order
  const out = [];
  for (let s = 0; s < texts.length; s += size) {
    const enc = await tokenizer(texts.slice(s, s + size), { padding: true });
    const { logits } = await model(enc);
    const [n, len, k] = logits.dims;
    const mask = enc.attention_mask.tolist();
    for (let b = 0; b < n; b++) {
      const row = [];
      for (let t = 0; t < len && Number(mask[b][t]); t++) {
        let best = 0;
        for (let j = 1; j < k; j++) {
          if (logits.data[(b * len + t) * k + j] > logits.data[(b * len + t) * k + best]) best = j;
        }
        row.push(best);
      }
      out.push(row);
    }
  }
  return out;
}
const entities = [];
for (const text of texts) entities.push(await card.entities(text));
const tagged = { 1: await tags(1), 8: await tags(8), 32: await tags(32) };
console.log(JSON.stringify({ entities, tags: tagged }));
"""


def transformers_js() -> Path | None:
    """A folder whose ``node_modules`` holds @huggingface/transformers (env
    SPANTUNE_TRANSFORMERS_JS), with ``node`` on PATH; None otherwise."""
    import os
    import shutil

    folder = os.environ.get("SPANTUNE_TRANSFORMERS_JS")
    if not folder or shutil.which("node") is None:
        return None
    root = Path(folder)
    return root if (root / "node_modules" / "@huggingface" / "transformers").is_dir() else None


def test_transformers_js_q8_reproduces_the_predictor_at_every_batch(
    exported: tuple[ExportResult, list[ProgressEvent]], tmp_path: Path
) -> None:
    """The model card's JavaScript decode, run by transformers.js with ``dtype: "q8"`` on the
    static int8 file, gives ``spantune predict --words whitespace``'s entities, and its tags do
    not change when texts are batched (padding and neighbours)."""
    import shutil
    import subprocess

    js = transformers_js()
    if js is None:
        pytest.skip("set SPANTUNE_TRANSFORMERS_JS to a folder with @huggingface/transformers")
    folder = tmp_path / "export"
    shutil.copytree(exported[0].path, folder)
    readme = (folder / "README.md").read_text()
    snippet = re.search(r"```js\n(.*?)```", readme, re.S)
    assert snippet is not None
    (folder / "example.mjs").write_text(snippet.group(1))
    (folder / "driver.mjs").write_text(_JS_DRIVER)
    (folder / "node_modules").symlink_to(js / "node_modules")
    words = ["Mary", "Jones", "visited", "Paris", "and", "Berlin", "with", "Google", "staff"]
    texts = [" ".join(words[i % 5 : i % 5 + 2 + i % 4]) + f" {i}" for i in range(40)]
    int8 = Predictor(folder, quantized=True)
    assert all(len(ids) <= int8.max_length - 2 for ids in int8.encode(texts)[0])  # one window
    done = subprocess.run(
        ["node", str(folder / "driver.mjs"), str(folder), json.dumps(texts)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    want = [
        [{"start": e.start, "end": e.end, "label": e.label} for e in es]
        for es in int8.predict(texts, pretokenized=True)
    ]
    assert got["entities"] == want
    assert any(want)
    assert got["tags"]["1"] == got["tags"]["8"] == got["tags"]["32"]
