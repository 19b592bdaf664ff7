"""One pass through chatbot_reply with the real default engine (MiniLM ONNX + TF-IDF)."""

import pytest

from chatbot import runtime, services
from chatbot.demo import seed_articles
from chatbot.tests.factories import ConversationFactory


@pytest.fixture
def real_engine(db, minilm_engine):
    seed_articles()
    runtime.set_engine(minilm_engine)
    yield minilm_engine
    runtime.set_engine(None)


def test_default_engine_answers_a_reworded_question_with_the_right_article(real_engine):
    conversation = ConversationFactory()

    question, answer = services.chatbot_reply(conversation=conversation, text="what will postage cost me?")

    assert answer.engine == "minilm-onnx"
    assert answer.action == "answer"
    assert answer.article.slug == "shipping-costs"
    assert question.needs_review is False


def test_default_engine_keeps_anonymous_visitors_away_from_orders(real_engine):
    answer = services.chatbot_reply(conversation=ConversationFactory(), text="has order SD-000042 shipped yet?")[1]

    assert answer.text == services.LOGIN_TEXT
