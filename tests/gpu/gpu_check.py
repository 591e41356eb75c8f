"""The body of ``tests/gpu/check_gpu.sh`` (run that script, not this file directly).

Training: the bundled encoder, ``--sentences`` random CoNLL-2003 train sentences (seed 0), the
default config, once on ``cuda`` and once on ``cpu``; sentences/s = sentences x epochs / training
seconds, F1 = entity-level micro F1 of the torch model on ``--test`` test sentences on the same
device. Inference: the cuda-trained version exported to ONNX (fp32 and int8), run by the
torch-free predictor with the CUDA provider and with the CPU provider on the same test
sentences; F1 from exact entity spans, sentences/s over the whole test set.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LABELS = ["PER", "ORG", "LOC", "MISC"]


def load(path: Path, n: int | None, seed: int) -> list:
    from engine.formats import read_file
    from engine.training.evaluate import document_examples

    examples: list = []
    for doc in read_file(path):
        examples.extend(document_examples(doc, len(examples)))
    examples = [ex for ex in examples if ex.text.strip() and "-DOCSTART-" not in ex.text]
    return examples if n is None else random.Random(seed).sample(examples, min(n, len(examples)))


def train_on(device: str, train: list, test: list, out: Path) -> dict:
    from engine.training import TrainConfig, train_examples
    from engine.training.evaluate import score_model

    outcome = train_examples(train, [], LABELS, TrainConfig(device=device, seed=0), out)
    steps = outcome.metrics["training"]
    scored = score_model(outcome.model, outcome.tokenizer, test, outcome.tags, source="test")
    rate = len(train) * steps["epochs"] / steps["seconds"]
    return {
        "row": f"train on {device} ({outcome.config['precision']})",
        "rate": rate,
        "f1": scored["f1"],
        "note": outcome.config["device_name"],
    }


def span_f1(gold: list, pred: list) -> float:
    g = {(i, s.start, s.end, s.label) for i, ex in enumerate(gold) for s in ex.spans}
    p = {(i, e.start, e.end, e.label) for i, es in enumerate(pred) for e in es}
    tp = len(g & p)
    return 2 * tp / (len(g) + len(p)) if g or p else 1.0


def predict_on(folder: Path, provider: str, quantized: bool, test: list) -> dict:
    from engine.inference.predictor import Predictor

    predictor = Predictor(folder, quantized=quantized, providers=[provider])
    used = predictor.providers[0]
    texts = [ex.text for ex in test]
    predictor.predict(texts[:64], pretokenized=True)  # warm-up (CUDA kernels, arenas)
    started = time.perf_counter()
    pred = predictor.predict(texts, pretokenized=True)
    seconds = time.perf_counter() - started
    kind = "int8" if quantized else "fp32"
    return {
        "row": f"predict {kind} on {provider.replace('ExecutionProvider', '')}",
        "rate": len(texts) / seconds,
        "f1": span_f1(test, pred),
        "note": f"ran on {used}",
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    default = Path(os.environ.get("CONLL_DIR", REPO.parent / "shared" / "data" / "conll2003"))
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--devices", default="cuda,cpu", help="training devices, first exported")
    args = parser.parse_args()
    if not (args.data / "train.txt").is_file():
        print(f"check_gpu: skipped: CoNLL-2003 not found at {args.data} (set CONLL_DIR)")
        return 0
    import onnxruntime as ort

    from engine.export.exporter import export_model

    train = load(args.data / "train.txt", args.sentences, 0)
    test = load(args.data / "test.txt", args.test, 0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        devices = [d.strip() for d in args.devices.split(",") if d.strip()]
        for device in devices:
            rows.append(train_on(device, train, test, Path(tmp) / device))
        export = export_model(Path(tmp) / devices[0], Path(tmp) / "onnx").path
        cuda_ep = "CUDAExecutionProvider" in ort.get_available_providers()
        for quantized in (False, True):
            if cuda_ep:
                rows.append(predict_on(export, "CUDAExecutionProvider", quantized, test))
            rows.append(predict_on(export, "CPUExecutionProvider", quantized, test))
    print(f"\nSpantune GPU check: {len(train)} train / {len(test)} test sentences")
    print(f"{'what':<28} | {'sentences/s':>11} | {'F1':>6} | note")
    for r in rows:
        print(f"{r['row']:<28} | {r['rate']:>11.1f} | {r['f1']:>6.4f} | {r['note']}")
    if not cuda_ep:
        print(
            "onnxruntime has no CUDA provider here: pip install onnxruntime-gpu "
            "(in place of onnxruntime) for GPU inference"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
