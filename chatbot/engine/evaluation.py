"""Evaluation of the engine on the labelled set; ``manage.py eval_chatbot`` prints its report."""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from sklearn.metrics import f1_score

from .embedder import Embedder
from .engine import Analysis, ChatEngine, EngineConfig
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


# -- tuning: grouped cross-validation on the tuning part only -----------------------------------


@dataclass(frozen=True)
class Observation:
    """One tuning message scored by an engine that was trained without it."""

    message: LabelledMessage
    # "unseen article": a FAQ message whose article was stripped of its example questions and
    # whose tuning messages were all left out of training (what the held-out part's articles
    # without example questions look like); "seen article": a FAQ message whose article kept its
    # example questions; "" for the other intents.
    condition: str
    analysis: Analysis


UNSEEN, SEEN = "unseen article", "seen article"


@dataclass(frozen=True)
class Fold:
    unseen: frozenset[str]  # slugs of the articles stripped of their example questions
    scored: tuple[int, ...]  # indices of the tuning messages left out of training and scored


def grouped_folds(tuning: Sequence[LabelledMessage], *, folds: int = 5, seed: int = 0) -> list[Fold]:
    """The folds of ``grouped_cross_validation`` for one seed (see there)."""
    from sklearn.model_selection import StratifiedKFold

    asked = sorted({m.article for m in tuning if m.intent == Intent.FAQ and m.article})
    shuffled = random.Random(seed).sample(asked, len(asked))  # noqa: S311 - a reproducible shuffle, not a secret
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    result = []
    for k, (_, share) in enumerate(splitter.split(list(tuning), [m.intent.value for m in tuning])):
        unseen = frozenset(shuffled[k::folds])
        scored = set(share.tolist()) | {i for i, m in enumerate(tuning) if m.article in unseen}
        result.append(Fold(unseen=unseen, scored=tuple(sorted(scored))))
    return result


def without_examples(articles: Sequence[Article], slugs: frozenset[str]) -> list[Article]:
    """``articles`` with the example questions of those in ``slugs`` removed (title and body kept)."""
    return [replace(a, example_questions=()) if a.slug in slugs else a for a in articles]


def grouped_cross_validation(
    *,
    articles: Sequence[Article],
    tuning: Sequence[LabelledMessage],
    embedder: Embedder | None,
    folds: int = 5,
    repeats: int = 2,
    seed: int = 0,
    product_names: Sequence[str] = (),
) -> list[Observation]:
    """Cross-validation on the tuning part that simulates articles nobody wrote questions for.
    ``product_names`` are the catalogue the engines match (the evaluation's: ``load_product_names``).

    The articles that tuning messages ask about are shuffled into ``folds`` groups. Fold k:

    - the articles of group k lose their example questions (in the index and in the intent
      model's training), and every tuning message about them is left out of training and scored
      ("unseen article");
    - the k-th share of a stratified split of all other tuning messages (out-of-scope, the other
      intents, FAQ about the remaining articles, which keep their examples: "seen article") is
      left out of training and scored too.

    So each out-of-scope and non-FAQ message is scored once per repeat, each FAQ message once as
    "unseen article" and usually once more as "seen article". The held-out part is never read.
    """
    embedder = _CachingEmbedder(embedder) if embedder is not None else None
    observations: list[Observation] = []
    for repeat in range(repeats):
        for fold in grouped_folds(tuning, folds=folds, seed=seed + repeat):
            scored = set(fold.scored)
            engine = ChatEngine(
                articles=without_examples(articles, fold.unseen),
                training=[m for i, m in enumerate(tuning) if i not in scored],
                embedder=embedder,
                config=EngineConfig(answer_threshold=0.0),
                product_names=product_names,
            )
            for i in fold.scored:
                message = tuning[i]
                condition = (UNSEEN if message.article in fold.unseen else SEEN) if message.intent == Intent.FAQ else ""
                observations.append(Observation(message, condition, engine.analyse(message.text)))
    return observations


@dataclass(frozen=True)
class TuningRow:
    config: EngineConfig
    intent_accuracy: float
    oos_recall: float
    handover_precision: float
    faq_answered_correctly: float  # FAQ answered with the labelled article, both conditions
    unseen_answered_correctly: float  # the same for "unseen article" messages only

    @property
    def threshold(self) -> float:
        return self.config.answer_threshold


class _Scored:
    """The observations as arrays, to score thousands of configurations in a second.
    ``fallback_config`` sets what ``Analysis.fallback`` takes an unsure message for (its
    ``product_fallback`` and ``product_fallback_vote``, carried into every row's config; the grid
    does not vary them)."""

    def __init__(self, observations: Sequence[Observation], fallback_config: EngineConfig | None = None) -> None:
        analyses = [o.analysis for o in observations]
        gold = [o.message for o in observations]
        fallback_config = fallback_config or EngineConfig(answer_threshold=0.0)
        fallbacks = [a.fallback(fallback_config) for a in analyses]
        self.fallback_config = fallback_config
        self.fallback = np.array([f is not None for f in fallbacks])
        self.fallback_right = np.array([f == m.intent for f, m in zip(fallbacks, gold, strict=True)])
        self.top = np.array([a.top for a in analyses])
        self.neighbours = np.array([a.in_scope - a.out_of_scope for a in analyses])
        self.vote = np.array([a.probabilities[Intent.FAQ] - a.probabilities[Intent.OUT_OF_SCOPE] for a in analyses])
        self.other_business = np.array([bool(a.entities.other_businesses) for a in analyses], dtype=np.float64)
        self.unknown = np.array([a.unknown for a in analyses], dtype=np.float64)
        # Weighed against the threshold: the FAQ and out-of-scope votes always, order and ticket
        # questions that name another company only while that cue's weight is above 0.
        self.votes_branch = np.array([a.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE) for a in analyses])
        self.company_lookup = np.array([a.names_company_lookup for a in analyses])
        self.has_hits = np.array([bool(a.hits) for a in analyses])
        self.vote_faq = np.array([a.intent == Intent.FAQ for a in analyses])
        self.gold_faq = np.array([m.intent == Intent.FAQ for m in gold])
        self.gold_oos = np.array([m.intent == Intent.OUT_OF_SCOPE for m in gold])
        self.intent_right = np.array([a.intent == m.intent for a, m in zip(analyses, gold, strict=True)])
        self.hit_right = np.array(
            [bool(a.hits) and a.hits[0].slug == m.article for a, m in zip(analyses, gold, strict=True)]
        )
        self.faq = np.array([bool(o.condition) for o in observations])
        self.unseen = np.array([o.condition == UNSEEN for o in observations])

    def rows(
        self,
        neighbour_weight: float,
        intent_weight: float,
        thresholds: np.ndarray,
        other_business_weight: float = 0.0,
        unknown_weight: float = 0.0,
    ) -> list[TuningRow]:
        score = self.top + neighbour_weight * self.neighbours + intent_weight * self.vote
        score = score - other_business_weight * self.other_business - unknown_weight * self.unknown
        branch = self.votes_branch | (self.company_lookup & (other_business_weight > 0))
        t = thresholds[:, None]
        answered = branch & self.has_hits & (score >= t)  # one row per threshold
        rescued = branch & ~answered & self.fallback  # taken for what they plainly are
        unsure = branch & ~answered & ~self.fallback
        caught = (unsure & self.gold_oos).sum(axis=1)
        own = unsure.sum(axis=1)
        right_answer = answered & self.hit_right
        # Below the answer threshold t_i the same score labels the message FAQ or out-of-scope
        # (unsure threshold u_j <= t_i), except the rescued ones; the best u_j for intent accuracy.
        # labelled[j] counts every weighed message by u_j; less those rescued at t_i, plus the
        # rescued ones that are right.
        labelled = (branch & self.gold_faq & (score >= t)) | (branch & self.gold_oos & (score < t))
        few = np.flatnonzero(self.fallback & branch)  # the product below only over the rescuable ones
        rescued_labelled = np.rint(rescued[:, few].astype(np.float64) @ labelled[:, few].T.astype(np.float64))
        branch_right = labelled.sum(axis=1)[None, :] - rescued_labelled
        branch_right = branch_right + (rescued & self.fallback_right).sum(axis=1)[:, None]
        branch_right = np.where(np.tri(len(t), dtype=bool), branch_right, -1)  # u_j <= t_i only
        best_at = branch_right.shape[1] - 1 - np.argmax(branch_right[:, ::-1], axis=1)  # the highest best u_j
        best_so_far = branch_right[np.arange(len(t)), best_at]
        other = (self.intent_right & ~branch).sum()
        n, oos = len(self.top), max(int(self.gold_oos.sum()), 1)
        faq, unseen = max(int(self.faq.sum()), 1), max(int(self.unseen.sum()), 1)
        return [
            TuningRow(
                config=EngineConfig(
                    answer_threshold=round(float(thresholds[i]), 2),
                    neighbour_weight=neighbour_weight,
                    intent_weight=intent_weight,
                    unsure_threshold=round(float(thresholds[best_at[i]]), 2),
                    other_business_weight=other_business_weight,
                    product_fallback=self.fallback_config.product_fallback,
                    product_fallback_vote=self.fallback_config.product_fallback_vote,
                    unknown_weight=unknown_weight,
                ),
                intent_accuracy=float(other + best_so_far[i]) / n,
                oos_recall=float(caught[i]) / oos,
                handover_precision=float(caught[i]) / float(own[i]) if own[i] else 1.0,
                faq_answered_correctly=float((right_answer[i] & self.faq).sum()) / faq,
                unseen_answered_correctly=float((right_answer[i] & self.unseen).sum()) / unseen,
            )
            for i in range(len(t))
        ]


def score_config(observations: Sequence[Observation], config: EngineConfig) -> TuningRow:
    """The figures ``evaluate`` reports, for ``config``, on cross-validated observations (the
    straightforward version of ``_Scored``, which the tests compare it with)."""
    right = caught = oos = own = justified = 0
    answered = {SEEN: 0, UNSEEN: 0}
    faq = {SEEN: 0, UNSEEN: 0}
    for observation in observations:
        gold = observation.message
        intent, _, from_article = observation.analysis.decision(config)
        right += intent == gold.intent
        unsure = (
            intent in (Intent.FAQ, Intent.OUT_OF_SCOPE) and observation.analysis.weighed(config) and not from_article
        )
        if gold.intent == Intent.OUT_OF_SCOPE:
            oos += 1
            caught += unsure
        if unsure:
            own += 1
            justified += gold.intent == Intent.OUT_OF_SCOPE
        if observation.condition:
            faq[observation.condition] += 1
            answered[observation.condition] += from_article and observation.analysis.hits[0].slug == gold.article
    return TuningRow(
        config=config,
        intent_accuracy=right / max(len(observations), 1),
        oos_recall=caught / max(oos, 1),
        handover_precision=justified / own if own else 1.0,
        faq_answered_correctly=sum(answered.values()) / max(sum(faq.values()), 1),
        unseen_answered_correctly=answered[UNSEEN] / max(faq[UNSEEN], 1),
    )


@dataclass(frozen=True)
class OfferRow:
    """What listing the closest articles in unsure replies from ``threshold`` up does in the CV."""

    threshold: float
    in_scope_share: float  # of the unsure replies labelled out of scope that list articles, the shop's own questions
    oos_listed: float  # share of the out-of-scope messages whose unsure reply lists articles
    in_scope_helped: float  # share of the unsure replies to in-scope FAQ questions that list the right article


OFFER_MIN_IN_SCOPE_SHARE = 1 / 3
OFFER_MIN_LISTED = 20


def choose_offer_threshold(
    observations: Sequence[Observation],
    config: EngineConfig,
    *,
    min_share: float = OFFER_MIN_IN_SCOPE_SHARE,
    min_listed: int = OFFER_MIN_LISTED,
) -> OfferRow:
    """The lowest ``offer_threshold`` (at most the answer threshold, by 0.01) at which at least
    ``min_share`` of all the unsure replies it adds articles to are to the shop's own questions,
    and of the ``min_listed`` of them nearest the threshold too, counting only thresholds that list
    at least ``min_listed`` replies (fewer are too few to judge by); the answer threshold itself
    (nothing added) if none does.

    Near the answer threshold many unsure replies are to questions the shop answers, and the
    closest articles usually include the right one; further down almost all are out of scope and
    a list of articles would only be noise. The share over every reply listed down to the
    threshold keeps a run of out-of-scope messages just below the answer threshold (a cluster of
    other companies' questions, say) from stopping the listing on its own; the share near the
    threshold keeps a good start from paying for a tail of noise."""
    candidates = [o for o in observations if o.analysis.hits and o.analysis.weighed(config)]
    oos = max(sum(o.message.intent == Intent.OUT_OF_SCOPE for o in observations), 1)
    unsure_faq = [o for o in candidates if o.message.intent == Intent.FAQ and not o.analysis.decision(config)[2]]

    def row(threshold: float) -> tuple[OfferRow, int, float]:
        offer = replace(config, offer_threshold=threshold)
        listed = [
            o
            for o in candidates
            if o.analysis.offers_articles(offer) and o.analysis.decision(offer)[0] == Intent.OUT_OF_SCOPE
        ]
        own = sum(o.message.intent != Intent.OUT_OF_SCOPE for o in listed)
        nearest = sorted(listed, key=lambda o: o.analysis.answerability(config))[:min_listed]  # just above it
        nearest_share = sum(o.message.intent != Intent.OUT_OF_SCOPE for o in nearest) / max(len(nearest), 1)
        helped = sum(
            o.analysis.offers_articles(offer) and o.message.article in {h.slug for h in o.analysis.hits}
            for o in unsure_faq
        )
        return (
            OfferRow(
                threshold=round(float(threshold), 2),
                in_scope_share=own / len(listed) if listed else 1.0,
                oos_listed=sum(o.message.intent == Intent.OUT_OF_SCOPE for o in listed) / oos,
                in_scope_helped=float(helped) / len(unsure_faq) if unsure_faq else 0.0,
            ),
            len(listed),
            nearest_share,
        )

    top = config.answer_threshold
    chosen, chosen_listed, _ = row(top)
    for threshold in sorted((t for t in THRESHOLDS if t < top), reverse=True):
        candidate, listed, nearest_share = row(threshold)
        enough = candidate.in_scope_share >= min_share and nearest_share >= min_share
        if listed >= min_listed and enough and listed > chosen_listed:
            chosen, chosen_listed = candidate, listed  # the highest threshold that lists these replies
    return chosen


INTENT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
OTHER_BUSINESS_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
UNKNOWN_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
NEIGHBOUR_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(-1.0, 2.5, 0.01))


def choose_config(
    rows: Sequence[TuningRow], *, min_recall: float = 0.85, min_precision: float = 0.90, tolerance: float = 0.005
) -> TuningRow:
    """Among the rows that meet both hand-over targets, the highest intent accuracy (then the most
    FAQ answered right). If none meets both, the rows closest to them (the lower of recall/target
    and precision/target, within ``tolerance`` of the best: closer than the cross-validation can
    tell apart) and among those the highest intent accuracy, then the most FAQ answered right."""
    meeting = [r for r in rows if r.oos_recall >= min_recall and r.handover_precision >= min_precision]
    if not meeting:

        def closeness(r: TuningRow) -> float:
            return min(r.oos_recall / min_recall, r.handover_precision / min_precision)

        best = max(closeness(r) for r in rows)
        meeting = [r for r in rows if closeness(r) >= best - tolerance]
    return max(meeting, key=lambda r: (r.intent_accuracy, r.faq_answered_correctly, r.oos_recall))


def score_grid(
    observations: Sequence[Observation],
    *,
    intent_weights: Sequence[float] = INTENT_WEIGHTS,
    neighbour_weights: Sequence[float] = NEIGHBOUR_WEIGHTS,
    thresholds: Sequence[float] = THRESHOLDS,
    other_business_weights: Sequence[float] = OTHER_BUSINESS_WEIGHTS,
    unknown_weights: Sequence[float] = UNKNOWN_WEIGHTS,
    fallback_config: EngineConfig | None = None,
) -> list[TuningRow]:
    scored = _Scored(observations, fallback_config)
    grid = np.asarray(thresholds, dtype=np.float64)
    return [
        row
        for nw in neighbour_weights
        for iw in intent_weights
        for ow in other_business_weights
        for uw in unknown_weights
        for row in scored.rows(float(nw), float(iw), grid, float(ow), float(uw))
    ]


def tune(
    *,
    articles: Sequence[Article],
    tuning: Sequence[LabelledMessage],
    embedder: Embedder | None,
    folds: int = 5,
    repeats: int = 5,
    product_names: Sequence[str] = (),
    **grid,
) -> tuple[TuningRow, list[TuningRow], OfferRow]:
    """Choose the thresholds and the weights by grouped cross-validation on the tuning part
    (``grouped_cross_validation``); returns the chosen row, every row of the grid, and where unsure
    replies start listing articles at the chosen point (``choose_offer_threshold``)."""
    observations = grouped_cross_validation(
        articles=articles,
        tuning=tuning,
        embedder=embedder,
        folds=folds,
        repeats=repeats,
        product_names=product_names,
    )
    rows = score_grid(observations, **grid)
    chosen = choose_config(rows)
    return chosen, rows, choose_offer_threshold(observations, chosen.config)
