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
