import pytest

from chatbot.engine import build_engine, load_product_names


@pytest.fixture(scope="session")
def minilm_engine():
    # Built once: embedding the training examples and articles takes a few seconds.
    engine = build_engine(product_names=load_product_names())
    assert engine.engine_name == "minilm-onnx"
    return engine


@pytest.fixture(scope="session")
def lexical_engine():
    return build_engine(product_names=load_product_names(), use_embeddings=False)


@pytest.fixture(scope="session")
def django_chat_engine():
    """The Django layer's engine for tests: the MiniLM engine the site runs, on the content
    articles, built once per session and installed as the process engine by ``help_centre``."""
    engine = build_engine()
    assert engine.engine_name == "minilm-onnx"
    return engine


@pytest.fixture
def help_centre(db, django_chat_engine):
    """The ~40 guidelines as Article rows, and the shared engine installed for ``chatbot_reply``."""
    from chatbot import runtime
    from chatbot.demo import seed_articles
    from chatbot.engine import load_articles

    seed_articles()
    content = load_articles()
    if {a.slug for a in django_chat_engine.index.articles} != {a.slug for a in content if a.published}:
        django_chat_engine.rebuild_index(content)  # a test rebuilt it with other articles
    runtime.set_engine(django_chat_engine)
    runtime.refresh_product_names()
    yield django_chat_engine
    runtime.set_engine(None)
