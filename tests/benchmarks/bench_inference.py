"""Inference benchmark on CoNLL-2003 test: speed and F1 of every inference path.

Usage (from the repository root)::

    .venv/bin/python tests/benchmarks/bench_inference.py MODEL_VERSION_DIR [--onnx-dir DIR]
        [--limit N] [--batch-size 32] [--threads N] [--skip-pipeline]

``MODEL_VERSION_DIR`` is a trained version (HF ``save_pretrained`` folder); ``--onnx-dir`` an
export of it (made with ``export_model`` into a temporary folder when omitted). Reads
``../shared/data/conll2003/test.txt`` relative to the repository root and exits with a message
where it is absent. Prints sentences/s and entity F1 (seqeval, micro) for: the transformers
token-classification pipeline (defaults, batch 1), torch (length-sorted batches), the predictor
fp32 and int8 at batch 1 and batched, the cold start of a predictor-only process and its peak RSS,
with ratios against the pipeline and torch batched. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data" / "conll2003" / "test.txt"

from engine.text.align import align_words  # noqa: E402
from engine.text.bio import check_bio_tags, repair_bio  # noqa: E402
from engine.text.tokens import whitespace_tokens  # noqa: E402

Sentence = tuple[list[str], list[str]]


def read_conll(path: Path, limit: int | None) -> list[Sentence]:
    """``(tokens, tags)`` per sentence of a two-column CoNLL file."""
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if tokens:
                sentences.append((tokens, tags))
                tokens, tags = [], []
            continue
        parts = line.split()
        if parts[0] == "-DOCSTART-":
            continue
        tokens.append(parts[0])
        tags.append(parts[-1])
    return sentences[:limit] if limit else sentences


def spans_to_tags(text: str, spans: Sequence[tuple[int, int, str]]) -> list[str]:
    """Word BIO tags of a whitespace-joined sentence from ``(start, end, label)`` spans."""
    words = whitespace_tokens(text)
    tags = ["O"] * len(words)
    for start, end, label in spans:
        inside = [i for i, w in enumerate(words) if w.start >= start and w.end <= end]
        for k, i in enumerate(inside):
            tags[i] = ("B-" if k == 0 else "I-") + label
    return tags


def f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    from seqeval.metrics import f1_score

    return float(f1_score(gold, pred))


def timed(fn: Callable[[], list[list[str]]]) -> tuple[float, list[list[str]]]:
    began = time.perf_counter()
    out = fn()
    return time.perf_counter() - began, out


def run_pipeline(version: Path, texts: list[str]) -> list[list[str]]:
    from transformers import pipeline

    nlp = pipeline("token-classification", model=str(version), device="cpu")
    result = []
    for text in texts:
        tokens = nlp(text)
        by_start = {t["start"]: t["entity"] for t in tokens}
        words = [by_start.get(w.start, "O") for w in whitespace_tokens(text)]
        result.append(repair_bio(words))
    return result


def run_torch(version: Path, texts: list[str], batch_size: int) -> list[list[str]]:
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(version).eval()
    tok = AutoTokenizer.from_pretrained(version)
    tags = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    result: list[list[str]] = [[] for _ in texts]
    for k in range(0, len(order), batch_size):
        idx = order[k : k + batch_size]
        enc = tok(
            [texts[i] for i in idx],
            return_offsets_mapping=True,
            padding=True,
            truncation=True,
            max_length=512,
            return_tensors="pt",
        )
        offsets = enc.pop("offset_mapping").numpy()
        with torch.no_grad():
            best = model(**enc).logits.argmax(-1).numpy()
        for row, i in enumerate(idx):
            words = [(w.start, w.end) for w in whitespace_tokens(texts[i])]
            first = align_words(offsets[row], words)
            word_tags = [tags[best[row, f]] if f >= 0 else "O" for f in first]
            result[i] = repair_bio(word_tags)
    return result


def run_predictor(
    folder: Path, texts: list[str], quantized: bool, batch_size: int | None, threads: int | None
) -> list[list[str]]:
    from engine.inference.predictor import Predictor

    predictor = Predictor(folder, quantized=quantized, threads=threads)
    out = predictor.predict(texts, batch_size=batch_size, pretokenized=True)
    return [
        spans_to_tags(t, [(e.start, e.end, e.label) for e in es])
        for t, es in zip(texts, out, strict=True)
    ]


_CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {repo!r})
from engine.inference.predictor import Predictor
p = Predictor({folder!r}, quantized={quantized!r}, threads={threads!r})
cold = time.perf_counter() - t0
texts = json.load(open({texts!r}))
p.predict(texts, batch_size={batch!r}, pretokenized=True)
bad = [m for m in ("torch", "transformers") if m in sys.modules]
try:  # VmHWM belongs to this process image; ru_maxrss can carry the parent's peak over exec
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    rss = int(hwm.split()[1]) / 1024
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"cold": cold, "rss_mb": rss, "heavy_imports": bad}}))
"""


def child_process(
    folder: Path, texts: list[str], quantized: bool, batch: int | None, threads: int | None
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(texts, fh)
    code = _CHILD.format(
        repo=str(REPO),
        folder=str(folder),
        quantized=quantized,
        threads=threads,
        texts=fh.name,
        batch=batch,
    )
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    total = time.perf_counter() - began
    Path(fh.name).unlink()
    info = json.loads(done.stdout.strip().splitlines()[-1])
    info["process_s"] = total
    return info


def _variant(
    folder: Path,
    root: Path,
    name: str,
    build: Callable[[Path, Path], object],
    quant: dict[str, object],
) -> Path:
    """A copy of export ``folder`` whose int8 file is made by ``build(fp32, int8)`` and whose
    spantune.json records ``quant`` (the predictor picks its default batch from it)."""
    import shutil

    out = root / name
    shutil.copytree(folder, out, ignore=shutil.ignore_patterns("model_quantized.onnx"))
    build(out / "model.onnx", out / "onnx" / "model_quantized.onnx")
    meta = json.loads((out / "spantune.json").read_text())
    meta["export"]["quantization"] = quant
    (out / "spantune.json").write_text(json.dumps(meta))
    return out


def int8_variants(
    folder: Path,
    texts: list[str],
    gold: list[list[str]],
    calibration: list[str],
    threads: int | None,
    fp32_f1: float,
) -> None:
    """int8 recipes side by side: F1 against fp32, batch independence, speed, file size."""
    from engine.export.convert import quantize_int8
    from engine.export.per_token import PER_TOKEN_QUANTIZATION, quantize_int8_per_token
    from engine.inference.predictor import Predictor
    from tests.benchmarks.int8_static import quantize_int8_static

    dynamic = {"method": "onnxruntime.quantization.quantize_dynamic"}
    static = {"method": "onnxruntime.quantization.quantize_static"}

    fp32 = Predictor(folder, quantized=False)
    batches = [
        {n: b[n] for n in fp32.input_names} for b in fp32.model_inputs(calibration, batch_size=16)
    ]
    root = Path(tempfile.mkdtemp(prefix="bench-int8-"))
    variants: dict[str, tuple[Callable[[Path, Path], object], dict[str, object]]] = {
        "dynamic": (quantize_int8, dynamic),
        "static, fp32 embeddings": (
            lambda a, b: quantize_int8_static(a, b, batches, {"op_types": ["MatMul", "Gemm"]}),
            static,
        ),
        "static, attention fp32": (
            lambda a, b: quantize_int8_static(a, b, batches, {"matmul_const_b_only": True}),
            static,
        ),
        "static, feed-forward out int8": (
            lambda a, b: quantize_int8_static(a, b, batches, {"exclude_after_activation": False}),
            static,
        ),
        "static (the former default)": (
            lambda a, b: quantize_int8_static(a, b, batches),
            static,
        ),
        "per-token (export default)": (quantize_int8_per_token, PER_TOKEN_QUANTIZATION),
    }
    print(
        f"\nint8 recipes (static ones calibrated on {len(calibration)} training sentences; fp32 F1 "
        f"{fp32_f1:.4f})"
    )
    for k, (name, (build, quant)) in enumerate(variants.items()):
        began = time.perf_counter()
        out = _variant(folder, root, f"v{k}-{name.split()[0].strip(',')}", build, dict(quant))
        size = (out / "onnx" / "model_quantized.onnx").stat().st_size / 1e6
        default = Predictor(out, quantized=True).default_batch_size
        results = {}
        for size_b in (1, 8, 32):
            seconds, pred = timed(lambda s=size_b, o=out: run_predictor(o, texts, True, s, threads))
            results[size_b] = (len(texts) / seconds, pred)
        same = {
            b: sum(x == y for x, y in zip(results[1][1], results[b][1], strict=True)) / len(texts)
            for b in (8, 32)
        }
        speed, pred = results[default]
        score = f1(gold, pred)
        print(
            f"  {name:<26} {size:6.1f} MB  F1 {score:.4f} ({100 * (score - fp32_f1):+.2f} "
            f"points)  {speed:7.1f} sent/s at its default batch {default}; sentences "
            f"identical to batch 1: {100 * same[8]:.1f} % at 8, {100 * same[32]:.1f} % at 32 "
            f"(built in {time.perf_counter() - began:.0f} s)",
            flush=True,
        )


def calibration_texts(path: Path, n: int) -> list[str]:
    """The first ``n`` sentences of a CoNLL file as texts (the model's own training data)."""
    return [" ".join(tokens) for tokens, _ in read_conll(path, n)] if path.is_file() else []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("version", type=Path, help="trained model version folder")
    parser.add_argument("--onnx-dir", type=Path, help="its export (default: export to a temp dir)")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--limit", type=int, default=None, help="first N sentences only")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip-pipeline", action="store_true")
    parser.add_argument(
        "--calibration",
        type=Path,
        default=DATA.parent / "train.txt",
        help="CoNLL file whose first --calibration-size sentences calibrate "
        "static int8 (the model's training data)",
    )
    parser.add_argument("--calibration-size", type=int, default=256)
    parser.add_argument(
        "--skip-variants",
        action="store_true",
        help="skip the int8 recipe comparison (dynamic vs static)",
    )
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"skipped: {args.data} not found (CoNLL-2003 test set is needed)")
        return 0
    sentences = read_conll(args.data, args.limit)
    texts = [" ".join(tokens) for tokens, _ in sentences]
    gold = [repair_bio(tags) for _, tags in sentences]
    scratch = tempfile.TemporaryDirectory()
    folder = args.onnx_dir
    if folder is None:
        from engine.export.exporter import export_model

        began = time.perf_counter()
        folder = export_model(args.version, Path(scratch.name) / "onnx").path
        print(f"export: {time.perf_counter() - began:.1f} s -> {folder}")
    meta = json.loads((folder / "spantune.json").read_text())
    tags = list(json.loads((folder / "config.json").read_text())["id2label"].values())
    print(f"{len(texts)} sentences; model labels {check_bio_tags(tags)}")
    print(f"int8 settings: {meta.get('export', {}).get('quantization')}")

    rows: list[tuple[str, float, float]] = []

    def record(name: str, fn: Callable[[], list[list[str]]]) -> None:
        seconds, pred = timed(fn)
        rows.append((name, len(texts) / seconds, f1(gold, pred)))
        print(f"  {name:<34} {rows[-1][1]:8.1f} sent/s  F1 {rows[-1][2]:.3f}", flush=True)

    b = args.batch_size
    if not args.skip_pipeline:
        record("transformers pipeline (batch 1)", lambda: run_pipeline(args.version, texts))
    record(f"torch, length-sorted batch {b}", lambda: run_torch(args.version, texts, b))
    from engine.inference.predictor import FP32_BATCH, Predictor

    INT8_BATCH = Predictor(folder, quantized=True).default_batch_size  # noqa: N806
    for quantized, default in ((False, FP32_BATCH), (True, INT8_BATCH)):
        kind = "int8" if quantized else "fp32"
        for size in sorted({1, b, default}):
            record(
                f"predictor {kind}, batch {size}{' (default)' if size == default else ''}",
                lambda q=quantized, s=size: run_predictor(folder, texts, q, s, args.threads),
            )
    scores = {name: score for name, _, score in rows}
    fp32_f1 = scores[f"predictor fp32, batch {FP32_BATCH} (default)"]
    int8_f1 = scores[f"predictor int8, batch {INT8_BATCH} (default)"]
    print(
        f"  int8 F1 drop at the default batch: {100 * (fp32_f1 - int8_f1):.2f} points "
        f"(target <= 0.3)"
    )
    if not args.skip_variants:
        int8_variants(
            folder,
            texts,
            gold,
            calibration_texts(args.calibration, args.calibration_size),
            args.threads,
            fp32_f1,
        )
    for quantized in (False, True):
        info = child_process(folder, texts, quantized, None, args.threads)
        print(
            f"  predictor-only process ({'int8' if quantized else 'fp32'}): import+session "
            f"{info['cold']:.2f} s, whole run {info['process_s']:.2f} s, peak RSS "
            f"{info['rss_mb']:.0f} MB, heavy imports {info['heavy_imports'] or 'none'}"
        )

    base = {name: speed for name, speed, _ in rows}
    pipe = base.get("transformers pipeline (batch 1)")
    torch_speed = base[f"torch, length-sorted batch {b}"]
    print("\nratios (speed)")
    for name, speed, _ in rows:
        vs_pipe = f"{speed / pipe:5.2f}x pipeline" if pipe else ""
        print(f"  {name:<34} {speed / torch_speed:5.2f}x torch batched  {vs_pipe}")
    scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
