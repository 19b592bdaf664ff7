"""The chat engine: intent, references, article retrieval and the decision layer in, one reply out.

Pure Python (no Django): the service layer gives it articles and product names, and turns its
``EngineReply`` into a chat message, a lookup scoped to the asker, or a hand-over.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from .dataset import article_examples
from .decision import DecisionModel, Verdict, load_decision_model, signals
from .embedder import CachedEmbedder, Embedder, load_embedder
from .entities import ProductMatcher, extract_entities
from .intents import IntentModel, LabelledMessage
from .retrieval import ArticleIndex
from .text import first_paragraph, with_best_passage
from .types import Action, Article, ArticleHit, EngineReply, Entities, Intent
from .vector_store import VectorStore

logger = logging.getLogger(__name__)

_USE_DEFAULT = object()

TEXTS = {
    Intent.GREETING: (
        "Hello! I can check an order or a ticket, tell you whether a product is in stock and when it would "
        "arrive, or answer questions about delivery, payment, returns and your account. What can I do for you?"
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
    "offer": "I'm not sure I understood. Did you mean one of these? If not, I can pass you to a person.",
    "or_articles": " Or did you mean one of these articles?",
    "hand_over": (
        "Sorry, I can only help with our shop: orders, products, deliveries, returns, payment and your account. "
        "Would you like me to pass you to a person?"
    ),
}
# Intents answered from the shop's data or by a fixed reply, whatever the articles say.
_ROUTED = (Intent.GREETING, Intent.GOODBYE, Intent.HUMAN, Intent.ORDER_STATUS, Intent.TICKET_STATUS)


@dataclass(frozen=True)
class ConversationContext:
    awaiting: Action | None = None  # the ASK_* action of the bot's previous reply, if any


@dataclass(frozen=True)
class Analysis:
    """What the engine reads from one message before deciding."""

    entities: Entities
    probabilities: dict[Intent, float]
    intent: Intent  # the intent model's vote after the reference rules
    confidence: float
    hits: tuple[ArticleHit, ...]
    in_scope: float  # similarity to the nearest in-scope training example
    out_of_scope: float  # ... and to the nearest out-of-scope one

    @property
    def signals(self) -> tuple[float, ...]:
        return signals(self.hits, self.probabilities, self.in_scope, self.out_of_scope)


@dataclass(frozen=True)
class _Model:
    """Index, intent model and products, swapped as one."""

    index: ArticleIndex
    intents: IntentModel
    products: ProductMatcher


class ChatEngine:
    """Thread-safe for concurrent ``reply`` calls; ``rebuild_index`` swaps index and intent model
    in one assignment. ``training`` is the labelled customer messages (the tuning part); the intent
    model also learns every article's example questions, title and passages (``article_examples``)."""

    def __init__(
        self,
        *,
        articles: Sequence[Article],
        training: Sequence[LabelledMessage],
        product_names: Sequence[str] = (),
        embedder: Embedder | None | object = _USE_DEFAULT,
        decision: DecisionModel | None = None,
        vector_store: VectorStore | None = None,
    ) -> None:
        self.embedder: Embedder | None = load_embedder() if embedder is _USE_DEFAULT else embedder  # type: ignore[assignment]
        self.engine_name = self.embedder.name if self.embedder is not None else "lexical"
        # An embedder nobody calibrated (a test's) borrows the MiniLM model's decision layer.
        self.decision = decision or load_decision_model(
            self.engine_name if self.engine_name in ("minilm-onnx", "lexical") else "minilm-onnx"
        )
        self._training = list(training)
        self._vectors = CachedEmbedder(self.embedder, store=vector_store) if self.embedder is not None else None
        self._lock = threading.Lock()  # one rebuild at a time (they share the vector cache)
        self._swap_lock = threading.Lock()  # held only to swap a model in
        self._model = self._build(articles, ProductMatcher(product_names))
        logger.info(
            "chatbot engine ready: retrieval=%s, %s articles, %s training examples, %s products",
            self.engine_name,
            len(self._model.index.articles),
            len(self._model.intents.texts),
            len(self._model.products.names),
        )

    def _build(self, articles: Sequence[Article], products: ProductMatcher) -> _Model:
        index = ArticleIndex(articles, embedder=self.embedder, vector_cache=self._vectors)
        intents = IntentModel(
            [*self._training, *article_examples(index.articles)], embedder=self.embedder, vector_cache=self._vectors
        )
        if self._vectors is not None:
            self._vectors.prune({*index.passages, *intents.texts})
            self._vectors.save()  # only if this build embedded or dropped texts
        return _Model(index, intents, products)

    def rebuild_index(self, articles: Sequence[Article]) -> None:
        """New index and refitted intent model from ``articles`` (off the request path: on commit,
        once per transaction). Only new or edited texts are embedded; replies use the old model
        until the new one is swapped in."""
        started = time.perf_counter()
        with self._lock:
            built = self._build(articles, self._model.products)
            with self._swap_lock:  # keep product names set meanwhile
                self._model = _Model(built.index, built.intents, self._model.products)
        logger.info(
            "chatbot engine: rebuilt with %s articles in %.2f s",
            len(built.index.articles),
            time.perf_counter() - started,
        )

    def set_product_names(self, names: Sequence[str]) -> None:
        products = ProductMatcher(names)
        with self._swap_lock:
            self._model = _Model(self._model.index, self._model.intents, products)

    @property
    def index(self) -> ArticleIndex:
        return self._model.index

    @property
    def intent_model(self) -> IntentModel:
        return self._model.intents

    def search(self, text: str, *, k: int = 3) -> tuple[ArticleHit, ...]:
        return self._model.index.search(text, k=k)

    def analyse(self, text: str) -> Analysis:
        return self._analyse(self._model, (text or "").strip())

    def _analyse(self, model: _Model, text: str) -> Analysis:
        entities = extract_entities(text, model.products)
        vector = model.index.embed_query(text)
        probabilities = model.intents.predict(text, vector)
        intent = max(probabilities, key=probabilities.__getitem__)
        # References are unambiguous where wording is not: a TCK reference means a ticket, and an
        # order number in a ticket or "when will it come" question about no product means an order.
        if entities.ticket_refs and intent in (Intent.FAQ, Intent.OUT_OF_SCOPE, Intent.ORDER_STATUS):
            intent = Intent.TICKET_STATUS
        elif (
            entities.order_numbers
            and not entities.ticket_refs
            and (intent == Intent.TICKET_STATUS or (intent == Intent.DELIVERY_ESTIMATE and not entities.products))
        ):
            intent = Intent.ORDER_STATUS
        hits = model.index.search(text, k=3, query_vector=vector)
        in_scope, out_of_scope = model.intents.neighbour_similarities(text, vector)
        return Analysis(entities, probabilities, intent, probabilities[intent], hits, in_scope, out_of_scope)

    def reply(self, text: str, *, context: ConversationContext | None = None) -> EngineReply:
        text = (text or "").strip()
        model = self._model  # one model for the whole reply, even if a rebuild swaps it meanwhile
        if not text:
            return self._reply(Intent.GREETING, 1.0, Action.ANSWER, TEXTS[Intent.GREETING])
        if context and context.awaiting in (Action.ASK_ORDER_NUMBER, Action.ASK_TICKET_REF, Action.ASK_PRODUCT):
            # A bare reference after the bot asked for one needs no classifier.
            entities = extract_entities(text, model.products)
            found = {
                Action.ASK_ORDER_NUMBER: (entities.order_numbers, Intent.ORDER_STATUS, Action.LOOKUP_ORDER),
                Action.ASK_TICKET_REF: (entities.ticket_refs, Intent.TICKET_STATUS, Action.LOOKUP_TICKET),
                Action.ASK_PRODUCT: (entities.products, Intent.PRODUCT_INFO, Action.LOOKUP_PRODUCT),
            }[context.awaiting]
            if found[0]:
                return self._reply(found[1], 1.0, found[2], TEXTS[found[2]], entities)
        return self._decide(self._analyse(model, text), model.index)

    def _decide(self, a: Analysis, index: ArticleIndex) -> EngineReply:
        """The whole decision, in the order it is taken."""
        e, intent = a.entities, a.intent

        def reply(action: Action, text: str, articles=(), as_intent: Intent = intent) -> EngineReply:
            return self._reply(as_intent, a.confidence, action, text, e, articles, a.hits[0].score if a.hits else 0.0)

        if intent in _ROUTED:
            match intent:
                case Intent.GREETING | Intent.GOODBYE:
                    return reply(Action.ANSWER, TEXTS[intent])
                case Intent.HUMAN:
                    return reply(Action.HANDOVER, TEXTS[Action.HANDOVER])
                case Intent.ORDER_STATUS if e.order_numbers:
                    return reply(Action.LOOKUP_ORDER, TEXTS[Action.LOOKUP_ORDER])
                case Intent.ORDER_STATUS:
                    return reply(Action.ASK_ORDER_NUMBER, TEXTS[Action.ASK_ORDER_NUMBER])
                case Intent.TICKET_STATUS if e.ticket_refs:
                    return reply(Action.LOOKUP_TICKET, TEXTS[Action.LOOKUP_TICKET])
                case _:
                    return reply(Action.ASK_TICKET_REF, TEXTS[Action.ASK_TICKET_REF])
        if intent in (Intent.PRODUCT_INFO, Intent.DELIVERY_ESTIMATE) and e.products:
            action = Action.LOOKUP_PRODUCT if intent == Intent.PRODUCT_INFO else Action.ESTIMATE_DELIVERY
            return reply(action, TEXTS[action])
        if intent == Intent.DELIVERY_ESTIMATE and e.order_numbers:
            return reply(Action.LOOKUP_ORDER, TEXTS[Action.LOOKUP_ORDER])
        verdict = self.decision.verdict(a.signals) if a.hits else Verdict.HAND_OVER
        if verdict == Verdict.ANSWER:  # the article, and up to two related ones after it
            article = index.article(a.hits[0].slug)
            body = with_best_passage(first_paragraph(article.body) if article else "", a.hits[0].passage)
            return reply(Action.ANSWER, f"{body}\n\nMore in “{a.hits[0].title}”.", a.hits, as_intent=Intent.FAQ)
        if intent in (Intent.PRODUCT_INFO, Intent.DELIVERY_ESTIMATE):  # a product question naming none we sell
            offered = a.hits if verdict == Verdict.OFFER else ()
            return reply(
                Action.ASK_PRODUCT, TEXTS[Action.ASK_PRODUCT] + (TEXTS["or_articles"] if offered else ""), offered
            )
        if verdict == Verdict.OFFER:
            titles = "\n".join(f"- {h.title}" for h in a.hits)
            return reply(Action.UNSURE, f"{TEXTS['offer']}\n{titles}", a.hits, as_intent=Intent.FAQ)
        return reply(Action.UNSURE, TEXTS["hand_over"], as_intent=Intent.OUT_OF_SCOPE)

    def _reply(self, intent, confidence, action, text, entities=None, articles=(), top=0.0) -> EngineReply:
        return EngineReply(
            intent=intent,
            intent_confidence=round(float(confidence), 4),
            action=action,
            text=text,
            entities=entities or Entities(),
            articles=tuple(articles),
            article_confidence=round(float(top), 4),
            engine=self.engine_name,
        )
