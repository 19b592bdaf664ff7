"""The plain cues and fallbacks the engine checks before it says it is not sure."""

import dataclasses
from dataclasses import replace

import pytest

from chatbot.engine import load_split
from chatbot.engine.cues import asks_for_person, conversational_cue, small_talk
from chatbot.engine.engine import Analysis, EngineConfig
from chatbot.engine.types import Action, ArticleHit, Entities, Intent, ProductMatch


@pytest.mark.parametrize(
    "text",
    [
        "operator",
        "Agent please!",
        "real person now",
        "human",
        "can I speak to a human",
        "please hand me over to your team",
        "put me through to someone",
        "transfer me to customer service",
        "let me talk to a member of staff",
        "I need a human",
        "I'd rather have a real person",
        "connect me with an adviser",
        "can I get a human",
        "is there anyone I can talk to",
        "can someone call me back",
        "escalate this to a manager",
    ],
)
def test_requests_for_a_person_are_recognised(text):
    assert asks_for_person(text)
    assert conversational_cue(text) == Intent.HUMAN


@pytest.mark.parametrize(
    "text",
    [
        "someone stole my parcel from the doorstep",
        "my travel agent booked the wrong hotel",
        "can you recommend a good estate agent",
        "the person who delivered it was rude",
        "how many people work at amazon",
        "is the agent's commission included in the price",
        "I want to return the garden chair",
        "a human skeleton costume for halloween",
        "how do I speak to someone at amazon",  # another company's person
        "can you give me the staff discount?",
        "can we talk about the staff discount",
        "please pass on my thanks to the team",
        "can I transfer my voucher to someone else",
        "can the courier hand over the parcel to someone else",
        "get me a present for someone who likes gardening",
        "can you give me my colleague's order status",
        "do I need a person to sign for it",
        "I need a person to assemble the shed",
        "I have to talk to my manager first",
        "can I chat with other people who bought this",
    ],
)
def test_people_mentioned_in_passing_are_not_a_request_for_one(text):
    assert not asks_for_person(text)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("helo", Intent.GREETING),
        ("hiii there", Intent.GREETING),
        ("Hellooo!", Intent.GREETING),
        ("good morning team", Intent.GREETING),
        ("hey guys", Intent.GREETING),
        ("thx", Intent.GOODBYE),
        ("thank you so much, bye!", Intent.GOODBYE),
        ("ok great, cheers", Intent.GOODBYE),
        ("thanks", Intent.GOODBYE),
        ("hi, thanks for that", Intent.GOODBYE),  # thanks closes the conversation
        ("hii", Intent.GREETING),
        ("byee", Intent.GOODBYE),
        ("thank u", Intent.GOODBYE),
        ("hello? anyone there?", Intent.GREETING),
        ("no thanks", Intent.GOODBYE),
    ],
)
def test_a_message_that_is_only_a_greeting_or_thanks_is_small_talk(text, intent):
    assert small_talk(text) == intent


@pytest.mark.parametrize(
    "text",
    [
        "hi, where is my order?",
        "hello I want to return a chair",
        "thanks but the parcel never came",
        "good",
        "ok",
        "",
        "hold on",  # "hold" is not "hello"
        "hold",
        "there's a hole",
        "think so",  # "think" is not "thank"
        "the tank",
        "hi " * 10,  # too long to be only a greeting
    ],
)
def test_a_greeting_or_thanks_with_something_else_is_not_small_talk(text):
    assert small_talk(text) is None


def test_no_cue_fires_on_the_tuning_parts_other_intents():
    """Written from how people greet and ask for a person, not from the evaluation set: on the
    tuning part's messages they never contradict the label (they miss some, which the intent
    model then handles)."""
    fired = 0
    for message in load_split("tuning"):
        cue = conversational_cue(message.text)
        assert cue in (None, message.intent), message.text
        fired += cue is not None
    assert fired >= 40


CONFIG = EngineConfig(answer_threshold=0.6, neighbour_weight=0.0, unsure_threshold=0.6, product_fallback=0.75)


def analysis(top=0.3, *, cue=None, products=(), businesses=(), vote=Intent.OUT_OF_SCOPE, product=0.3, delivery=0.0):
    probabilities = dict.fromkeys(Intent, 0.0) | {
        vote: 0.6,
        Intent.PRODUCT_INFO: product,
        Intent.DELIVERY_ESTIMATE: delivery,
    }
    hits = (ArticleHit("damaged-items", "Damaged items", top),)
    entities = Entities(products=products, other_businesses=businesses)
    return Analysis(entities, probabilities, vote, 0.6, hits, 0.0, 0.0, cue)


SPEAKER = ProductMatch("Bluetooth Speaker", 1.0)


@pytest.mark.parametrize(
    ("case", "intent", "answerable"),
    [
        (analysis(cue=Intent.HUMAN), Intent.HUMAN, False),
        (analysis(cue=Intent.GREETING), Intent.GREETING, False),
        (analysis(products=(SPEAKER,)), Intent.PRODUCT_INFO, False),
        (analysis(products=(SPEAKER,), delivery=0.7), Intent.DELIVERY_ESTIMATE, False),  # the model's vote
        (analysis(products=(ProductMatch("Bluetooth Speaker", 0.5),)), Intent.OUT_OF_SCOPE, False),  # a word of it
        (analysis(products=(SPEAKER,), businesses=("Argos",)), Intent.OUT_OF_SCOPE, False),  # theirs
        (analysis(cue=Intent.HUMAN, businesses=("Amazon",)), Intent.OUT_OF_SCOPE, False),  # a person there
        (analysis(products=(replace(SPEAKER, exact=False),)), Intent.OUT_OF_SCOPE, False),  # by typos alone
        (analysis(products=(SPEAKER,), product=0.05, delivery=0.1), Intent.OUT_OF_SCOPE, False),  # no stock question
        (analysis(0.9, cue=Intent.HUMAN, products=(SPEAKER,), vote=Intent.FAQ), Intent.FAQ, True),  # sure: as before
    ],
)
def test_an_unsure_message_is_taken_for_what_it_plainly_is(case, intent, answerable):
    decided, _, from_article = case.decision(CONFIG)

    assert (decided, from_article) == (intent, answerable)
    assert not case.offers_articles(CONFIG) or decided in (Intent.FAQ, Intent.OUT_OF_SCOPE)


def test_the_product_fallback_can_be_switched_off():
    case = analysis(products=(SPEAKER,))

    assert case.decision(dataclasses.replace(CONFIG, product_fallback=None))[0] == Intent.OUT_OF_SCOPE


def votes_out_of_scope(text, query_vector=None):
    return dict.fromkeys(Intent, 0.0) | {Intent.OUT_OF_SCOPE: 1.0}


@pytest.fixture
def unsure_engine(minilm_engine, monkeypatch):
    """The engine with an intent model that votes out of scope and a threshold nothing reaches:
    without the fallbacks, every reply would be "not sure"."""
    monkeypatch.setattr(minilm_engine.intent_model, "predict", votes_out_of_scope)
    monkeypatch.setattr(minilm_engine, "config", EngineConfig(answer_threshold=50.0, unsure_threshold=50.0))
    return minilm_engine


@pytest.mark.parametrize(
    ("text", "intent", "action"),
    [
        ("helo", Intent.GREETING, Action.ANSWER),
        ("thanks a lot, bye", Intent.GOODBYE, Action.ANSWER),
        ("operator", Intent.HUMAN, Action.HANDOVER),
        ("please hand me over to your team", Intent.HUMAN, Action.HANDOVER),
        ("what is the capital of france", Intent.OUT_OF_SCOPE, Action.UNSURE),
    ],
)
def test_the_engine_answers_a_cue_instead_of_being_unsure(unsure_engine, text, intent, action):
    reply = unsure_engine.reply(text)

    assert (reply.intent, reply.action) == (intent, action)


def test_an_unsure_question_naming_a_product_looks_it_up(unsure_engine, monkeypatch):
    """The product fallback: a name given in large part, and a model that sees a stock question."""
    text = "is the presure washer back yet"
    no_stock_question = unsure_engine.reply(text)  # the model votes out of scope only
    monkeypatch.setattr(
        unsure_engine.intent_model,
        "predict",
        lambda text, query_vector=None: votes_out_of_scope(text) | {Intent.OUT_OF_SCOPE: 0.7, Intent.PRODUCT_INFO: 0.3},
    )

    named = unsure_engine.reply(text)
    in_part = unsure_engine.reply("how do I get a new hose from the council")  # half the name

    assert no_stock_question.action == Action.UNSURE
    assert (named.intent, named.action) == (Intent.PRODUCT_INFO, Action.LOOKUP_PRODUCT)
    assert named.entities.products[0].name == "Pressure Washer 130 bar"
    assert in_part.action == Action.UNSURE
