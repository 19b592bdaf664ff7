"""Plain data the engine takes and returns. No Django here: the service layer maps models to these."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Intent(StrEnum):
    GREETING = "greeting"
    GOODBYE = "goodbye"  # thanks / goodbye
    ORDER_STATUS = "order_status"
    PRODUCT_INFO = "product_info"  # stock, availability or price of a product
    DELIVERY_ESTIMATE = "delivery_estimate"
    TICKET_STATUS = "ticket_status"
    FAQ = "faq"
    HUMAN = "human"  # talk to a person
    OUT_OF_SCOPE = "out_of_scope"


class Action(StrEnum):
    """What the caller should do with the reply.

    ``ANSWER`` replies are complete. ``LOOKUP_*`` replies need a fact the engine does not have
    (an order, a ticket, a product's stock); the service looks it up, scoped to the asker, and
    writes the text. ``ASK_*`` replies ask the customer for the missing reference. ``UNSURE``
    offers the top articles and a hand-over; ``HANDOVER`` hands over to an agent now.
    """

    ANSWER = "answer"
    LOOKUP_ORDER = "lookup_order"
    LOOKUP_TICKET = "lookup_ticket"
    LOOKUP_PRODUCT = "lookup_product"
    ESTIMATE_DELIVERY = "estimate_delivery"
    ASK_ORDER_NUMBER = "ask_order_number"
    ASK_TICKET_REF = "ask_ticket_ref"
    ASK_PRODUCT = "ask_product"
    UNSURE = "unsure"
    HANDOVER = "handover"


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    body: str  # Markdown source; the Django layer sanitises it when rendering
    category: str = ""
    tags: tuple[str, ...] = ()
    example_questions: tuple[str, ...] = ()
    published: bool = True


@dataclass(frozen=True)
class ArticleHit:
    slug: str
    title: str
    score: float
    # The body passage (paragraph or list item, as Markdown) that matched the message best, or ""
    # when the title or an example question did: a chat answer can quote it instead of the
    # article's first paragraph ("how long is a gift card valid?"). Not part of equality.
    passage: str = field(default="", compare=False)


@dataclass(frozen=True)
class ProductMatch:
    name: str
    score: float  # 0..1, share of the name's (idf-weighted) words found in the message
    # The idf weight of those words: names that match the same words of the message ("camping
    # chair" in "Classic Camping Chair" and "Compact Camping Chair") have the same. Not part of equality.
    matched: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class Entities:
    order_numbers: tuple[str, ...] = ()
    ticket_refs: tuple[str, ...] = ()  # normalised, e.g. "TCK-00042"
    products: tuple[ProductMatch, ...] = ()


@dataclass(frozen=True)
class EngineReply:
    intent: Intent
    intent_confidence: float
    action: Action
    text: str  # ready to show for ANSWER/ASK_*/UNSURE/HANDOVER; a fallback sentence for LOOKUP_*
    entities: Entities = field(default_factory=Entities)
    articles: tuple[ArticleHit, ...] = ()  # best first; articles[0] is the answer when action is ANSWER/faq
    article_confidence: float = 0.0
    engine: str = ""  # which retrieval engine answered: "minilm-onnx" or "lexical"

    @property
    def offers_handover(self) -> bool:
        """True when the bot says it is not sure or hands over instead of answering."""
        return self.action in (Action.UNSURE, Action.HANDOVER)
