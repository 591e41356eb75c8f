"""Active-learning simulation on a fully labelled file: does a strategy beat random sampling?

For each seed: a random seed set and (with ``pool_size``) a random pool, shared by every
strategy; then ``rounds`` times per strategy: select a batch from the pool (the same scoring and
diversity code as the app's rescore, on the int8 ONNX export) → reveal its gold labels →
retrain from the base model (``engine.training.train_examples``) → entity F1 on the test file
(seqeval via the trained torch model, as the app's evaluation). Round 0 (the seed set alone) is
trained once per seed and shared. Rows go to ``results.csv`` as they finish; the pool
indices each round selected go to ``selections.jsonl``, so a rerun resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from engine.active_learning.diversity import TopCandidates, candidate_count
from engine.active_learning.pool import PoolSegment, pages
from engine.active_learning.queue import order_rng
from engine.active_learning.rescore import load_head, page_scores, predict_pool
from engine.active_learning.simulate_report import (
    Row,
    append_row,
    plot,
    read_rows,
    write_summary,
)
from engine.active_learning.strategies import get_strategy
from engine.errors import ValidationError
from engine.progress import CancelToken, EventCallback, ProgressEvent, check, emit
from engine.text.tokens import whitespace_tokens, word_tokens
from engine.types import LabelledExample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulationResult:
    """Where the results are, how many rows exist, and the summary text."""

    out_dir: Path
    rows: int
    summary: str
    stopped_early: bool
    csv: Path
    plot: Path | None


@dataclass
class _Model:
    """A trained round: test metrics and, once needed, the export folder and pool predictions."""

    folder: Path
    metrics: dict[str, Any]
    outcome: Any = None
    export: Path | None = None
    export_failed: bool = False
    preds: dict[int, Any] | None = None
    head: Any = None


@dataclass(frozen=True)
class _TorchPrediction:
    """Word probabilities from the torch model (the fallback when the export is refused), or
    a cached prediction without word hidden states."""

    word_probs: np.ndarray
    word_hidden: None = None
    mean_hidden: np.ndarray | None = None


class _Run:
    """One simulation: data, settings, output files and the time budget."""

    def __init__(
        self,
        pool: list[LabelledExample],
        test: list[LabelledExample],
        labels: list[str],
        out_dir: Path,
        config: Any,
        deadline: float | None,
        on_event: EventCallback | None,
        cancel: CancelToken | None,
        diversity: bool,
    ) -> None:
        self.pool, self.test, self.labels = pool, test, labels
        self.out_dir, self.config, self.deadline = out_dir, config, deadline
        self.on_event, self.cancel, self.diversity = on_event, cancel, diversity
        self.csv = out_dir / "results.csv"
        self.selections_path = out_dir / "selections.jsonl"
        self.done = {(r.strategy, r.seed, r.round) for r in read_rows(self.csv)}
        self.selections = _read_selections(self.selections_path)
        self.work = out_dir / ".work"
        self.tokens = [_count_words(ex) for ex in pool]
        self.stopped = False

    def out_of_time(self) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.stopped = True
        return self.stopped

    def train(self, indices: Sequence[int], seed: int, tag: str) -> _Model:
        from engine.training import train_examples
        from engine.training.evaluate import score_model

        check(self.cancel)
        folder = self.work / tag
        shutil.rmtree(folder, ignore_errors=True)
        emit(
            self.on_event,
            ProgressEvent("train", 0, None, f"{tag}: training on {len(indices)} sentences"),
        )
        config = replace(self.config, seed=seed)
        outcome = train_examples(
            [self.pool[i] for i in indices],
            [],
            self.labels,
            config,
            folder / "model",
            cancel=self.cancel,
        )
        emit(self.on_event, ProgressEvent("evaluate", 0, None, f"{tag}: evaluating"))
        metrics = score_model(
            outcome.model,
            outcome.tokenizer,
            self.test,
            outcome.tags,
            source="test",
            max_length=config.max_length,
            stride=config.stride,
            cancel=self.cancel,
        )
        return _Model(folder, metrics, outcome)

    def export(self, model: _Model) -> Path | None:
        """The model's int8 ONNX export (made once per round); None when it was refused."""
        from engine.errors import ExportValidationError
        from engine.export.exporter import export_model

        if model.export is None and not model.export_failed:
            try:
                model.export = export_model(
                    model.folder / "model",
                    model.folder / "onnx",
                    overwrite=True,
                    cancel=self.cancel,
                ).path
            except ExportValidationError as exc:
                log.warning("export refused (%s); scoring this round with torch", exc)
                model.export_failed = True
        return model.export

    def prediction_pages(
        self, model: _Model, remaining: list[int], word_hidden: bool
    ) -> Iterator[tuple[np.ndarray, list[Any]]]:
        """``(positions, predictions)`` of the model for ``remaining`` pool items, page by page,
        as the app makes them (int8 ONNX export, exported once per round; the predictor's
        length-sorted chunks); when the export is refused, word probabilities from the torch
        model (no hidden states: no diversity, no BALD). A model's light predictions (no word
        hidden states) are kept, so the strategies that share the seed-set model reuse them;
        ``word_hidden`` (BALD) predicts again."""
        from engine.inference.predictor import Predictor

        export = self.export(model)
        model.preds = model.preds or {}
        cached = model.preds
        if all(i in cached for i in remaining) and not (word_hidden and export is not None):
            for positions in pages(np.asarray([len(self.pool[i].text) for i in remaining])):
                yield positions, [cached[remaining[int(p)]] for p in positions]
            return
        if export is None:
            preds = self._torch_predictions(model, remaining)
            cached.update(zip(remaining, preds, strict=True))
            yield np.arange(len(remaining)), preds
            return
        predictor = Predictor(export, quantized=True)
        for positions in pages(np.asarray([len(self.pool[i].text) for i in remaining])):
            check(self.cancel)
            segs = [
                PoolSegment(
                    remaining[int(p)],
                    "train",
                    0,
                    self.pool[remaining[int(p)]].text,
                    self.pool[remaining[int(p)]].tokenized,
                )
                for p in positions
            ]
            preds = predict_pool(predictor, segs, hidden=True, chunk=len(segs))
            cached.update((s.id, _light(p)) for s, p in zip(segs, preds, strict=True))
            yield positions, preds

    def _torch_predictions(self, model: _Model, indices: list[int]) -> list[Any]:
        from engine.inference.windows import special_tokens
        from engine.training.examples import encode_examples
        from engine.training.predict import word_probabilities

        outcome = model.outcome
        tag_ids = {t: i for i, t in enumerate(outcome.tags)}
        encoded = encode_examples(
            [self.pool[i] for i in indices],
            outcome.tokenizer,
            tag_ids,
            self.config.max_length,
            self.config.stride,
        )
        tokenizer = outcome.tokenizer
        special = special_tokens(tokenizer.backend_tokenizer, tokenizer.pad_token)
        probs = word_probabilities(outcome.model, encoded, special, cancel=self.cancel)
        return [_TorchPrediction(p) for p in probs]

    def select(
        self, strategy: str, model: _Model, labelled: set[int], k: int, seed: int, round_: int
    ) -> list[int]:
        remaining = [i for i in range(len(self.pool)) if i not in labelled]
        rng = order_rng(seed, f"simulate/{strategy}/{round_}")
        if strategy == "random":
            return [
                int(i) for i in rng.choice(remaining, size=min(k, len(remaining)), replace=False)
            ]
        strat = get_strategy(strategy)
        if strat.needs_hidden and model.head is None:
            folder = self.export(model)
            if folder is None:
                raise ValidationError(
                    f"{strategy} needs the ONNX export, which was refused", field="strategy"
                )
            model.head = load_head(Path(folder))
        k_div = k if self.diversity else 0
        scorer = strat.page_scorer(len(remaining), rng, model.head)
        scores = np.zeros(len(remaining))
        top = TopCandidates(candidate_count(k_div, 5 * k))
        for positions, preds in self.prediction_pages(model, remaining, strat.needs_hidden):
            embed = bool(preds) and preds[0].mean_hidden is not None and strat.name != "random"
            rows, page, emb = page_scores(
                positions,
                preds,
                len(remaining),
                scorer,
                head=model.head,
                needs_hidden=strat.needs_hidden,
                embed=embed,
            )
            scores[rows] = page
            if emb is not None:
                top.add(rows, page, emb)
        order = top.order(scores, k_div)
        return [remaining[int(i)] for i in order[:k]]

    def record(
        self,
        strategy: str,
        seed: int,
        round_: int,
        labelled: list[int],
        model: _Model,
        seconds: float,
    ) -> None:
        if (strategy, seed, round_) in self.done:
            return
        m = model.metrics
        row = Row(
            strategy,
            seed,
            round_,
            len(labelled),
            sum(self.tokens[i] for i in labelled),
            float(m.get("f1") or 0.0),
            float(m.get("precision") or 0.0),
            float(m.get("recall") or 0.0),
            round(seconds, 2),
        )
        append_row(self.csv, row)
        self.done.add((strategy, seed, round_))
        log.info(
            "%s seed %d round %d: %d sentences, F1 %.4f",
            strategy,
            seed,
            round_,
            len(labelled),
            row.f1,
        )

    def save_selection(self, strategy: str, seed: int, round_: int, batch: list[int]) -> None:
        self.selections[(strategy, seed, round_)] = batch
        with self.selections_path.open("a", encoding="utf-8") as fh:
            fh.write(
                json.dumps({"strategy": strategy, "seed": seed, "round": round_, "indices": batch})
                + "\n"
            )


def _light(pred: Any) -> Any:
    """A prediction without its word hidden states (what a cache keeps)."""
    return _TorchPrediction(pred.word_probs, None, pred.mean_hidden)


def _read_selections(path: Path) -> dict[tuple[str, int, int], list[int]]:
    out: dict[tuple[str, int, int], list[int]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                out[(d["strategy"], int(d["seed"]), int(d["round"]))] = list(d["indices"])
    return out


def _count_words(ex: LabelledExample) -> int:
    return len((whitespace_tokens if ex.tokenized else word_tokens)(ex.text))


def _examples(path: Path) -> list[LabelledExample]:
    from engine.formats import read_file
    from engine.training.evaluate import document_examples

    out: list[LabelledExample] = []
    for doc in read_file(Path(path)):
        out.extend(ex for ex in document_examples(doc, len(out)) if ex.text.strip())
    return out


class _Round0:
    """The seed-set model of one seed, trained at most once and shared by every strategy."""

    def __init__(self, run: _Run, seed_set: list[int], seed: int) -> None:
        self.run, self.seed_set, self.seed = run, seed_set, seed
        self.model: _Model | None = None
        self.seconds = 0.0

    def get(self) -> _Model:
        if self.model is None:
            started = time.monotonic()
            self.model = self.run.train(self.seed_set, self.seed, f"s{self.seed}-r0")
            self.seconds = time.monotonic() - started
        return self.model


def _run_strategy(
    run: _Run,
    strategy: str,
    seed: int,
    round0: _Round0,
    batch_size: int,
    rounds: int,
    total: int,
    progress: list[int],
) -> None:
    if (strategy, seed, 0) not in run.done:
        if run.out_of_time():
            return
        model0 = round0.get()
        run.record(strategy, seed, 0, round0.seed_set, model0, round0.seconds)
    labelled = list(round0.seed_set)
    model: _Model | None = round0.model
    for r in range(1, rounds + 1):
        if (strategy, seed, r) in run.done and (strategy, seed, r) in run.selections:
            labelled += run.selections[(strategy, seed, r)]
            model = None
            progress[0] += 1
            continue
        if run.out_of_time():
            return
        started = time.monotonic()
        batch = run.selections.get((strategy, seed, r))
        if batch is None:
            if model is None:  # resuming: rebuild the previous round's model
                model = (
                    round0.get()
                    if r == 1
                    else run.train(labelled, seed, f"{strategy}-s{seed}-r{r - 1}")
                )
            batch = run.select(strategy, model, set(labelled), batch_size, seed, r)
            run.save_selection(strategy, seed, r, batch)
        labelled += batch
        if model is not None and model is not round0.model:
            shutil.rmtree(model.folder, ignore_errors=True)  # 100+ MB per round
        model = run.train(labelled, seed, f"{strategy}-s{seed}-r{r}")
        run.record(strategy, seed, r, labelled, model, time.monotonic() - started)
        progress[0] += 1
        emit(
            run.on_event,
            ProgressEvent(
                "simulate",
                progress[0],
                total,
                f"{strategy} seed {seed} round {r}: F1 {model.metrics.get('f1') or 0:.4f}",
            ),
        )
    if model is not None and model is not round0.model:
        shutil.rmtree(model.folder, ignore_errors=True)


def simulate(
    train_file: str | Path,
    test_file: str | Path,
    strategies: Sequence[str],
    seeds: int | Sequence[int],
    seed_size: int,
    batch_size: int,
    rounds: int,
    out_dir: str | Path,
    pool_size: int | None = None,
    max_minutes: float | None = None,
    base_model: str | None = None,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
    train_config: Any = None,
    diversity: bool = True,
) -> SimulationResult:
    """Simulate active learning with gold labels (see the module docstring).

    ``seeds`` is a count (seeds 0..n-1) or the seeds themselves. ``max_minutes`` stops starting
    new rounds after that long (finished rounds are kept). ``train_config`` (a ``TrainConfig``)
    overrides training settings; ``diversity`` re-ranks each batch for diversity as the app
    does. Reports ProgressEvent stages "train", "evaluate" and "simulate" (rounds done of
    total). Raises FormatError (unreadable files), ValidationError (bad arguments), Cancelled
    (finished rounds stay in the CSV).
    """
    from engine.training import TrainConfig

    names = [get_strategy(s).name for s in strategies]
    seed_list = list(range(seeds)) if isinstance(seeds, int) else [int(s) for s in seeds]
    if seed_size < 1 or batch_size < 1 or rounds < 0 or not seed_list:
        raise ValidationError(
            "seed_size and batch_size must be >= 1, rounds >= 0, and there "
            "must be at least one seed",
            field="simulate",
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    full_pool, test = _examples(Path(train_file)), _examples(Path(test_file))
    labels = sorted({s.label for ex in [*full_pool, *test] for s in ex.spans})
    config = train_config or TrainConfig(base_model=base_model)
    if base_model is not None:
        config = replace(config, base_model=base_model)
    deadline = time.monotonic() + 60 * max_minutes if max_minutes else None
    total = len(seed_list) * len(names) * rounds
    progress = [0]
    run: _Run | None = None
    try:
        for seed in seed_list:
            rng = order_rng(seed, "simulate/pool")
            size = min(pool_size or len(full_pool), len(full_pool))
            chosen = np.sort(rng.choice(len(full_pool), size=size, replace=False))
            pool = [full_pool[int(i)] for i in chosen]
            run = _Run(pool, test, labels, out, config, deadline, on_event, cancel, diversity)
            seed_set = [
                int(i) for i in rng.choice(len(pool), size=min(seed_size, len(pool)), replace=False)
            ]
            round0 = _Round0(run, seed_set, seed)
            for name in names:
                _run_strategy(run, name, seed, round0, batch_size, rounds, total, progress)
            shutil.rmtree(run.work, ignore_errors=True)
            if run.stopped:
                break
    finally:
        if run is not None:
            shutil.rmtree(run.work, ignore_errors=True)
    rows = read_rows(out / "results.csv")
    _, text = write_summary(out, rows)
    figure = plot(out, rows) if rows else None
    return SimulationResult(
        out, len(rows), text, bool(run and run.stopped), out / "results.csv", figure
    )
