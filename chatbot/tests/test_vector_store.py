"""The vector cache file: a process start embeds only texts no process has embedded before."""

import hashlib
import logging

import numpy as np
import pytest

from chatbot import runtime
from chatbot.engine import Article, ChatEngine, VectorStore, load_articles, load_split
from chatbot.engine import vector_store as vector_store_module
from chatbot.engine.embedder import CachedEmbedder, load_embedder
from chatbot.tests.factories import ArticleFactory


class CountingEmbedder:
    """Wraps an embedder (the real one or ``HashEmbedder``) and records which texts it embedded."""

    def __init__(self, inner):
        self.inner = inner
        self.name = inner.name
        self.identity = inner.identity
        self.dimension = inner.dimension
        self.embedded = []

    def embed(self, texts):
        self.embedded += texts
        return self.inner.embed(texts)


class HashEmbedder:
    """A deterministic stand-in for the model where its vectors' meaning does not matter (file
    handling): one unit vector per text, derived from the text's hash."""

    name = "hash"
    dimension = 8

    def __init__(self, identity="hash-v1"):
        self.identity = identity

    def embed(self, texts):
        rows = [
            np.random.default_rng(int.from_bytes(hashlib.sha256(t.encode()).digest()[:8])).standard_normal(8)
            for t in texts
        ]
        matrix = np.array(rows, dtype=np.float32).reshape(len(texts), 8)
        return matrix / np.clip(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12, None)


def stored_texts(path):
    with np.load(path, allow_pickle=False) as data:
        return set(data["texts"].tolist())


def engine_texts(engine):
    return {*engine.index.passages, *engine.intent_model.texts}


def small_engine(embedder, store, articles=None):
    return ChatEngine(
        articles=articles if articles is not None else load_articles()[:5],
        training=load_split("tuning"),
        embedder=embedder,
        vector_store=store,
    )


def test_a_second_engine_built_from_the_file_embeds_nothing_and_replies_the_same(tmp_path):
    store = VectorStore(tmp_path / "vectors.npz")
    articles, training = load_articles(), load_split("tuning")
    first_embedder = CountingEmbedder(load_embedder())
    first = ChatEngine(articles=articles, training=training, embedder=first_embedder, vector_store=store)
    assert stored_texts(store.path) == engine_texts(first)
    assert sorted(set(first_embedder.embedded)) == sorted(engine_texts(first))
    second_embedder = CountingEmbedder(load_embedder())
    written = store.path.stat().st_ino

    second = ChatEngine(articles=articles, training=training, embedder=second_embedder, vector_store=store)

    assert second_embedder.embedded == []
    assert store.path.stat().st_ino == written  # nothing new: the file is not rewritten
    messages = [m.text for m in training[::10]]
    assert [second.reply(t) for t in messages] == [first.reply(t) for t in messages]
    assert second_embedder.embedded == messages  # the queries, embedded by the model itself


def test_the_file_holds_what_the_current_build_uses_and_never_a_query(tmp_path):
    store = VectorStore(tmp_path / "vectors.npz")
    articles = load_articles()[:5]
    engine = small_engine(HashEmbedder(), store, articles)
    query = "is my parcel lost in the post"
    engine.reply(query)
    trailer = Article(
        slug="trailer-hire",
        title="Trailer hire for garden waste",
        body="Our shops hire out a small car trailer for €25 a day.",
        category="Services",
    )

    engine.rebuild_index([*articles[1:], trailer])  # one article gone, one new

    saved = stored_texts(store.path)
    assert saved == engine_texts(engine)
    assert query not in saved
    assert f"{trailer.title}: {trailer.body}" in saved
    assert not {t for t in saved if t.startswith(articles[0].title)}  # pruned with its article


def test_pruning_drops_unused_vectors_from_the_file(tmp_path):
    store = VectorStore(tmp_path / "vectors.npz")
    cache = CachedEmbedder(HashEmbedder(), store=store)
    cache.embed(["a", "b", "c"])
    cache.prune({"a", "b"})

    assert cache.save() is True

    assert stored_texts(store.path) == {"a", "b"}
    reloaded = CachedEmbedder(counting := CountingEmbedder(HashEmbedder()), store=store)
    np.testing.assert_array_equal(reloaded.embed(["b", "a"]), HashEmbedder().embed(["b", "a"]))
    assert counting.embedded == []


def test_another_embedders_file_is_ignored_with_a_log_line_and_replaced(tmp_path, caplog):
    store = VectorStore(tmp_path / "vectors.npz")
    small_engine(HashEmbedder(identity="hash-v1"), store)
    other = CountingEmbedder(HashEmbedder(identity="hash-v2"))

    with caplog.at_level(logging.WARNING, logger="chatbot.engine.vector_store"):
        engine = small_engine(other, store)

    assert "written by another embedder: 'hash-v1', this one is 'hash-v2'" in caplog.text
    assert set(other.embedded) == engine_texts(engine)  # embedded as if there were no file
    with np.load(store.path, allow_pickle=False) as data:
        assert str(data["stamp"][()]) == "hash-v2"


def write_valid_file(path, **overrides):
    arrays = {
        "texts": np.array(["a", "b"]),
        "vectors": HashEmbedder().embed(["a", "b"]),
        "stamp": np.array("hash-v1"),
        **overrides,
    }
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def truncate(path):
    write_valid_file(path)
    path.write_bytes(path.read_bytes()[:300])


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda path: path.write_bytes(b"not a numpy file at all"), "ignoring the vector cache"),
        (truncate, "ignoring the vector cache"),
        (lambda path: np.save(path.open("wb"), np.zeros(3)), "not an .npz archive"),
        (lambda path: write_valid_file(path, vectors=np.zeros((2, 4), dtype=np.float32)), "of shape (2, 8)"),
        (lambda path: write_valid_file(path, vectors=np.zeros((2, 8))), "vectors must be float32"),
        (lambda path: write_valid_file(path, texts=np.array(["a", "b"], dtype=object)), "ignoring the vector cache"),
        (lambda path: write_valid_file(path, texts=np.array([1, 2])), "texts must be a 1-d unicode array"),
        (lambda path: write_valid_file(path, vectors=np.full((2, 8), np.nan, dtype=np.float32)), "NaN"),
    ],
    ids=["garbage", "truncated", "npy-not-npz", "wrong-dimension", "float64", "pickled-texts", "numbers", "nan"],
)
def test_a_damaged_file_is_ignored_with_a_log_line_and_the_build_embeds_normally(tmp_path, caplog, damage, reason):
    store = VectorStore(tmp_path / "vectors.npz")
    damage(store.path)
    embedder = CountingEmbedder(HashEmbedder())

    with caplog.at_level(logging.WARNING, logger="chatbot.engine.vector_store"):
        engine = small_engine(embedder, store)

    assert reason in caplog.text
    assert set(embedder.embedded) == engine_texts(engine)
    assert stored_texts(store.path) == engine_texts(engine)  # replaced by a good file


def test_a_failed_write_leaves_the_old_file_and_no_partial_file(tmp_path, monkeypatch, caplog):
    store = VectorStore(tmp_path / "vectors.npz")
    write_valid_file(store.path)
    before = store.path.read_bytes()

    def savez_then_fail(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(vector_store_module.np, "savez", savez_then_fail)
    cache = CachedEmbedder(HashEmbedder(), store=store)
    cache.embed(["c"])

    with pytest.raises(OSError, match="No space left"):
        store.save({"c": HashEmbedder().embed(["c"])[0]}, stamp="hash-v1", dimension=8)
    with caplog.at_level(logging.WARNING, logger="chatbot.engine.embedder"):
        assert cache.save() is False  # logged, not raised: the engine works without the file

    assert "could not save the vector cache" in caplog.text
    assert store.path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["vectors.npz"]


def test_an_embedder_without_an_identity_never_uses_the_file(tmp_path, caplog):
    class Anonymous:
        name = "anonymous"

        def embed(self, texts):
            return HashEmbedder().embed(texts)

    store = VectorStore(tmp_path / "vectors.npz")

    with caplog.at_level(logging.WARNING, logger="chatbot.engine.embedder"):
        small_engine(Anonymous(), store)

    assert "embedder anonymous has no identity" in caplog.text
    assert list(tmp_path.iterdir()) == []


def test_the_real_embedders_identity_names_the_pinned_model_and_the_dimension():
    embedder = load_embedder()

    assert embedder.dimension == 384
    assert "model_sha256=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6" in embedder.identity
    assert embedder.identity.startswith("minilm-onnx ")


@pytest.fixture
def process_engine(settings, monkeypatch):
    """The runtime builds its engine with ``HashEmbedder``s counted here (one per build)."""
    settings.CHATBOT_USE_EMBEDDINGS = True
    embedders = []

    def load():
        embedders.append(CountingEmbedder(HashEmbedder()))
        return embedders[-1]

    monkeypatch.setattr("chatbot.engine.load_embedder", load)
    runtime.set_engine(None)
    yield embedders
    runtime.set_engine(None)


def test_a_process_start_reuses_the_file_another_process_saved(db, settings, tmp_path, process_engine):
    settings.CHATBOT_VECTOR_CACHE = str(tmp_path / "var" / "chatbot-vectors.npz")
    ArticleFactory(slug="gift-wrapping", title="Gift wrapping", body="We wrap any order as a gift for €3.50.")
    first = runtime.warm_up()
    runtime.set_engine(None)  # the next process

    second = runtime.warm_up()

    assert second is not first
    assert stored_texts(settings.CHATBOT_VECTOR_CACHE) == engine_texts(first) == engine_texts(second)
    assert set(process_engine[0].embedded) == engine_texts(first)
    assert process_engine[1].embedded == []


def test_an_empty_setting_writes_no_file(db, settings, tmp_path, process_engine, monkeypatch):
    settings.CHATBOT_VECTOR_CACHE = ""
    monkeypatch.chdir(tmp_path)
    ArticleFactory()

    runtime.warm_up()

    assert process_engine[0].embedded
    assert list(tmp_path.iterdir()) == []
