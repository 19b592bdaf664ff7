"""The chat engine: intent, entities and article retrieval in, one decision out.

Pure Python (no Django): the service layer gives it articles and product names as dataclasses and
strings, and turns its ``EngineReply`` into a chat message, a lookup or a hand-over.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from .embedder import Embedder, load_embedder
from .entities import ProductMatcher, extract_entities
from .intents import IntentModel, LabelledMessage
from .retrieval import ArticleIndex
from .text import first_paragraph
from .types import Action, Article, ArticleHit, EngineReply, Entities, Intent

logger = logging.getLogger(__name__)

_USE_DEFAULT = object()


@dataclass(frozen=True)
class EngineConfig:
    """Decision thresholds, chosen on the tuning part only (``tune_thresholds`` in evaluation)."""

    # A help-centre question (FAQ or out-of-scope by the intent model) is answered from the best
    # article when  top article score + neighbour_weight * (in-scope - out-of-scope neighbour
    # similarity)  reaches this threshold; below it the bot says it is not sure and offers a person.
    answer_threshold: float
    neighbour_weight: float = 1.0
    # Weight of the intent model's own FAQ-versus-out-of-scope vote (p(faq) - p(out_of_scope)).
    intent_weight: float = 0.0

    @classmethod
    def for_engine(cls, engine_name: str) -> EngineConfig:
        return _DEFAULT_CONFIGS.get(engine_name, _DEFAULT_CONFIGS["lexical"])


_DEFAULT_CONFIGS = {
    # From `manage.py eval_chatbot --tune` (5-fold CV on the tuning part; intent weight tried at
    # 0, 0.25, 0.5, 0.75, 1: only 0.5 with embeddings met both the recall and precision targets).
    "minilm-onnx": EngineConfig(answer_threshold=0.66, intent_weight=0.5),
    "lexical": EngineConfig(answer_threshold=0.39, intent_weight=0.5),
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


class ChatEngine:
    """Thread-safe for concurrent ``reply`` calls; ``rebuild_index`` swaps the index atomically."""

    def __init__(
        self,
        *,
        articles: Sequence[Article],
        training: Sequence[LabelledMessage],
        product_names: Sequence[str] = (),
        embedder: Embedder | None | object = _USE_DEFAULT,
        config: EngineConfig | None = None,
    ) -> None:
        self.embedder: Embedder | None = load_embedder() if embedder is _USE_DEFAULT else embedder  # type: ignore[assignment]
        self._index = ArticleIndex(articles, embedder=self.embedder)
        self.engine_name = self._index.engine_name
        self.config = config or EngineConfig.for_engine(self.engine_name)
        self._intents = IntentModel(training, embedder=self.embedder)
        self._products = ProductMatcher(product_names)
        self._lock = threading.Lock()
        logger.info(
            "chatbot engine ready: retrieval=%s, %s articles, %s training examples, %s products",
            self.engine_name,
            len(self._index.articles),
            len(training),
            len(self._products.names),
        )

    # -- maintenance -------------------------------------------------------------------------

    def rebuild_index(self, articles: Sequence[Article]) -> None:
        """Rebuild the article index (call on commit after an article changed, not per request).

        Passage vectors are cached by text, so only new or edited passages are embedded again.
        """
        with self._lock:
            index = self._index.rebuilt(articles)
            self._index = index
        logger.info("chatbot engine: index rebuilt with %s articles (%s)", len(index.articles), self.engine_name)

    def set_product_names(self, names: Sequence[str]) -> None:
        self._products = ProductMatcher(names)

    @property
    def index(self) -> ArticleIndex:
        return self._index

    # -- answering ---------------------------------------------------------------------------

    def search(self, text: str, *, k: int = 3) -> tuple[ArticleHit, ...]:
        return self._index.search(text, k=k)

    def reply(self, text: str, *, context: ConversationContext | None = None) -> EngineReply:
        text = (text or "").strip()
        index = self._index  # one index for the whole reply, even if a rebuild swaps it meanwhile
        entities = extract_entities(text, self._products)
        if not text:
            return self._reply(Intent.GREETING, 1.0, Action.ANSWER, TEXTS[Intent.GREETING], entities)

        # A bare reference after the bot asked for one needs no classifier.
        if context and context.awaiting == Action.ASK_ORDER_NUMBER and entities.order_numbers:
            return self._reply(Intent.ORDER_STATUS, 1.0, Action.LOOKUP_ORDER, TEXTS[Action.LOOKUP_ORDER], entities)
        if context and context.awaiting == Action.ASK_TICKET_REF and entities.ticket_refs:
            return self._reply(Intent.TICKET_STATUS, 1.0, Action.LOOKUP_TICKET, TEXTS[Action.LOOKUP_TICKET], entities)
        if context and context.awaiting == Action.ASK_PRODUCT and entities.products:
            return self._reply(Intent.PRODUCT_INFO, 1.0, Action.LOOKUP_PRODUCT, TEXTS[Action.LOOKUP_PRODUCT], entities)

        query_vector = index.embed_query(text)
        probabilities = self._intents.predict(text, query_vector)
        intent = max(probabilities, key=probabilities.__getitem__)
        confidence = probabilities[intent]
        hits = index.search(text, k=3, query_vector=query_vector)
        top = hits[0].score if hits else 0.0

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
        answerable = False
        if intent in (Intent.FAQ, Intent.OUT_OF_SCOPE):
            score = self.answerability(text, top, query_vector, probabilities)
            answerable = score >= self.config.answer_threshold
            if answerable:
                intent, confidence = Intent.FAQ, probabilities[Intent.FAQ]
        return self._decide(intent, confidence, entities, hits, top, index, answerable=answerable)

    def answerability(self, text: str, top_article_score: float, query_vector=None, probabilities=None) -> float:
        """How sure the bot is that a help-centre article answers ``text`` (compared with the threshold)."""
        in_scope, out_of_scope = self._intents.neighbour_similarities(text, query_vector)
        score = top_article_score + self.config.neighbour_weight * (in_scope - out_of_scope)
        if self.config.intent_weight:
            probabilities = probabilities or self._intents.predict(text, query_vector)
            score += self.config.intent_weight * (probabilities[Intent.FAQ] - probabilities[Intent.OUT_OF_SCOPE])
        return score

    def _decide(
        self, intent, confidence, entities: Entities, hits, top: float, index: ArticleIndex, *, answerable: bool
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
                body = first_paragraph(article.body) if article else ""
                return reply(Action.ANSWER, f"{body}\n\nMore in “{hits[0].title}”.", hits)
            case Intent.FAQ:
                titles = "\n".join(f"- {h.title}" for h in hits)
                return reply(Action.UNSURE, f"{TEXTS['unsure']}\n{titles}\n{TEXTS['offer_person']}", hits)
            case _:
                return reply(Action.UNSURE, TEXTS["out_of_scope"], ())

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
