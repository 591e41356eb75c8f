"""Predictor, alignment, windows and BIO decoding on a tiny exported model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelLoadError
from engine.export.exporter import export_model
from engine.inference.decode import softmax
from engine.inference.predictor import Predictor, choose_providers
from engine.inference.windows import make_windows, window_owners
from engine.text import word_tokens
from engine.text.align import align_words, subtoken_words
from engine.text.bio import bio_spans, repair_bio
from tests.engine.tiny_model import build_tiny_model

REPO = Path(__file__).resolve().parents[2]
MAX_LENGTH, STRIDE = 16, 4
TEXTS = [
    "John Smith lives in New York.",
    "Angela Merkel 😀 visited Paris 👍🏽 yesterday!",
    "東京大学の人は北京に行った。",
    "Cafe\u0301 de Flore: Zo\u00eb and Jose\u0301 met Mary Jones at Google.",
    "",
    "   ",
    " ".join(["John Smith met Mary Jones of Google in Paris and 東京 today."] * 6),
]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    meta = {
        "labels": ["PER", "LOC", "ORG"],
        "max_length": MAX_LENGTH,
        "stride": STRIDE,
        "base_model": "tiny",
        "counts": {},
        "metrics": {},
        "decoding": "first-subtoken-bio",
    }
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "v0001", spantune=meta)


@pytest.fixture(scope="module")
def exported(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_model(source, tmp_path_factory.mktemp("export") / "onnx").path


@pytest.fixture(scope="module")
def fp32(exported: Path) -> Predictor:
    return Predictor(exported, quantized=False, threads=1)


# ---- alignment, windows, decoding ------------------------------------------------------------


def test_subtoken_words_rules() -> None:
    words = [(0, 4), (5, 8), (10, 12)]
    offsets = [(0, 2), (2, 4), (4, 6), (5, 8), (9, 11), (0, 0), (8, 9)]
    # start inside a word → that word; leading-space piece (4,6)/(9,11) → next word it overlaps;
    # empty (special) and whitespace-only pieces → none.
    assert subtoken_words(offsets, words).tolist() == [0, 0, 1, 1, 2, -1, -1]
    assert align_words(offsets, words).tolist() == [0, 2, 4]
    assert align_words([(0, 4)], [(0, 4), (5, 6)]).tolist() == [0, -1]
    assert align_words([], [(0, 1)]).tolist() == [-1]


def test_tokenizer_offsets_are_code_points(fp32: Predictor) -> None:
    text = "A 😀 東京 Cafe\u0301 👍🏽 john"
    ids, offsets = fp32.encode([text])
    pieces = [text[s:e] for s, e in offsets[0]]
    assert pieces == ["A", "😀", "東", "京", "Cafe", "👍🏽", "john"]
    words = [tuple(t) for t in word_tokens(text)]
    first = align_words(offsets[0], words)
    assert [text[s:e] for s, e in words][4] == "Cafe\u0301"
    assert (first >= 0).all()


@pytest.mark.parametrize("n", [0, 1, 13, 14, 15, 27, 40, 101])
def test_windows_cover_every_subtoken_centrally(n: int) -> None:
    windows = make_windows(n, 14, STRIDE)
    assert all(0 < e - s <= 14 for s, e in windows)
    covered = np.zeros(n, bool)
    for s, e in windows:
        covered[s:e] = True
    assert covered.all()
    if len(windows) > 1:
        assert all(windows[i + 1][0] <= windows[i][1] - STRIDE for i in range(len(windows) - 1))
    owner = window_owners(n, windows)
    for p in range(n):
        margins = [min(p - s, e - 1 - p) if s <= p < e else -1 for s, e in windows]
        assert margins[owner[p]] == max(margins)


def test_bio_repair_and_spans() -> None:
    tags = ["I-PER", "I-PER", "O", "B-LOC", "I-PER", "I-LOC", "B-LOC", "B-LOC", "I-LOC"]
    assert bio_spans(tags) == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "PER"),
        (5, 6, "LOC"),
        (6, 7, "LOC"),
        (7, 9, "LOC"),
    ]
    assert repair_bio(tags) == [
        "B-PER",
        "I-PER",
        "O",
        "B-LOC",
        "B-PER",
        "B-LOC",
        "B-LOC",
        "B-LOC",
        "I-LOC",
    ]
    assert bio_spans([]) == []
    with pytest.raises(ValueError):
        bio_spans(["PER"])


# ---- parity with torch -----------------------------------------------------------------------


def _torch_entities(source: Path, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """Reference: the torch model, windows chosen by brute force, first-sub-token decoding."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    model = AutoModelForTokenClassification.from_pretrained(source).eval()
    tok = AutoTokenizer.from_pretrained(source)
    tags = [model.config.id2label[i] for i in range(len(model.config.id2label))]
    room = MAX_LENGTH - 2
    result = []
    for text in texts:
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        windows = make_windows(len(ids), room, STRIDE)
        logits = np.zeros((len(ids), len(tags)), np.float32)
        best = [-1] * len(ids)
        for s, e in windows:
            row = torch.tensor([[tok.cls_token_id, *ids[s:e], tok.sep_token_id]])
            with torch.no_grad():
                out = model(input_ids=row, attention_mask=torch.ones_like(row)).logits[0, 1:-1]
            for p in range(s, e):
                if min(p - s, e - 1 - p) > best[p]:
                    best[p] = min(p - s, e - 1 - p)
                    logits[p] = out[p - s].numpy()
        words = [(t.start, t.end) for t in word_tokens(text)]
        word_tags = []
        for ws, we in words:
            first = next((i for i, (a, b) in enumerate(offsets) if b > a and ws <= a < we), None)
            word_tags.append("O" if first is None else tags[int(logits[first].argmax())])
        result.append([(words[a][0], words[b - 1][1], k) for a, b, k in bio_spans(word_tags)])
    return result


def test_predictor_matches_torch(source: Path, fp32: Predictor) -> None:
    predicted = fp32.predict(TEXTS, batch_size=3)
    expected = _torch_entities(source, TEXTS)
    assert [[(e.start, e.end, e.label) for e in es] for es in predicted] == expected
    assert sum(len(es) for es in expected) > 5  # the tiny model does predict entities
    long_ids = fp32.encode([TEXTS[-1]])[0][0]
    assert len(make_windows(len(long_ids), MAX_LENGTH - 2, STRIDE)) >= 3
    for text, entities in zip(TEXTS, predicted, strict=True):
        for e in entities:
            assert e.text == text[e.start : e.end] and 0 < e.score <= 1


def test_batch_size_and_order_do_not_change_results(fp32: Predictor) -> None:
    one = fp32.predict_arrays(TEXTS, batch_size=1)
    many = fp32.predict_arrays(list(reversed(TEXTS)), batch_size=64)[::-1]
    for a, b in zip(one, many, strict=True):
        np.testing.assert_allclose(a.word_probs, b.word_probs, atol=1e-5)
        assert [(e.start, e.end, e.label) for e in a.entities] == [
            (e.start, e.end, e.label) for e in b.entities
        ]


def test_predict_arrays_for_active_learning(exported: Path, fp32: Predictor) -> None:
    preds = fp32.predict_arrays(TEXTS, hidden=True)
    head = np.load(exported / "head.npz")
    for text, p in zip(TEXTS, preds, strict=True):
        n = len(word_tokens(text))
        assert p.word_offsets.shape == (n, 2) and p.word_probs.shape == (n, len(fp32.tags))
        np.testing.assert_allclose(p.word_probs.sum(axis=1), 1.0, rtol=1e-5)
        assert p.word_hidden is not None and p.word_hidden.shape == (n, 32)
        assert p.mean_hidden is not None and p.mean_hidden.shape == (32,)
        reached = p.first_subtoken >= 0
        # head.npz applied to the first sub-token's hidden state gives the word's probabilities.
        recomputed = softmax(p.word_hidden[reached] @ head["weight"].T + head["bias"])
        np.testing.assert_allclose(recomputed, p.word_probs[reached], atol=1e-4)
        if n:
            score = p.word_probs.max(axis=1)
            for e in p.entities:
                inside = (p.word_offsets[:, 0] >= e.start) & (p.word_offsets[:, 1] <= e.end)
                assert e.score == pytest.approx(float(score[inside].mean()), rel=1e-5)
    assert fp32.predict_arrays([""], hidden=True)[0].mean_hidden.shape == (32,)


def test_pretokenized_and_explicit_words(fp32: Predictor) -> None:
    text = "John-Smith visited New York ."
    pre = fp32.predict_arrays([text], pretokenized=True)[0]
    assert pre.word_offsets.tolist() == [[0, 10], [11, 18], [19, 22], [23, 27], [28, 29]]
    given = fp32.predict_arrays([text], words=[[(0, 4), (5, 10)]])[0]
    assert given.word_offsets.tolist() == [[0, 4], [5, 10]]


def test_int8_predicts_like_fp32(exported: Path, fp32: Predictor) -> None:
    int8 = Predictor(exported, threads=1)
    assert int8.quantized and int8.model_path.name == "model_quantized.onnx"
    a = {(i, e.start, e.end, e.label) for i, es in enumerate(fp32.predict(TEXTS)) for e in es}
    b = {(i, e.start, e.end, e.label) for i, es in enumerate(int8.predict(TEXTS)) for e in es}
    assert len(a & b) >= 0.9 * len(a)


def test_predictor_process_imports_no_torch(exported: Path) -> None:
    script = (
        "import sys\n"
        "import engine.inference\n"
        "assert 'onnxruntime' not in sys.modules  # the package itself stays light\n"
        "from engine.inference import Predictor\n"
        f"p = Predictor({str(exported)!r})\n"
        "out = p.predict(['John Smith 😀 lives in 東京.'])\n"
        "bad = [m for m in ('torch', 'transformers') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "print(len(out))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_providers_fall_back_to_cpu() -> None:
    assert choose_providers(["NoSuchExecutionProvider"]) == ["CPUExecutionProvider"]
    assert choose_providers()[-1] == "CPUExecutionProvider"


# ---- refusing bad folders --------------------------------------------------------------------


def _copy(exported: Path, dest: Path) -> Path:
    dest.mkdir()
    for name in (
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "spantune.json",
        "model.onnx",
    ):
        shutil.copy(exported / name, dest / name)
    return dest


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _external_model(folder: Path, location: str) -> None:
    import onnx

    model = onnx.load(str(folder / "model.onnx"))
    onnx.save_model(
        model,
        str(folder / "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="weights.bin",
        size_threshold=0,
    )
    target = (folder / location).resolve()
    if target != (folder / "weights.bin").resolve():
        os.replace(folder / "weights.bin", target)
    model = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    for tensor in model.graph.initializer:
        for entry in tensor.external_data:
            if entry.key == "location":
                entry.value = location
    (folder / "model.onnx").write_bytes(model.SerializeToString())


def test_defaults_without_spantune_json(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path / "m")
    (folder / "spantune.json").unlink()
    p = Predictor(folder, quantized=True)
    assert p.max_length == 256 and p.stride == 64 and not p.quantized
    assert len(p.predict(["John Smith"])) == 1


def test_external_data_inside_folder_is_accepted(exported: Path, tmp_path: Path) -> None:
    folder = _copy(exported, tmp_path / "m")
    _external_model(folder, "weights.bin")
    assert Predictor(folder, quantized=False).predict(["John"]) is not None


def _break(kind: str, folder: Path) -> None:
    if kind == "no-tokenizer":
        (folder / "tokenizer.json").unlink()
    elif kind == "no-config":
        (folder / "config.json").unlink()
    elif kind == "label-width":
        tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC"]
        _edit_json(
            folder / "config.json",
            id2label=dict(enumerate(tags)),
            label2id={t: i for i, t in enumerate(tags)},
        )
        _edit_json(folder / "spantune.json", labels=["PER", "LOC", "ORG", "MISC"])
    elif kind == "label2id":
        _edit_json(folder / "config.json", label2id={"O": 1, "B-PER": 0})
    elif kind == "not-bio":
        _edit_json(folder / "config.json", id2label={"0": "O", "1": "PER"}, label2id={})
    elif kind == "external-outside":
        _external_model(folder, "../weights.bin")
    elif kind == "external-absolute":
        _external_model(folder, str(folder.parent / "abs.bin"))
    elif kind == "truncated":
        data = (folder / "model.onnx").read_bytes()
        (folder / "model.onnx").write_bytes(data[: len(data) // 2])
    elif kind == "custom-op":
        import onnx

        model = onnx.load(str(folder / "model.onnx"))
        model.graph.node[0].domain = "com.example.custom"
        model.opset_import.append(onnx.helper.make_opsetid("com.example.custom", 1))
        onnx.save_model(model, str(folder / "model.onnx"))


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("no-tokenizer", "tokenizer.json is missing"),
        ("no-config", "config.json is missing"),
        ("label-width", "predicts 7 tags but config.json's id2label has 9"),
        ("label2id", "label2id does not match id2label"),
        ("not-bio", "not a BIO tag"),
        ("external-outside", "points outside the model folder"),
        ("external-absolute", "must be a relative path"),
        ("truncated", "truncated"),
        ("custom-op", "custom operator domain"),
    ],
)
def test_bad_folders_are_refused(exported: Path, tmp_path: Path, kind: str, message: str) -> None:
    folder = _copy(exported, tmp_path / "m")
    _break(kind, folder)
    with pytest.raises(ModelLoadError, match=message):
        Predictor(folder, quantized=False)
