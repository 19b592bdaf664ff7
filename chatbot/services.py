"""Writes for the help centre and the chat assistant.

``chatbot_reply`` is the one way a customer's chat message gets an answer: the engine says what
the message is about, and facts (orders, tickets, stock, delivery dates) come from the same
selectors the storefront and ticket pages use, scoped to the conversation's owner.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from operator import or_

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import User
from inventory.models import Order, OrderLine
from inventory.selectors import (
    delivery_estimate,
    order_for_customer,
    order_list_for_customer,
    product_list_for_storefront,
    stock_status,
)
from tickets.models import Channel, Queue, Ticket
from tickets.selectors import ticket_get_for_customer, ticket_last_public_reply, ticket_list_for_customer
from tickets.services import TicketError, ticket_create, ticket_reply_customer

from . import runtime
from .engine import Action, ConversationContext, EngineReply, Intent
from .engine.text import body_passage_pairs, with_best_passage
from .facts import render_facts
from .models import Article, ChatMessage, Conversation
from .rendering import first_paragraph_text, markdown_to_text

logger = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 1000
UNSURE_BEFORE_HANDOVER = 2

# Identity rules look for anything personal an anonymous visitor might type.
EMAIL_RE = re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.IGNORECASE)
# Our order numbers are SD-000123; the engine also knows other shapes ("order 123", "#12345").
ORDER_NUMBER_RE = re.compile(r"\bSD[-\s]?(\d{1,8})\b", re.IGNORECASE)
# Answers from the shop's own data about this customer or product, worth posting before a hand-over.
LIVE_DATA_ACTIONS = (Action.LOOKUP_ORDER, Action.LOOKUP_TICKET, Action.LOOKUP_PRODUCT, Action.ESTIMATE_DELIVERY)
UNHAPPY_RE = re.compile(
    r"\b(useless|terrible|awful|horrible|ridiculous|furious|angry|unacceptable|worst|disgusting|"
    r"fed up|sick of|rubbish|pathetic|not helpful|doesn'?t help|stupid bot|complain(?:t)?)\b",
    re.IGNORECASE,
)

LOGIN_TEXT = (
    "I can only talk about orders, tickets and personal details once you are logged in, so that they "
    "stay private. Please log in and ask me again; this conversation is kept."
)
LOGIN_FOR_HANDOVER_TEXT = (
    "To pass you to a member of our team I need you to log in first (we reply on your ticket, by email "
    "and here). This conversation is kept and goes with you."
)
GREETING_TEXT = (
    "Hello! I can check an order or a ticket, tell you whether a product is in stock and when it would "
    "arrive, or answer questions about delivery, payment, returns and your account."
)

# Which queue a hand-over lands in: by what the conversation was about.
QUEUE_BY_INTENT = {
    Intent.ORDER_STATUS: "orders",
    Intent.DELIVERY_ESTIMATE: "orders",
    Intent.PRODUCT_INFO: "products",
}
QUEUE_BY_CATEGORY = {
    "Orders": "orders",
    "Shipping and delivery": "orders",
    "Payment": "orders",
    "Returns and refunds": "returns",
    "Damage and warranty": "returns",
    "Products": "products",
    "Stock": "products",
    "Account": "account",
}


class ChatError(ValidationError):
    """A chat use case refused; the message is for the person who asked."""


# --- help centre ----------------------------------------------------------------------------


_changes = threading.local()  # per thread, as connections and their transactions are


def articles_changed_on_commit() -> None:
    """After this transaction commits, have the engine rebuilt once, however many articles it
    saved: each call registers a callback numbered in this thread; the first to run after a
    commit enqueues the task and marks every number so far done, so the rest of that
    transaction's callbacks do nothing. Callbacks of a rolled-back transaction never run, so a
    later transaction's still counts."""
    from .tasks import articles_changed

    _changes.requested = number = getattr(_changes, "requested", 0) + 1

    def enqueue() -> None:
        if number > getattr(_changes, "done", 0):
            _changes.done = _changes.requested
            articles_changed.delay()

    transaction.on_commit(enqueue)


@transaction.atomic
def article_save(*, article: Article) -> Article:
    """Create or update an article; the engine's index is rebuilt after commit (not per request)."""
    article.full_clean()
    article.save()
    articles_changed_on_commit()
    return article


@transaction.atomic
def article_vote(*, article: Article, helpful: bool) -> Article:
    """Count one vote (an atomic F() increment, so concurrent votes are never lost)."""
    field = "helpful_votes" if helpful else "not_helpful_votes"
    Article.objects.filter(pk=article.pk).update(**{field: F(field) + 1})
    article.refresh_from_db(fields=["helpful_votes", "not_helpful_votes"])
    return article


@transaction.atomic
def article_create_from_questions(*, questions: Sequence[ChatMessage], title: str = "") -> Article:
    """A draft (unpublished) article whose example questions are the customers' own words.

    The questions leave the review list. Agents write the body and publish it in admin.
    """
    texts = list(dict.fromkeys(" ".join(q.text.split())[:200] for q in questions if q.sender == "customer"))
    if not texts:
        raise ChatError("Choose at least one customer question.")
    title = (title or texts[0])[:200]
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:100] or "article"
    slug, n = base, 1
    while Article.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    article = Article.objects.create(
        slug=slug,
        title=title,
        body="(Draft: write the answer here, then publish.)",
        category="Drafts",
        example_questions="\n".join(texts),
        is_published=False,
    )
    ChatMessage.objects.filter(pk__in=[q.pk for q in questions]).update(needs_review=False)
    articles_changed_on_commit()
    return article


@transaction.atomic
def questions_dismiss(*, questions: Sequence[ChatMessage]) -> int:
    return ChatMessage.objects.filter(pk__in=[q.pk for q in questions], needs_review=True).update(needs_review=False)


# --- conversations --------------------------------------------------------------------------


@transaction.atomic
def conversation_start(*, user: User | None, visitor: str) -> Conversation:
    """A new conversation with the assistant's greeting, owned by the user or the visitor token."""
    owner = user if user is not None and user.is_authenticated else None
    if owner is None and not visitor:
        raise ChatError("Your browser session is missing; reload the page.")
    conversation = Conversation.objects.create(user=owner, visitor=visitor or "")
    ChatMessage.objects.create(conversation=conversation, sender=ChatMessage.Sender.BOT, text=GREETING_TEXT)
    return conversation


@transaction.atomic
def conversation_claim(*, conversation: Conversation, user: User) -> Conversation:
    """After login, the conversation the visitor started anonymously becomes the user's own."""
    if conversation.user_id is None and user.is_authenticated:
        Conversation.objects.filter(pk=conversation.pk, user__isnull=True).update(user=user)
        conversation.refresh_from_db()
    return conversation


@transaction.atomic
def message_feedback(*, message: ChatMessage, value: str) -> ChatMessage:
    """Thumbs up/down on one of the assistant's replies (the last choice counts)."""
    if value not in ChatMessage.Feedback.values:
        raise ChatError("Feedback is “up” or “down”.")
    if message.sender != ChatMessage.Sender.BOT:
        raise ChatError("Only the assistant's replies can be rated.")
    ChatMessage.objects.filter(pk=message.pk).update(feedback=value)
    message.feedback = value
    return message


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ChatError("Write a message first.")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ChatError(f"Messages are at most {MAX_MESSAGE_LENGTH} characters.")
    return text


@transaction.atomic
def chatbot_reply(*, conversation: Conversation, text: str) -> list[ChatMessage]:
    """Store the customer's message and answer it; returns the new messages (customer's first).

    Personal facts only for the conversation's signed-in owner: an anonymous visitor who mentions
    an email, an order number or a ticket reference is asked to log in and learns nothing; a
    reference that is not the owner's answers exactly like one that does not exist. Two "not
    sure" replies in a row, a request for a person, or an unhappy customer hand the conversation
    over (one ticket, see ``conversation_hand_over``). After the hand-over, messages go to the
    ticket for the agent and the bot stays quiet.
    """
    text = _clean_text(text)
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.status == Conversation.Status.CLOSED:
        raise ChatError("This conversation is closed; start a new one.")
    question = ChatMessage.objects.create(conversation=conversation, sender=ChatMessage.Sender.CUSTOMER, text=text)
    if conversation.status == Conversation.Status.HANDED_OVER:
        _forward_to_ticket(conversation, text)
        Conversation.objects.filter(pk=conversation.pk).update(updated_at=timezone.now())
        return [question]

    engine = runtime.get_engine()
    context = ConversationContext(awaiting=Action(conversation.awaiting) if conversation.awaiting else None)
    reply = engine.reply(text, context=context)
    user = conversation.user
    answer = _answer(reply, text=text, user=user)

    unhappy = bool(UNHAPPY_RE.search(text))
    streak = conversation.unsure_streak + 1 if answer.unsure else 0
    wants_person = reply.action == Action.HANDOVER or unhappy or streak >= UNSURE_BEFORE_HANDOVER
    question.intent, question.action, question.confidence = reply.intent, answer.action, _confidence(reply)
    question.engine = reply.engine
    question.needs_review = answer.unsure
    question.save(update_fields=["intent", "action", "confidence", "engine", "needs_review"])

    messages = [question]
    # A person takes over: on request, and for an unhappy customer, whose message ("it's been 10
    # days, this is ridiculous") an article or a "not sure" only answers by chance, and who should
    # not be asked a question just before a person takes over; what live data says (an order's
    # status) is still worth saying first.
    superseded = reply.action == Action.HANDOVER or (unhappy and answer.action not in LIVE_DATA_ACTIONS)
    if not (wants_person and superseded):
        messages.append(
            ChatMessage.objects.create(
                conversation=conversation,
                sender=ChatMessage.Sender.BOT,
                text=answer.text,
                intent=reply.intent,
                action=answer.action,
                confidence=_confidence(reply),
                engine=reply.engine,
                article=answer.article,
                links=answer.links,
            )
        )
    conversation.awaiting = answer.awaiting
    conversation.unsure_streak = 0 if wants_person else streak
    conversation.save(update_fields=["awaiting", "unsure_streak", "updated_at"])
    if wants_person:
        reason = (
            "asked for a person"
            if reply.action == Action.HANDOVER
            else "customer unhappy"
            if unhappy
            else f"{UNSURE_BEFORE_HANDOVER} unsure answers in a row"
        )
        # The article the bot would have answered with (or offered first) picks the queue, even if
        # it was not posted.
        topic = answer.article or next(iter(answer.offered), None)
        category = topic.category if topic else ""
        messages.append(_hand_over_or_ask_login(conversation, reason=reason, intent=reply.intent, category=category))
    return messages


def _confidence(reply: EngineReply) -> float:
    return reply.article_confidence if reply.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE) else reply.intent_confidence


@dataclass
class _Answer:
    """What the bot says back, before it is stored."""

    text: str
    action: str
    links: list = field(default_factory=list)
    article: Article | None = None
    awaiting: str = ""  # the ASK_* action to pass to the engine with the next message
    unsure: bool = False
    offered: list[Article] = field(default_factory=list)  # "Did you mean ...?" articles, best first


def _login_link() -> dict:
    return {"kind": "login", "title": "Log in", "url": reverse("accounts:login")}


def _article_link(article: Article) -> dict:
    return {"kind": "article", "title": article.title, "url": article.get_absolute_url()}


def _mentions_personal(reply: EngineReply, text: str) -> bool:
    return bool(
        EMAIL_RE.search(text)
        or ORDER_NUMBER_RE.search(text)
        or reply.entities.order_numbers
        or reply.entities.ticket_refs
        or reply.action in (Action.LOOKUP_ORDER, Action.LOOKUP_TICKET, Action.ASK_ORDER_NUMBER, Action.ASK_TICKET_REF)
    )


def _answer(reply: EngineReply, *, text: str, user: User | None) -> _Answer:
    signed_in = user is not None and user.is_authenticated
    if not signed_in and _mentions_personal(reply, text):
        return _Answer(LOGIN_TEXT, action="ask_login", links=[_login_link()])
    match reply.action:
        case Action.LOOKUP_ORDER:
            return _order_answer(user, _order_ids(reply, text))
        case Action.ASK_ORDER_NUMBER:
            return _recent_orders_answer(user)
        case Action.LOOKUP_TICKET:
            return _ticket_answer(user, reply.entities.ticket_refs[0])
        case Action.LOOKUP_PRODUCT:
            return _product_answer(reply)
        case Action.ESTIMATE_DELIVERY:
            return _delivery_answer(reply, user if signed_in else None)
        case Action.ASK_TICKET_REF if signed_in:
            return _recent_tickets_answer(user)
        case Action.ASK_TICKET_REF:
            return _Answer(reply.text, action=reply.action, awaiting=reply.action)
        case Action.ASK_PRODUCT:  # with the closest articles when the engine offers them
            links = [_article_link(a) for a in _published(reply.articles[:3])]
            return _Answer(reply.text, action=reply.action, links=links, awaiting=reply.action)
        case Action.ANSWER if reply.intent == Intent.FAQ and reply.articles:
            found = _published(reply.articles[:3])
            if not found or found[0].slug != reply.articles[0].slug:
                return _unsure_answer(reply)
            article, passage = found[0], reply.articles[0].passage
            # The passage that matched best, after the gist, unless the article has changed since
            # the index was built (then the passage may no longer be in it).
            quoted = passage and passage in (source for _, source in body_passage_pairs(render_facts(article.body)))
            best = markdown_to_text(passage) if quoted else ""
            gist = with_best_passage(first_paragraph_text(article.body), best)
            # The answer's article first, then up to two related ones (the next best).
            return _Answer(
                f"{gist}\n\nMore in “{article.title}”.",
                action=Action.ANSWER,
                links=[_article_link(a) for a in found],
                article=article,
            )
        case Action.ANSWER:
            return _Answer(reply.text, action=Action.ANSWER)
        case Action.HANDOVER:
            return _Answer(reply.text, action=Action.HANDOVER)
        case _:
            return _unsure_answer(reply)


def _published(hits) -> list[Article]:
    by_slug = {a.slug: a for a in Article.objects.filter(slug__in=[h.slug for h in hits], is_published=True)}
    return [by_slug[h.slug] for h in hits if h.slug in by_slug]


def _unsure_answer(reply: EngineReply) -> _Answer:
    """Not sure: above the engine's floor its three best articles as "Did you mean ...?" beside
    the offer of a person; below it, the offer alone."""
    articles = _published(reply.articles[:3])
    if articles:
        text = (
            "I'm not sure I understood. Did you mean one of these? If not, I can pass you to a member of "
            "our team (just say “talk to a person”)."
        )
    else:
        text = "I'm not sure I can help with that. I can pass you to a member of our team: just say “talk to a person”."
    return _Answer(
        text, action=Action.UNSURE, links=[_article_link(a) for a in articles], unsure=True, offered=articles
    )


# --- live data ----------------------------------------------------------------------------


def _order_ids(reply: EngineReply, text: str) -> list[int]:
    found = [m.group(1) for m in ORDER_NUMBER_RE.finditer(text)] + list(reply.entities.order_numbers)
    return list(dict.fromkeys(int(n) for n in found if n.isdigit() and 0 < int(n) < 10**9))


def _short(d: date) -> str:
    return date_format(d, "j M")


def order_status_text(order: Order) -> str:
    """One sentence on where an order is, from its lines (the same data as the order page)."""
    if order.status == Order.Status.CANCELLED:
        return f"Order {order.number} was cancelled on {_short(timezone.localdate(order.cancelled_at))}."
    lines = [line for line in order.lines.all() if line.status != OrderLine.Status.CANCELLED]
    placed = _short(timezone.localdate(order.created_at))
    delivered = [line for line in lines if line.status == OrderLine.Status.DELIVERED]
    shipped = [line for line in lines if line.status == OrderLine.Status.SHIPPED]
    pending = [line for line in lines if line.status == OrderLine.Status.PENDING]
    if lines and len(delivered) == len(lines):
        last = max(line.delivered_at for line in delivered if line.delivered_at) if delivered else None
        when = f" on {_short(timezone.localdate(last))}" if last else ""
        return f"Order {order.number} (placed {placed}) was delivered{when}."
    if shipped and not pending:
        last = max((line.shipped_at for line in shipped if line.shipped_at), default=None)
        when = f" on {_short(timezone.localdate(last))}" if last else ""
        return f"Order {order.number} (placed {placed}) is on its way: it was shipped{when} and usually arrives within 2 working days."
    if pending:
        # Stock for these lines was taken when the order was placed, so the in-stock estimate applies.
        estimate = delivery_estimate(product=pending[0].product, quantity=0)
        done = len(lines) - len(pending)
        part = f" {done} of {len(lines)} items are already on their way;" if done else ""
        return (
            f"Order {order.number} (placed {placed}) is being prepared for dispatch.{part} "
            f"Expected delivery: {_short(estimate.earliest)} to {_short(estimate.latest)}."
        )
    return f"Order {order.number} (placed {placed}) has no items left to deliver."


def _order_link(order: Order) -> dict:
    return {
        "kind": "order",
        "title": f"Order {order.number}",
        "url": reverse("storefront:order_detail", args=[order.pk]),
    }


NOT_FOUND_ORDER = (
    "I can't find an order {ref} on your account. Please check the number (it looks like SD-000123); "
    "your orders are listed under “My orders”."
)


def _order_answer(user: User, ids: list[int]) -> _Answer:
    if not ids:
        return _recent_orders_answer(user)
    try:
        order = order_for_customer(user=user, pk=ids[0])
    except Http404:
        # Another customer's order answers exactly like a number that does not exist; the
        # customer's own latest orders follow, so they can pick the right one.
        text = NOT_FOUND_ORDER.format(ref=f"SD-{ids[0]:06d}")
        recent = list(order_list_for_customer(user)[:3])
        if recent:
            text += "\nYour latest orders:\n" + "\n".join(f"- {order_status_text(o)}" for o in recent)
        links = [_order_link(o) for o in recent]
        return _Answer(text, action="order_not_found", links=links, awaiting=Action.ASK_ORDER_NUMBER if recent else "")
    return _Answer(order_status_text(order), action=Action.LOOKUP_ORDER, links=[_order_link(order)])


def _recent_orders_answer(user: User) -> _Answer:
    orders = list(order_list_for_customer(user)[:3])
    if not orders:
        return _Answer("I can't see any orders on your account yet.", action="no_orders")
    if len(orders) == 1:
        return _Answer(order_status_text(orders[0]), action=Action.LOOKUP_ORDER, links=[_order_link(orders[0])])
    text = "Here are your latest orders:\n" + "\n".join(f"- {order_status_text(o)}" for o in orders)
    text += "\nAsk about another one by its number (SD-…)."
    return _Answer(
        text,
        action=Action.LOOKUP_ORDER,
        links=[_order_link(o) for o in orders],
        awaiting=Action.ASK_ORDER_NUMBER,
    )


def _recent_tickets_answer(user: User) -> _Answer:
    """ "What's happening with my ticket?" from a signed-in customer: their latest requests, as the
    latest orders answer "where is my order?"."""
    tickets = list(ticket_list_for_customer(user)[:3])
    if not tickets:
        return _Answer(
            "I can't see any requests on your account. If you have a reference from one of our emails "
            "(TCK-…), type it here.",
            action="no_tickets",
            awaiting=Action.ASK_TICKET_REF,
        )
    if len(tickets) == 1:
        return _ticket_answer(user, tickets[0].reference)
    lines = [f"- {t.reference} “{t.subject}”: {t.get_status_display().lower()}" for t in tickets]
    text = "Here are your latest requests:\n" + "\n".join(lines)
    text += "\nAsk about one by its reference (TCK-…) to see our last reply."
    return _Answer(
        text,
        action=Action.LOOKUP_TICKET,
        links=[_ticket_link(t) for t in tickets],
        awaiting=Action.ASK_TICKET_REF,
    )


def _ticket_link(ticket) -> dict:
    return {"kind": "ticket", "title": ticket.reference, "url": reverse("tickets:detail", args=[ticket.reference])}


def _ticket_answer(user: User, reference: str) -> _Answer:
    try:
        ticket = ticket_get_for_customer(user, reference)
    except Http404:
        return _Answer(
            f"I can't find a request {reference} on your account. Your requests are listed under “My requests”.",
            action="ticket_not_found",
        )
    text = f"Your request {ticket.reference} “{ticket.subject}” is {ticket.get_status_display().lower()}."
    last = ticket_last_public_reply(ticket)
    if last is not None:
        excerpt = " ".join(last.body.split())
        excerpt = excerpt if len(excerpt) <= 300 else excerpt[:299] + "…"
        text += f" Our last reply ({_short(timezone.localdate(last.created_at))}): “{excerpt}”"
    else:
        text += " Nobody from our team has replied yet."
    return _Answer(text, action=Action.LOOKUP_TICKET, links=[_ticket_link(ticket)])


def _products(reply: EngineReply) -> list:
    """The shop's products the message names: the one it names in full (the longest, if several
    are: "compact kettle" is the Compact Kettle, not the Kettle), or, when it names none in full,
    every match that matched the same words of it ("the camping chair" when the shop has a Classic
    and a Compact one; at most the engine's three), in the engine's order. A best match no longer
    on sale gives way to the next."""
    matches = reply.entities.products
    if not matches:
        return []
    full = [m for m in matches if m.score >= 1]
    candidates = full or list(matches)
    heaviest = max(m.matched for m in candidates)
    best = [m.name for m in candidates if m.matched >= heaviest]
    found = product_list_for_storefront().filter(reduce(or_, (Q(name__iexact=name) for name in best)))
    by_name = {p.name.casefold(): p for p in found}
    products = [by_name[name.casefold()] for name in best if name.casefold() in by_name]
    if products:
        return products
    for match in (m for m in matches if m.name not in best):
        product = product_list_for_storefront().filter(name__iexact=match.name).first()
        if product is not None:
            return [product]
    return []


def _product_link(product) -> dict:
    return {"kind": "product", "title": product.name, "url": product.get_absolute_url()}


def _several(lines: list[str]) -> str:
    return "These products match:\n" + "\n".join(f"- {line}" for line in lines)


def _out_of_stock_text(product) -> str:
    """What the product page says of a sold-out product, in words: it cannot be ordered until it
    is back (no cart button, only "Notify me"), and when the next supplier delivery brings some."""
    estimate = delivery_estimate(product=product)
    if estimate.from_purchase_order:
        back = (
            "We expect more with our supplier's next delivery: ordered then, it could reach you "
            f"{_short(estimate.earliest)} to {_short(estimate.latest)}. "
        )
    else:
        back = ""
    return f"It can be ordered again once it is back. {back}“Notify me” on its page emails you when it is."


def _stock_line(product) -> str:
    label, level = stock_status(product)
    price = f"€{product.effective_price:.2f}"
    text = f"{product.name}: {label.lower() if label != 'In stock' else 'in stock'}, {price}."
    if level == "out":
        text += f" {_out_of_stock_text(product)}"
    return text


def _product_answer(reply: EngineReply) -> _Answer:
    products = _products(reply)
    if not products:
        return _Answer("I can't find that product in our shop. Which product do you mean?", action=Action.ASK_PRODUCT,
                       awaiting=Action.ASK_PRODUCT)  # fmt: skip
    lines = [_stock_line(product) for product in products]
    text = lines[0] if len(lines) == 1 else _several(lines)
    return _Answer(text, action=Action.LOOKUP_PRODUCT, links=[_product_link(p) for p in products])


def _arrival_line(product) -> str:
    label, level = stock_status(product)
    if level == "out":
        return f"{product.name} is out of stock. {_out_of_stock_text(product)}"
    estimate = delivery_estimate(product=product)
    stock = "is in stock" if level == "in" else f"has {label.lower()}"  # "has only 3 left"
    return (
        f"{product.name} {stock}. Ordered today it should arrive between "
        f"{_short(estimate.earliest)} and {_short(estimate.latest)}."
    )


ON_THE_WAY_ORDERS_LOOKED_AT = 10


def _on_the_way_answer(user: User, products: list) -> _Answer | None:
    """ "I ordered a kettle last week and it hasn't come": when the customer's own recent orders
    have a line of one of ``products`` (those the message names) that has not arrived yet, those
    orders' status answers the delivery question, not the date a new order would arrive."""
    ids = {product.pk for product in products}
    open_lines = (OrderLine.Status.PENDING, OrderLine.Status.SHIPPED)
    orders = [
        order
        for order in order_list_for_customer(user)[:ON_THE_WAY_ORDERS_LOOKED_AT]
        if order.status != Order.Status.CANCELLED
        and any(line.status in open_lines and line.product_id in ids for line in order.lines.all())
    ][:3]
    if not orders:
        return None
    if len(orders) == 1:
        text = order_status_text(orders[0])
    else:
        text = "These orders of yours are on the way:\n" + "\n".join(f"- {order_status_text(o)}" for o in orders)
    return _Answer(text, action=Action.LOOKUP_ORDER, links=[_order_link(o) for o in orders])


def _delivery_answer(reply: EngineReply, user: User | None = None) -> _Answer:
    products = _products(reply)
    if not products:
        return _product_answer(reply)
    if user is not None and (on_the_way := _on_the_way_answer(user, products)):
        return on_the_way
    lines = [_arrival_line(product) for product in products]
    text = lines[0] if len(lines) == 1 else _several(lines)
    return _Answer(text, action=Action.ESTIMATE_DELIVERY, links=[_product_link(p) for p in products])


# --- hand-over ------------------------------------------------------------------------------


def _hand_over_or_ask_login(conversation: Conversation, *, reason: str, intent: str, category: str = "") -> ChatMessage:
    if conversation.user_id is None:
        return ChatMessage.objects.create(
            conversation=conversation,
            sender=ChatMessage.Sender.BOT,
            text=LOGIN_FOR_HANDOVER_TEXT,
            action="ask_login",
            links=[_login_link()],
        )
    conversation = conversation_hand_over(conversation=conversation, reason=reason, intent=intent, category=category)
    return conversation.messages.filter(sender=ChatMessage.Sender.SYSTEM).order_by("-created_at", "-id").first()


def _queue_for(conversation: Conversation, intent: str, category: str = "") -> Queue:
    slug = QUEUE_BY_INTENT.get(intent) or QUEUE_BY_CATEGORY.get(category)
    if slug is None:
        last_article = (
            conversation.messages.filter(article__isnull=False).select_related("article").order_by("-id").first()
        )
        if last_article is not None:
            slug = QUEUE_BY_CATEGORY.get(last_article.article.category)
    queues = Queue.objects.filter(is_active=True)
    queue = queues.filter(slug=slug or "general").first() or queues.filter(slug="general").first() or queues.first()
    if queue is None:
        raise ChatError("Nobody can take chats right now; please write to us from the contact page.")
    return queue


def conversation_transcript_text(conversation: Conversation) -> str:
    lines, offered = [], {}
    for m in conversation.messages.all().order_by("created_at", "id"):
        stamp = timezone.localtime(m.created_at).strftime("%H:%M")
        lines.append(f"[{stamp}] {m.get_sender_display()}: {m.text}")
        for link in m.links or []:
            if link.get("kind") == "article":
                offered[link["url"]] = link["title"]
    text = "Chat transcript:\n" + "\n".join(lines)
    if offered:
        text += "\n\nHelp articles the assistant already offered:\n" + "\n".join(
            f"- {title} ({url})" for url, title in offered.items()
        )
    return text


class _AlreadyHandedOver(Exception):
    pass


@transaction.atomic
def conversation_hand_over(
    *, conversation: Conversation, reason: str = "asked for a person", intent: str = "", category: str = ""
) -> Conversation:
    """Open ONE chat ticket with the transcript and mark the conversation handed over.

    Safe to call twice (double click, two tabs): the conditional update on ``ticket IS NULL`` lets
    one caller win; a loser's ticket is rolled back with its savepoint, and the one-to-one link
    (a unique column) is the database's last guard. Anonymous conversations cannot be handed over
    (a ticket needs a requester): the caller asks the visitor to log in first.
    """
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.ticket_id is not None:
        return conversation
    if conversation.user_id is None:
        raise ChatError(LOGIN_FOR_HANDOVER_TEXT)
    first_question = conversation.messages.filter(sender=ChatMessage.Sender.CUSTOMER).order_by("id").first()
    subject = f"Chat: {first_question.text}" if first_question else "Chat with the assistant"
    description = f"{conversation_transcript_text(conversation)}\n\nHanded over because: {reason}."
    try:
        with transaction.atomic():
            ticket = ticket_create(
                requester=conversation.user,
                queue=_queue_for(conversation, intent, category),
                subject=subject[:200],
                description=description,
                channel=Channel.CHAT,
            )
            won = Conversation.objects.filter(pk=conversation.pk, ticket__isnull=True).update(
                ticket=ticket,
                status=Conversation.Status.HANDED_OVER,
                handed_over_at=timezone.now(),
                awaiting="",
                unsure_streak=0,
            )
            if not won:
                raise _AlreadyHandedOver
            ChatMessage.objects.create(
                conversation=conversation,
                sender=ChatMessage.Sender.SYSTEM,
                text=(
                    f"I've passed this conversation to our team: your reference is {ticket.reference}. "
                    "A member of the team will reply here and by email."
                ),
                links=[{"kind": "ticket", "title": ticket.reference,
                        "url": reverse("tickets:detail", args=[ticket.reference])}],
            )  # fmt: skip
    except _AlreadyHandedOver:
        pass
    conversation.refresh_from_db()
    logger.info("chat %s handed over to ticket %s (%s)", conversation.pk, conversation.ticket_id, reason)
    return conversation


def _forward_to_ticket(conversation: Conversation, text: str) -> None:
    ticket: Ticket = conversation.ticket
    try:
        result = ticket_reply_customer(ticket=ticket, customer=conversation.user, body=text, channel=Channel.CHAT)
    except TicketError as exc:
        raise ChatError(exc.messages[0]) from exc
    if result.ticket.pk != ticket.pk:
        # A closed ticket got a follow-up: the chat carries on with the new one.
        Conversation.objects.filter(pk=conversation.pk).update(ticket=result.ticket)
