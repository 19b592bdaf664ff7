"""Evaluation of the engine on the labelled set; ``manage.py eval_chatbot`` prints its report."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import f1_score

from .embedder import Embedder
from .engine import ChatEngine, EngineConfig
from .intents import LabelledMessage
from .types import Article, Intent


@dataclass(frozen=True)
class EvalReport:
    split: str
    engine: str
    messages: int
    intent_accuracy: float
    intent_macro_f1: float
    faq_messages: int
    article_top1: float
    article_top3: float
    faq_answered_correctly: float  # FAQ messages answered with the right article (end to end)
    oos_messages: int
    oos_handover_recall: float  # out-of-scope messages handed over or answered "not sure"
    handover_precision: float  # of the bot's own hand-overs/"not sure" replies, the share that were out of scope
    handovers: int
    latency_p50_ms: float
    latency_p95_ms: float
    errors: list[str] = field(default_factory=list)  # a few misclassified examples, for the curious

    def lines(self) -> list[str]:
        pct = "{:.1%}".format
        return [
            f"split: {self.split} ({self.messages} messages), retrieval engine: {self.engine}",
            f"intent accuracy:            {pct(self.intent_accuracy)}",
            f"intent macro-F1:            {self.intent_macro_f1:.3f}",
            f"article top-1 hit rate:     {pct(self.article_top1)}  ({self.faq_messages} FAQ messages)",
            f"article top-3 hit rate:     {pct(self.article_top3)}",
            f"FAQ answered with right article: {pct(self.faq_answered_correctly)}",
            f"out-of-scope hand-over recall:    {pct(self.oos_handover_recall)}  ({self.oos_messages} messages)",
            f"out-of-scope hand-over precision: {pct(self.handover_precision)}  ({self.handovers} hand-overs/not-sure)",
            f"reply latency p50: {self.latency_p50_ms:.1f} ms, p95: {self.latency_p95_ms:.1f} ms",
        ]


def evaluate(engine: ChatEngine, messages: Sequence[LabelledMessage], *, split: str = "heldout") -> EvalReport:
    engine.reply("hello")  # warm-up: the first ONNX run allocates its buffers
    predicted, latencies, errors = [], [], []
    top1 = top3 = answered = faq = oos = oos_caught = own_handovers = justified = 0
    for message in messages:
        start = time.perf_counter()
        reply = engine.reply(message.text)
        latencies.append((time.perf_counter() - start) * 1000)
        predicted.append(reply.intent)
        if reply.intent != message.intent and len(errors) < 30:
            errors.append(f"{message.intent.value} -> {reply.intent.value}: {message.text}")
        if message.intent == Intent.FAQ:
            faq += 1
            slugs = [h.slug for h in engine.search(message.text, k=3)]
            top1 += slugs[:1] == [message.article]
            top3 += message.article in slugs
            answered += (
                reply.intent == Intent.FAQ and reply.action == "answer" and reply.articles[0].slug == message.article
            )
        if message.intent == Intent.OUT_OF_SCOPE:
            oos += 1
            oos_caught += reply.offers_handover
        # A hand-over the customer asked for is always right; count only the bot's own decisions.
        if reply.offers_handover and reply.intent != Intent.HUMAN:
            own_handovers += 1
            justified += message.intent == Intent.OUT_OF_SCOPE
    gold = [m.intent for m in messages]
    return EvalReport(
        split=split,
        engine=engine.engine_name,
        messages=len(messages),
        intent_accuracy=float(np.mean([p == g for p, g in zip(predicted, gold, strict=True)])),
        intent_macro_f1=float(f1_score(gold, predicted, average="macro")),
        faq_messages=faq,
        article_top1=top1 / faq if faq else 0.0,
        article_top3=top3 / faq if faq else 0.0,
        faq_answered_correctly=answered / faq if faq else 0.0,
        oos_messages=oos,
        oos_handover_recall=oos_caught / oos if oos else 0.0,
        handover_precision=justified / own_handovers if own_handovers else 1.0,
        handovers=own_handovers,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p95_ms=float(np.percentile(latencies, 95)),
        errors=errors,
    )


class _CachingEmbedder:
    """Embeds each distinct text once across the folds of a tuning run."""

    def __init__(self, embedder: Embedder) -> None:
        self.name = embedder.name
        self._embedder = embedder
        self._cache: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            self._cache.update(zip(missing, self._embedder.embed(missing), strict=True))
        return np.stack([self._cache[t] for t in texts]) if texts else self._embedder.embed([])


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    oos_recall: float
    handover_precision: float
    faq_answered_correctly: float


def tune_thresholds(
    *,
    articles: Sequence[Article],
    tuning: Sequence[LabelledMessage],
    embedder: Embedder | None,
    folds: int = 5,
    min_recall: float = 0.85,
    min_precision: float = 0.90,
    intent_weight: float = 0.0,
) -> tuple[EngineConfig, list[ThresholdRow]]:
    """Choose ``answer_threshold`` by cross-validation on the tuning part (never the held-out part).

    Each fold's intent model is trained without that fold, so its votes on the fold are honest.
    The chosen threshold answers the most FAQ messages correctly while keeping out-of-scope recall
    and hand-over precision at their targets; if no threshold meets both, the one closest to them.
    """
    from sklearn.model_selection import StratifiedKFold

    from .dataset import training_examples

    embedder = _CachingEmbedder(embedder) if embedder is not None else None
    extra = training_examples(list(articles), tuning=[])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    labels = [m.intent.value for m in tuning]
    observed = []  # (message, predicted intent, top hit, answerability)
    for train, test in splitter.split(list(tuning), labels):
        engine = ChatEngine(
            articles=articles,
            training=[tuning[i] for i in train] + extra,
            embedder=embedder,
            config=EngineConfig(answer_threshold=-9.0, intent_weight=intent_weight),
        )
        for i in test:
            message = tuning[i]
            reply = engine.reply(message.text)
            hits = engine.search(message.text, k=1)
            score = engine.answerability(message.text, hits[0].score) if hits else 0.0
            # With threshold -9 every help-centre question is "answerable": the reply's intent is
            # FAQ for both FAQ and out-of-scope votes, so the threshold alone decides below.
            observed.append((message, reply.intent, hits[0] if hits else None, score))
    rows = []
    for threshold in np.arange(-0.5, 1.5, 0.01):
        caught = own = unjustified = correct = 0
        for message, intent, hit, score in observed:
            handover = intent in (Intent.FAQ, Intent.OUT_OF_SCOPE) and score < threshold
            if handover:
                own += 1
                unjustified += message.intent != Intent.OUT_OF_SCOPE
            caught += handover and message.intent == Intent.OUT_OF_SCOPE
            correct += (not handover) and intent == Intent.FAQ and hit is not None and hit.slug == message.article
        oos = sum(m.intent == Intent.OUT_OF_SCOPE for m, *_ in observed) or 1
        faq = sum(m.intent == Intent.FAQ for m, *_ in observed) or 1
        rows.append(
            ThresholdRow(round(float(threshold), 2), caught / oos, 1 - unjustified / own if own else 1.0, correct / faq)
        )
    meeting = [r for r in rows if r.oos_recall >= min_recall and r.handover_precision >= min_precision]
    if meeting:
        best = max(meeting, key=lambda r: (r.faq_answered_correctly, r.oos_recall))
    else:
        best = max(rows, key=lambda r: min(r.oos_recall / min_recall, r.handover_precision / min_precision))
    return EngineConfig(answer_threshold=best.threshold, intent_weight=intent_weight), rows
