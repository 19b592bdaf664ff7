"""What a visitor sees from the chat assistant, on the held-out sets, through the site's reply path.

    python bench/chatbot_bench.py [--set demo|bookshop|all] [--rounds 1] [--errors] [--lexical]

Every labelled message is sent as a new anonymous visitor's first message through
``chatbot.services.chatbot_reply`` (the service the widget's API calls: identity rules, database
writes, hand-over rules), with the articles as ``Article`` rows, all in one transaction that is
rolled back. The database is a throw-away SQLite file (``--db``, migrated on start) unless
``DATABASE_URL`` is set.

Sets (never used to fit or calibrate anything; the labelled data for that is chatbot/eval/tuning.tsv):
  demo      the held-out part of the demo shop's labelled set (bench/chatbot_eval/demo_questions.tsv), with the
            demo help centre as ``seed_demo`` loads it and the demo product names;
  bookshop  another shop's help centre (bench/chatbot_eval/bookshop, 24 articles) with 63 customer
            questions written the way customers type and 40 out-of-scope ones.

Figures, per set (FAQ = questions an article answers; "shown" = the article links in the reply):
  shown-top-1       the first article shown is the right one
  shown-top-3       the right article is among those shown (at most three)
  confident-wrong   a wrong article is stated as the answer
  answered confidently  an article is stated as the answer (right or wrong)
  false hand-over   no article shown, only the offer of a person (or the log-in for one)
  other reply       no article and no hand-over (asks for a product or an order number, a greeting)
  out-of-scope caught  out-of-scope message not answered: "not sure"/hand-over/log-in, nothing stated
  other intents     greeting/thanks/order/ticket/product/delivery/person messages given their intent
  reply latency     wall time of ``chatbot_reply`` (engine + database), p50/p95 over all messages
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT / "bench" / "chatbot_eval"
SETS = ("demo", "bookshop")
NOT_ANSWERED = ("unsure", "handover", "ask_login")


@dataclass(frozen=True)
class Labelled:
    intent: str
    article: str | None
    text: str


def load_labelled(path: Path) -> list[Labelled]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            intent, article, text = line.split("\t")
        except ValueError as exc:
            raise SystemExit(f"{path}:{number}: expected intent<TAB>article<TAB>text ({exc})") from exc
        rows.append(Labelled(intent, None if article == "-" else article, text))
    return rows


def names(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]


@dataclass
class Tally:
    faq: int = 0
    top1: int = 0
    top3: int = 0
    confident_wrong: int = 0
    answered: int = 0
    false_handover: int = 0
    other_reply: int = 0
    oos: int = 0
    oos_caught: int = 0
    other: int = 0
    other_right: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def lines(self, name: str) -> list[str]:
        def pct(n: int, d: int) -> str:
            return f"{n / d:6.1%} ({n}/{d})" if d else "   n/a"

        out = [
            f"[{name}] {self.faq} FAQ, {self.oos} out-of-scope, {self.other} other messages",
            f"  shown-top-1          {pct(self.top1, self.faq)}",
            f"  shown-top-3          {pct(self.top3, self.faq)}",
            f"  confident-wrong      {pct(self.confident_wrong, self.faq)}",
            f"  answered confidently {pct(self.answered, self.faq)}  (the rest: 'Did you mean' or other)",
            f"  false hand-over      {pct(self.false_handover, self.faq)}",
            f"  other reply to FAQ   {pct(self.other_reply, self.faq)}",
            f"  out-of-scope caught  {pct(self.oos_caught, self.oos)}",
        ]
        if self.other:
            out.append(f"  other intents right  {pct(self.other_right, self.other)}")
        out.append(
            f"  reply latency        p50 {statistics.median(self.latencies):.1f} ms, "
            f"p95 {percentile(self.latencies, 95):.1f} ms, max {max(self.latencies):.1f} ms"
        )
        return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class _Rollback(Exception):
    pass


def setup_django(db: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_project.settings.test")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{db}")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load_set(name: str):
    """(articles as Article rows to create, labelled messages, product names) of one set."""
    from chatbot.engine.content import load_articles

    if name == "demo":
        return (
            None,
            load_labelled(DATA / "demo_questions.tsv"),
            names(ROOT / "chatbot" / "eval" / "products.txt"),
        )
    return (
        load_articles(DATA / "bookshop"),
        load_labelled(DATA / "bookshop_questions.tsv"),
        names(DATA / "bookshop_products.txt"),
    )


def create_products(product_names: list[str]) -> None:
    """The catalogue as storefront products in stock, so product lookups answer from real rows."""
    from django.utils.text import slugify

    from inventory.tests.factories import ProductFactory, StoreFactory, with_stock

    store = StoreFactory()
    for n, name in enumerate(product_names):
        with_stock(ProductFactory(store=store, name=name, slug=f"{slugify(name)[:40]}-{n}"), 5)


def run_set(name: str, *, rounds: int, use_embeddings: bool, vector_cache: str) -> Tally:
    from django.db import transaction

    from chatbot import runtime, services
    from chatbot.demo import seed_articles
    from chatbot.engine import build_engine
    from chatbot.models import Article, ChatMessage, Conversation

    articles, messages, products = load_set(name)
    tally = Tally()
    previous = runtime._engine if hasattr(runtime, "_engine") else None
    try:
        with transaction.atomic():
            Article.objects.all().delete()
            if articles is None:
                seed_articles()
            else:
                Article.objects.bulk_create(
                    Article(slug=a.slug, title=a.title, body=a.body, category=a.category, tags=", ".join(a.tags),
                            example_questions="\n".join(a.example_questions), is_published=a.published)
                    for a in articles
                )  # fmt: skip
            create_products(products)
            engine = build_engine(
                articles=runtime.engine_articles(),
                product_names=products,
                use_embeddings=use_embeddings,
                vector_cache=vector_cache,
            )
            runtime.set_engine(engine)
            warm = Conversation.objects.create(visitor="bench-visitor")
            services.chatbot_reply(conversation=warm, text="hello")
            for round_ in range(rounds):
                for message in messages:
                    conversation = Conversation.objects.create(visitor="bench-visitor")
                    started = time.perf_counter()
                    replies = services.chatbot_reply(conversation=conversation, text=message.text)
                    tally.latencies.append((time.perf_counter() - started) * 1000)
                    if round_ == 0:
                        score(tally, message, replies, ChatMessage)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        runtime.set_engine(previous)
    return tally


def score(tally: Tally, message: Labelled, replies, ChatMessage) -> None:
    question, bot = replies[0], [m for m in replies[1:] if m.sender != ChatMessage.Sender.CUSTOMER]
    shown = [
        link["url"].rstrip("/").rsplit("/", 1)[-1]
        for m in bot
        for link in m.links or []
        if link.get("kind") == "article"
    ]
    stated = next((m.article.slug for m in bot if m.action == "answer" and m.article is not None), None)
    actions = [m.action for m in bot]
    said = " | ".join(f"{m.action}: {m.text[:70]!r} {shown[:3] if m.links else ''}" for m in bot)
    if message.intent == "faq":
        tally.faq += 1
        tally.top1 += shown[:1] == [message.article]
        tally.top3 += message.article in shown[:3]
        wrong = stated is not None and stated != message.article
        tally.confident_wrong += wrong
        tally.answered += stated is not None
        handover_only = not shown and all(a in NOT_ANSWERED for a in actions)
        tally.false_handover += handover_only
        tally.other_reply += not shown and not handover_only
        if message.article not in shown[:3] or wrong:
            kind = "WRONG" if wrong else "HAND-OVER" if handover_only else "MISS"
            tally.errors.append(f"{kind} {message.article}: {message.text!r} -> {said}")
    elif message.intent == "out_of_scope":
        tally.oos += 1
        caught = all(a in NOT_ANSWERED for a in actions)
        tally.oos_caught += caught
        if not caught:
            tally.errors.append(f"OOS ANSWERED: {message.text!r} -> {said}")
    else:
        tally.other += 1
        tally.other_right += question.intent == message.intent
        if question.intent != message.intent:
            tally.errors.append(f"INTENT {message.intent} -> {question.intent}: {message.text!r} -> {said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", choices=[*SETS, "all"], default="all")
    parser.add_argument("--rounds", type=int, default=1, help="Times each message is sent (latency only).")
    parser.add_argument(
        "--errors", action="store_true", help="List every miss, wrong answer and answered out-of-scope."
    )
    parser.add_argument("--lexical", action="store_true", help="Without sentence embeddings.")
    parser.add_argument("--db", default=str(Path(tempfile.gettempdir()) / "sd_chat_bench.sqlite3"))
    parser.add_argument(
        "--vector-cache",
        default=str(Path(tempfile.gettempdir()) / "sd_chat_bench_vectors.npz"),
        help="Sentence-vector file reused between runs (empty: none).",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    setup_django(args.db)
    totals: list[float] = []
    for name in SETS if args.set == "all" else (args.set,):
        tally = run_set(name, rounds=args.rounds, use_embeddings=not args.lexical, vector_cache=args.vector_cache)
        totals += tally.latencies
        print("\n".join(tally.lines(name)))
        if args.errors:
            for line, count in Counter(tally.errors).items():
                print(f"    {line}" + (f" (x{count})" if count > 1 else ""))
    print(f"all replies: p50 {statistics.median(totals):.1f} ms, p95 {percentile(totals, 95):.1f} ms ({len(totals)})")
    print(f"load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
