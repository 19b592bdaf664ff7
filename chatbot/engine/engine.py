"""The chat engine: intent, entities and article retrieval in, one decision out.

Pure Python (no Django): the service layer gives it articles and product names as dataclasses and
strings, and turns its ``EngineReply`` into a chat message, a lookup or a hand-over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .cues import conversational_cue
from .dataset import article_examples
from .embedder import CachedEmbedder, Embedder, load_embedder
from .entities import OtherBusinessMatcher, ProductMatcher, extract_entities, mentioned_names
from .intents import IntentModel, LabelledMessage
from .retrieval import ArticleIndex
from .text import first_paragraph, plain, with_best_passage
from .types import Action, Article, ArticleHit, EngineReply, Entities, Intent
from .vector_store import VectorStore
from .words import Vocabulary

logger = logging.getLogger(__name__)

_USE_DEFAULT = object()


@dataclass(frozen=True)
class EngineConfig:
    """Decision thresholds, chosen on the tuning part only (``evaluation.tune``)."""

    # A help-centre question (FAQ or out-of-scope by the intent model) is answered from the best
    # article when  top article score + neighbour_weight * (in-scope - out-of-scope neighbour
    # similarity)  reaches this threshold; below it the bot says it is not sure and offers a person.
    answer_threshold: float
    neighbour_weight: float = 1.0
    # Weight of the intent model's own FAQ-versus-out-of-scope vote (p(faq) - p(out_of_scope)).
    intent_weight: float = 0.0
    # Below the answer threshold the bot is unsure either way; the same score then says whether the
    # message is still a help-centre question (FAQ: the reply offers the closest articles) or out of
    # scope. ``None`` keeps the intent model's own FAQ/out-of-scope vote instead.
    unsure_threshold: float | None = None
    # Subtracted from the score when the message names another company ("my amazon parcel is
    # late"): questions about orders, returns and accounts there are not the shop's to answer.
    other_business_weight: float = 0.0
    # An unsure reply still lists the closest articles when the score reaches this level, even if
    # the message is labelled out of scope ("not sure; these might help, or a person"): near the
    # threshold many unsure replies are to the shop's own questions, and the closest articles
    # usually include the right one. Never when the message names another company. ``None``:
    # only replies labelled FAQ list them.
    offer_threshold: float | None = None
    # Before saying it is not sure, the bot looks up a product the message names when the match
    # covers at least this share of the product's name (idf-weighted, a word of it as written),
    # as a stock or delivery question by the intent model's vote between the two, if the model
    # gives those two together at least ``product_fallback_vote``: "do you have the bluetooth
    # speaker?" can read like a help-centre question, but the shop's answer is the product; "the
    # steam iron I bought is leaking" names one too, but the model sees no stock question in it.
    # ``None``: never.
    product_fallback: float | None = 0.75
    product_fallback_vote: float = 0.2
    # Subtracted from the score times the share of the message's content words that the shop's
    # own text never uses (``Analysis.unknown``): "my child's school hasn't replied to my email"
    # is close to the order-confirmation article in wording, but "child" and "school" are in no
    # article, product name or labelled in-scope message; a question about an article without
    # example questions still uses the words of its body.
    unknown_weight: float = 0.0

    @classmethod
    def for_engine(cls, engine_name: str) -> EngineConfig:
        return _DEFAULT_CONFIGS.get(engine_name, _DEFAULT_CONFIGS["lexical"])


_DEFAULT_CONFIGS = {
    # From `manage.py eval_chatbot --tune`: grouped 5-fold cross-validation x 5 on the tuning part,
    # where each fold strips a fifth of the articles of their example questions (and leaves out
    # every tuning message about them), as the held-out part's articles without examples are.
    # No point met both hand-over targets; these are the closest (MiniLM: intent accuracy 90.3%,
    # recall 84.97%, one message short of 85%, precision 90.2%; lexical: 84.0%, 79.1%, 82.0%). With the fallbacks (``Analysis.fallback``) and the unknown-word share;
    # ``offer_threshold`` by ``evaluation.choose_offer_threshold`` there.
    "minilm-onnx": EngineConfig(
        answer_threshold=0.47,
        neighbour_weight=1.0,
        intent_weight=0.0,
        unsure_threshold=0.47,
        other_business_weight=0.75,
        unknown_weight=0.25,
        offer_threshold=0.44,
    ),
    "lexical": EngineConfig(
        answer_threshold=0.15,
        neighbour_weight=0.5,
        intent_weight=0.25,
        unsure_threshold=0.15,
        other_business_weight=1.0,
        unknown_weight=0.5,
        offer_threshold=-0.06,
    ),
}


@dataclass(frozen=True)
class ConversationContext:
    """What the engine needs to know about the conversation so far."""

    awaiting: Action | None = None  # the ASK_* action of the bot's previous reply, if any


TEXTS = {
    Intent.GREETING: (
        "Hello! I can check an order or a ticket, tell you whether a product is in stock and what it costs, "
        "or answer questions about delivery, payment, returns and your account. What can I do for you?"
    ),
    Intent.GOODBYE: "You're welcome! If anything else comes up, just write here.",
    Action.HANDOVER: "I'm passing you to a member of our team; they will reply here as soon as they can.",
    Action.ASK_ORDER_NUMBER: "What is your order number? It is in your order confirmation email.",
    Action.ASK_TICKET_REF: "What is your ticket reference? It looks like TCK-00042 and is in our emails.",
    Action.ASK_PRODUCT: "Which product do you mean? Its name as shown in the shop is enough.",
    Action.LOOKUP_ORDER: "Let me look up your order.",
    Action.LOOKUP_TICKET: "Let me look up your ticket.",
    Action.LOOKUP_PRODUCT: "Let me check that product.",
    Action.ESTIMATE_DELIVERY: "Let me work out when it would arrive.",
    "unsure": "I'm not sure I understood your question. These articles might help:",
    "out_of_scope": (
        "Sorry, I can only help with our shop: orders, products, deliveries, returns, payment and your account. "
        "Would you like me to pass you to a person?"
    ),
    "offer_person": "Or I can pass you to a person.",
}


def out_of_scope_text(entities: Entities) -> str:
    """The out-of-scope answer; it names the other company the message asks about, if any."""
    if entities.other_businesses:
        return f"That sounds like a question for {entities.other_businesses[0]}. {TEXTS['out_of_scope']}"
    return TEXTS["out_of_scope"]


@dataclass(frozen=True)
class Analysis:
    """Everything the engine reads from one message before deciding (for ``reply`` and tuning)."""

    entities: Entities
    probabilities: dict[Intent, float]
    intent: Intent  # the intent model's vote after the reference rules, before the answer decision
    confidence: float
    hits: tuple[ArticleHit, ...]
    in_scope: float  # similarity to the nearest in-scope training example
    out_of_scope: float  # similarity to the nearest out-of-scope training example
    cue: Intent | None = None  # ``conversational_cue``: a request for a person, only a greeting or thanks
    # Share of the message's content words that the shop's own text never uses (``Vocabulary``).
    unknown: float = 0.0

    @property
    def top(self) -> float:
        return self.hits[0].score if self.hits else 0.0

    @property
    def names_company_lookup(self) -> bool:
        """An order or ticket question without a reference that names another company ("my
        amazon parcel hasn't come" is not about one of our orders). Product and delivery questions
        that name one are not ("anything like the ikea shelf?")."""
        e = self.entities
        return (
            self.intent in (Intent.ORDER_STATUS, Intent.TICKET_STATUS)
            and bool(e.other_businesses)
            and not (e.order_numbers or e.ticket_refs)
        )

    def weighed(self, config: EngineConfig) -> bool:
        """Whether the answer decision weighs this message against the threshold: the model's FAQ
        and out-of-scope votes and, while the other-company cue is on, ``names_company_lookup``."""
        if self.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE):
            return True
        return config.other_business_weight > 0 and self.names_company_lookup

    def answerability(self, config: EngineConfig) -> float:
        """How sure the bot is that the best article answers the message (against the threshold)."""
        score = self.top + config.neighbour_weight * (self.in_scope - self.out_of_scope)
        if config.intent_weight:
            p = self.probabilities
            score += config.intent_weight * (p[Intent.FAQ] - p[Intent.OUT_OF_SCOPE])
        if self.entities.other_businesses:
            score -= config.other_business_weight
        return score - config.unknown_weight * self.unknown

    def decision(self, config: EngineConfig) -> tuple[Intent, float, bool]:
        """The reply's intent and confidence, and whether the best article answers it.

        Only help-centre questions (the model's FAQ or out-of-scope votes) are weighed against the
        threshold: above it the bot answers from the best article (FAQ), below it it says it is
        not sure and offers a person, unless the message plainly is something else (``fallback``).
        """
        if not self.weighed(config):
            return self.intent, self.confidence, False
        score = self.answerability(config)
        if self.hits and score >= config.answer_threshold:
            return Intent.FAQ, self.probabilities[Intent.FAQ], True
        fallback = self.fallback(config)
        if fallback is not None:
            return fallback, self.probabilities[fallback], False
        if config.unsure_threshold is None:
            # The model's own vote; a weighed order or ticket question is another company's.
            intent = self.intent if self.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE) else Intent.OUT_OF_SCOPE
            return intent, self.probabilities[intent], False
        intent = Intent.FAQ if score >= min(config.unsure_threshold, config.answer_threshold) else Intent.OUT_OF_SCOPE
        return intent, self.probabilities[intent], False

    def fallback(self, config: EngineConfig) -> Intent | None:
        """What a message the bot would be unsure about plainly is, if anything: a request for a
        person, a greeting or thanks (``cue``), or a question about a product it names in large
        part (``EngineConfig.product_fallback``); nothing when it names another company."""
        if self.entities.other_businesses:  # "can I speak to someone at amazon" is theirs
            return None
        if self.cue is not None:
            return self.cue
        products, threshold, p = self.entities.products, config.product_fallback, self.probabilities
        if threshold is None or not products or products[0].score < threshold or not products[0].exact:
            return None
        if p[Intent.PRODUCT_INFO] + p[Intent.DELIVERY_ESTIMATE] < config.product_fallback_vote:
            return None
        return Intent.DELIVERY_ESTIMATE if p[Intent.DELIVERY_ESTIMATE] > p[Intent.PRODUCT_INFO] else Intent.PRODUCT_INFO

    def offers_articles(self, config: EngineConfig, decided: tuple[Intent, float, bool] | None = None) -> bool:
        """Whether an unsure reply lists the closest articles: always when the message is labelled
        FAQ, and when it is labelled out of scope but its score reaches ``offer_threshold`` and it
        names no other company. ``decided`` is ``decision(config)`` if the caller has it already."""
        if not self.hits or not self.weighed(config):
            return False
        intent, _, answerable = decided or self.decision(config)
        if answerable or intent not in (Intent.FAQ, Intent.OUT_OF_SCOPE):
            return False
        if intent == Intent.FAQ:
            return True
        return (
            config.offer_threshold is not None
            and not self.entities.other_businesses
            and self.answerability(config) >= config.offer_threshold
        )


@dataclass(frozen=True)
class _Model:
    """The article index, the intent model, the other-company names and the vocabulary built
    from the same articles, swapped as one."""

    index: ArticleIndex
    intents: IntentModel
    mentioned: frozenset[str]  # listed company names the articles mention (the shop's own)
    products: ProductMatcher
    businesses: OtherBusinessMatcher  # the other companies: the list less those and the products'
    vocabulary: Vocabulary  # the words of the articles and of the labelled in-scope messages
    product_vocabulary: Vocabulary  # the words of the product names

    def with_products(self, products: ProductMatcher) -> _Model:
        """This model with another product list (and the company names matched against it)."""
        return _Model(
            self.index,
            self.intents,
            self.mentioned,
            products,
            OtherBusinessMatcher(products.names, excluded=self.mentioned),
            self.vocabulary,
            Vocabulary(products.names),
        )


class ChatEngine:
    """Thread-safe for concurrent ``reply`` calls; ``rebuild_index`` swaps index and intent model
    atomically.

    ``training`` is the labelled customer messages (the tuning part); the engine adds what it
    learns from the articles themselves (``article_examples``), so a rebuild with new articles
    refits the intent model too.
    """

    def __init__(
        self,
        *,
        articles: Sequence[Article],
        training: Sequence[LabelledMessage],
        product_names: Sequence[str] = (),
        embedder: Embedder | None | object = _USE_DEFAULT,
        config: EngineConfig | None = None,
        vector_store: VectorStore | None = None,
    ) -> None:
        self.embedder: Embedder | None = load_embedder() if embedder is _USE_DEFAULT else embedder  # type: ignore[assignment]
        self.engine_name = self.embedder.name if self.embedder is not None else "lexical"
        self.config = config or EngineConfig.for_engine(self.engine_name)
        self._training = list(training)
        # Vectors of article passages and training examples, by text: a rebuild embeds only new text,
        # and with a ``vector_store`` a build starts from the vectors other processes saved there.
        self._vectors = CachedEmbedder(self.embedder, store=vector_store) if self.embedder is not None else None
        self._lock = threading.Lock()
        # Held only to swap in a model or new product names, never during a build, so a product
        # refresh does not wait for a rebuild (seconds with MiniLM).
        self._swap_lock = threading.Lock()
        self._model = self._build(articles, ProductMatcher(product_names))
        logger.info(
            "chatbot engine ready: retrieval=%s, %s articles, %s training examples, %s products",
            self.engine_name,
            len(self._model.index.articles),
            len(self._model.intents.texts),
            len(self._model.products.names),
        )

    # -- maintenance -------------------------------------------------------------------------

    def _build(self, articles: Sequence[Article], products: ProductMatcher) -> _Model:
        index = ArticleIndex(articles, embedder=self.embedder, vector_cache=self._vectors)
        intents = IntentModel(
            [*self._training, *article_examples(index.articles)], embedder=self.embedder, vector_cache=self._vectors
        )
        if self._vectors is not None:
            self._vectors.prune({*index.passages, *intents.texts})
            self._vectors.save()  # only if this build embedded or dropped texts
        mentioned = mentioned_names(text for a in index.articles for text in (a.title, a.body, *a.example_questions))
        vocabulary = Vocabulary(
            [
                *(text for a in index.articles for text in (a.title, plain(a.body), *a.tags, *a.example_questions)),
                *(m.text for m in self._training if m.intent != Intent.OUT_OF_SCOPE),
            ]
        )
        return _Model(
            index,
            intents,
            mentioned,
            products,
            OtherBusinessMatcher(products.names, excluded=mentioned),
            vocabulary,
            Vocabulary(products.names),
        )

    def rebuild_index(self, articles: Sequence[Article]) -> None:
        """Rebuild the article index and refit the intent model from ``articles`` (call on commit
        after an article changed, never per request).

        Vectors are cached by text, so only new or edited passages and examples are embedded; the
        intent model's refit takes about a second. Replies keep using the old model until the new
        one is swapped in (one assignment), so a reply never sees half of each.
        """
        started = time.perf_counter()
        with self._lock:  # one rebuild at a time (they share the vector cache)
            products = self._model.products
            model = self._build(articles, products)
            with self._swap_lock:  # with the product list as it is now, even if it changed meanwhile
                if self._model.products is not products:
                    model = model.with_products(self._model.products)
                self._model = model
        logger.info(
            "chatbot engine: index and intent model rebuilt with %s articles (%s) in %.2f s",
            len(model.index.articles),
            self.engine_name,
            time.perf_counter() - started,
        )

    def set_product_names(self, names: Sequence[str]) -> None:
        products = ProductMatcher(names)
        with self._swap_lock:  # a rebuild swapping in its model meanwhile would be overwritten
            self._model = self._model.with_products(products)

    @property
    def index(self) -> ArticleIndex:
        return self._model.index

    @property
    def intent_model(self) -> IntentModel:
        return self._model.intents

    # -- answering ---------------------------------------------------------------------------

    def search(self, text: str, *, k: int = 3) -> tuple[ArticleHit, ...]:
        return self._model.index.search(text, k=k)

    def unknown_share(self, text: str) -> float:
        """``Analysis.unknown`` alone: the share of the message's content words that no article,
        labelled in-scope message or product name uses (for the benchmark and the curious)."""
        model = self._model
        return model.vocabulary.unknown_share(text, also=model.product_vocabulary)

    def analyse(self, text: str) -> Analysis:
        """The intent model's vote, the references found, the best articles and the neighbours."""
        return self._analyse(self._model, (text or "").strip())

    def _analyse(self, model: _Model, text: str) -> Analysis:
        entities = extract_entities(text, model.products, model.businesses)
        query_vector = model.index.embed_query(text)
        probabilities = model.intents.predict(text, query_vector)
        intent = max(probabilities, key=probabilities.__getitem__)
        confidence = probabilities[intent]
        hits = model.index.search(text, k=3, query_vector=query_vector)
        # References are unambiguous where wording is not: a TCK reference means a ticket, and a
        # bare number in a "status"/"when will it come" question is an order (tickets are TCK-…).
        if entities.ticket_refs and intent in (Intent.FAQ, Intent.OUT_OF_SCOPE, Intent.ORDER_STATUS):
            intent, confidence = Intent.TICKET_STATUS, max(confidence, probabilities[Intent.TICKET_STATUS])
        elif (
            entities.order_numbers
            and not entities.ticket_refs
            and (intent == Intent.TICKET_STATUS or (intent == Intent.DELIVERY_ESTIMATE and not entities.products))
        ):
            intent, confidence = Intent.ORDER_STATUS, max(confidence, probabilities[Intent.ORDER_STATUS])
        in_scope, out_of_scope = model.intents.neighbour_similarities(text, query_vector)
        return Analysis(
            entities,
            probabilities,
            intent,
            confidence,
            hits,
            in_scope,
            out_of_scope,
            conversational_cue(text),
            model.vocabulary.unknown_share(text, also=model.product_vocabulary),
        )

    def reply(self, text: str, *, context: ConversationContext | None = None) -> EngineReply:
        text = (text or "").strip()
        model = self._model  # one model for the whole reply, even if a rebuild swaps it meanwhile
        if not text:
            return self._reply(Intent.GREETING, 1.0, Action.ANSWER, TEXTS[Intent.GREETING], Entities())
        # A bare reference after the bot asked for one needs no classifier.
        if context and context.awaiting in (Action.ASK_ORDER_NUMBER, Action.ASK_TICKET_REF, Action.ASK_PRODUCT):
            entities = extract_entities(text, model.products)
            if context.awaiting == Action.ASK_ORDER_NUMBER and entities.order_numbers:
                return self._reply(Intent.ORDER_STATUS, 1.0, Action.LOOKUP_ORDER, TEXTS[Action.LOOKUP_ORDER], entities)
            if context.awaiting == Action.ASK_TICKET_REF and entities.ticket_refs:
                return self._reply(
                    Intent.TICKET_STATUS, 1.0, Action.LOOKUP_TICKET, TEXTS[Action.LOOKUP_TICKET], entities
                )
            if context.awaiting == Action.ASK_PRODUCT and entities.products:
                return self._reply(
                    Intent.PRODUCT_INFO, 1.0, Action.LOOKUP_PRODUCT, TEXTS[Action.LOOKUP_PRODUCT], entities
                )
        analysis = self._analyse(model, text)
        decided = analysis.decision(self.config)
        intent, confidence, answerable = decided
        return self._decide(
            intent,
            confidence,
            analysis.entities,
            analysis.hits,
            analysis.top,
            model.index,
            answerable=answerable,
            offer=analysis.offers_articles(self.config, decided),
        )

    def _decide(
        self,
        intent,
        confidence,
        entities: Entities,
        hits,
        top: float,
        index: ArticleIndex,
        *,
        answerable: bool,
        offer: bool = False,
    ) -> EngineReply:
        def reply(action: Action, text: str, articles=()) -> EngineReply:
            return self._reply(intent, confidence, action, text, entities, articles, top)

        match intent:
            case Intent.GREETING | Intent.GOODBYE:
                return reply(Action.ANSWER, TEXTS[intent])
            case Intent.HUMAN:
                return reply(Action.HANDOVER, TEXTS[Action.HANDOVER])
            case Intent.ORDER_STATUS:
                if entities.order_numbers:
                    return reply(Action.LOOKUP_ORDER, TEXTS[Action.LOOKUP_ORDER])
                return reply(Action.ASK_ORDER_NUMBER, TEXTS[Action.ASK_ORDER_NUMBER])
            case Intent.TICKET_STATUS:
                if entities.ticket_refs:
                    return reply(Action.LOOKUP_TICKET, TEXTS[Action.LOOKUP_TICKET])
                return reply(Action.ASK_TICKET_REF, TEXTS[Action.ASK_TICKET_REF])
            case Intent.PRODUCT_INFO:
                if entities.products:
                    return reply(Action.LOOKUP_PRODUCT, TEXTS[Action.LOOKUP_PRODUCT])
                return reply(Action.ASK_PRODUCT, TEXTS[Action.ASK_PRODUCT])
            case Intent.DELIVERY_ESTIMATE:
                if entities.products:
                    return reply(Action.ESTIMATE_DELIVERY, TEXTS[Action.ESTIMATE_DELIVERY], hits)
                if entities.order_numbers:
                    return reply(Action.LOOKUP_ORDER, TEXTS[Action.LOOKUP_ORDER])
                return reply(Action.ASK_PRODUCT, TEXTS[Action.ASK_PRODUCT], hits)
            case Intent.FAQ if hits and answerable:
                article = index.article(hits[0].slug)
                body = with_best_passage(first_paragraph(article.body) if article else "", hits[0].passage)
                return reply(Action.ANSWER, f"{body}\n\nMore in “{hits[0].title}”.", hits)
            case Intent.FAQ | Intent.OUT_OF_SCOPE if intent == Intent.FAQ or offer:
                titles = "\n".join(f"- {h.title}" for h in hits)
                return reply(Action.UNSURE, f"{TEXTS['unsure']}\n{titles}\n{TEXTS['offer_person']}", hits)
            case _:
                return reply(Action.UNSURE, out_of_scope_text(entities), ())

    def _reply(self, intent, confidence, action, text, entities, articles=(), top=0.0) -> EngineReply:
        return EngineReply(
            intent=intent,
            intent_confidence=round(float(confidence), 4),
            action=action,
            text=text,
            entities=entities,
            articles=tuple(articles),
            article_confidence=round(float(top), 4),
            engine=self.engine_name,
        )
