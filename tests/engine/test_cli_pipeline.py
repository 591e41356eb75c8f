"""The whole headless loop through the CLI with a tiny model: import → train → evaluate →
rescore → next → export-model → predict."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from engine.cli.main import main
from tests.engine.tiny_model import build_tiny_model

PEOPLE = ["ana", "bob", "carl", "dora"]
PLACES = ["paris", "london", "berlin", "rome"]


def corpus(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        who, where = rng.choice(PEOPLE), rng.choice(PLACES)
        text = f"{who} went to {where} on day {i} ."
        out.append(
            {
                "text": text,
                "spans": [
                    {"start": 0, "end": len(who), "label": "PER"},
                    {
                        "start": text.index(where),
                        "end": text.index(where) + len(where),
                        "label": "LOC",
                    },
                ],
            }
        )
    return out


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_headless_loop(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tiny = build_tiny_model(tmp_path / "tiny", ["PER", "LOC"])
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("\n".join(json.dumps(r) for r in corpus(60, 0)) + "\n", "utf-8")
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(r["text"] for r in corpus(40, 1)) + "\n", "utf-8")
    proj = str(tmp_path / "P")
    assert run(capsys, "init", proj, "--labels", "PER,LOC", "--base-model", str(tiny))[0] == 0
    assert run(capsys, "import", proj, str(labelled))[0] == 0
    assert run(capsys, "import", proj, str(raw), "--format", "text-lines")[0] == 0

    code, out, err = run(capsys, "train", proj, "--epochs", "2", "--seed", "1", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["version"] == "v0001" and report["counts"]
    assert {"precision", "recall", "f1", "per_label"} <= report["metrics"].keys()

    code, out, _ = run(capsys, "evaluate", proj, "--json")
    metrics = json.loads(out)
    assert code == 0 and {"precision", "recall", "f1", "per_label"} <= metrics.keys()
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join(json.dumps(r) for r in corpus(10, 2)) + "\n", "utf-8")
    code, out, _ = run(capsys, "evaluate", proj, "--data", str(gold), "--json")
    assert code == 0 and json.loads(out)["sentences"] == 10

    code, out, _ = run(capsys, "versions", proj, "--json")
    assert [v["name"] for v in json.loads(out)] == ["v0001"]

    assert run(capsys, "rescore", proj)[0] == 0
    code, out, _ = run(capsys, "next", proj, "-n", "5", "--json")
    items = json.loads(out)
    assert code == 0 and len(items) == 5
    assert {"segment", "score", "eval", "text"} <= items[0].keys()

    model_dir = tmp_path / "exported"
    code, out, err = run(capsys, "export-model", proj, str(model_dir))
    assert code == 0, err
    for name in (
        "model.onnx",
        "onnx/model.onnx",
        "onnx/model_quantized.onnx",
        "config.json",
        "tokenizer.json",
        "spantune.json",
        "README.md",
    ):
        assert (model_dir / name).is_file(), name

    code, out, _ = run(capsys, "predict", str(model_dir), str(raw), "--format", "jsonl")
    lines = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(lines) == 40
    assert all({"text", "spans"} <= x.keys() for x in lines)
    code, out, _ = run(capsys, "predict", str(model_dir), str(raw), "--format", "conll")
    assert code == 0 and out.splitlines()[0].split()[0] == lines[0]["text"].split()[0]

    # bad model folder: a clear one-line error
    code, _, err = run(capsys, "predict", str(tmp_path), str(raw))
    assert code == 1 and err.startswith("spantune: error:")
