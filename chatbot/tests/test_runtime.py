"""One engine per process: warm-up before the first request."""

import logging

import pytest

from chatbot import runtime
from chatbot.tests.factories import ArticleFactory


@pytest.fixture
def no_engine(settings):
    settings.CHATBOT_USE_EMBEDDINGS = False  # the lexical engine builds in a second
    runtime.set_engine(None)
    yield
    runtime.set_engine(None)


def test_warm_up_builds_the_engine_once_and_logs_how_long_it_took(db, no_engine, caplog):
    ArticleFactory(slug="gift-wrapping", title="Gift wrapping", body="We wrap any order as a gift for €3.50.")

    with caplog.at_level(logging.INFO, logger="chatbot.runtime"):
        first = runtime.warm_up()
        second = runtime.warm_up()

    assert first is second is runtime.get_engine()
    assert first.engine_name == "lexical"
    assert [a.slug for a in first.index.articles] == ["gift-wrapping"]
    assert caplog.text.count("chatbot: active engine is lexical") == 1  # built once
    assert caplog.text.count("chatbot: engine warm-up done in") == 2
