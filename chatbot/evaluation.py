"""End-to-end evaluation of the Django layer: every labelled message through ``chatbot_reply``.

Unlike the engine evaluation this goes through the service as a request would: the articles come
from the database (seeded from chatbot/content if there are none), the answer is written to
ChatMessage rows, identity rules apply (as a signed-in customer with no orders or tickets) and
hand-overs open tickets. It all runs in one transaction that is rolled back, so nothing is kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from . import runtime, services
from .engine import Intent, LabelledMessage, build_engine, load_product_names
from .models import Article, ChatMessage, Conversation


class _Rollback(Exception):
    pass


@dataclass(frozen=True)
class DjangoEvalReport:
    messages: int
    engine: str
    intent_accuracy: float
    faq_messages: int
    faq_linked_right_article: float  # FAQ answered with the labelled article linked (what the customer sees)
    oos_messages: int
    oos_not_answered: float  # out-of-scope: "not sure" / hand-over / log-in prompt instead of an answer
    latency_p50_ms: float
    latency_p95_ms: float
    queries_p50: float
    queries_max: int

    def lines(self) -> list[str]:
        pct = "{:.1%}".format
        return [
            f"Django layer, {self.messages} messages through chatbot_reply (engine: {self.engine})",
            f"intent accuracy:                      {pct(self.intent_accuracy)}",
            f"FAQ answered with the right article:  {pct(self.faq_linked_right_article)}  ({self.faq_messages} FAQ)",
            f"out-of-scope not answered:            {pct(self.oos_not_answered)}  ({self.oos_messages} messages)",
            f"chatbot_reply p50: {self.latency_p50_ms:.1f} ms, p95: {self.latency_p95_ms:.1f} ms (engine + DB writes)",
            f"queries per reply: median {self.queries_p50:.0f}, max {self.queries_max}",
        ]


def evaluate_service(messages: list[LabelledMessage], *, use_embeddings: bool = True) -> DjangoEvalReport:
    from accounts.models import User
    from tickets.models import Queue

    from .demo import seed_articles

    result: dict = {}
    previous = runtime._engine
    try:
        with transaction.atomic():
            if not Article.objects.exists():
                seed_articles()
            if not Queue.objects.filter(is_active=True).exists():
                Queue.objects.create(slug="general", name="General questions")
            engine = build_engine(
                articles=runtime.engine_articles(), product_names=load_product_names(), use_embeddings=use_embeddings
            )
            runtime.set_engine(engine)
            customer = User.objects.create(email="chat-eval@example.invalid", name="Evaluation customer")
            services.chatbot_reply(conversation=Conversation.objects.create(user=customer), text="hello")  # warm-up
            latencies, queries, right_intent = [], [], 0
            faq = faq_right = oos = oos_caught = 0
            for message in messages:
                conversation = Conversation.objects.create(user=customer)
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    replies = services.chatbot_reply(conversation=conversation, text=message.text)
                    latencies.append((time.perf_counter() - start) * 1000)
                queries.append(len(captured.captured_queries))
                question = replies[0]
                answer = next((m for m in replies[1:] if m.sender == ChatMessage.Sender.BOT), None)
                right_intent += question.intent == message.intent
                if message.intent == Intent.FAQ:
                    faq += 1
                    faq_right += bool(
                        answer
                        and answer.action == "answer"
                        and answer.article
                        and answer.article.slug == message.article
                    )
                if message.intent == Intent.OUT_OF_SCOPE:
                    oos += 1
                    oos_caught += answer is None or answer.action in ("unsure", "handover", "ask_login")
            result["report"] = DjangoEvalReport(
                messages=len(messages),
                engine=engine.engine_name,
                intent_accuracy=right_intent / len(messages),
                faq_messages=faq,
                faq_linked_right_article=faq_right / max(faq, 1),
                oos_messages=oos,
                oos_not_answered=oos_caught / max(oos, 1),
                latency_p50_ms=float(np.percentile(latencies, 50)),
                latency_p95_ms=float(np.percentile(latencies, 95)),
                queries_p50=float(np.median(queries)),
                queries_max=max(queries),
            )
            raise _Rollback
    except _Rollback:
        pass
    finally:
        runtime.set_engine(previous)
    return result["report"]
