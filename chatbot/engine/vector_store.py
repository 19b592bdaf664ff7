"""A file that keeps the sentence vectors of the texts an engine is built from, across processes.

Every web process builds its own engine, and embedding the article passages and training examples
is almost all of a cold build's CPU. ``CachedEmbedder`` already keeps those vectors in memory for
rebuilds; with a ``VectorStore`` it also starts from the vectors another process saved, so a
process start embeds only texts no process has embedded before.

The file is a numpy ``.npz`` (``texts``: unicode array, ``vectors``: float32 matrix, ``stamp``: the
embedder's identity), written and read with ``allow_pickle=False`` so that loading it can never run
code. It is written to a temporary file in the same directory and renamed over the old one
(``os.replace``), so a reader sees the old file or the new one, never half of one; when several
processes save at once the last one wins, and every version is a complete set for some build.
Anything unexpected when loading (another embedder's stamp, a truncated or corrupt file, a wrong
shape) is logged and ignored: the build then embeds as if there were no file.
"""

from __future__ import annotations

import logging
import os
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


class VectorStoreError(ValueError):
    """The file exists but cannot be used (another embedder's, corrupt, or of the wrong shape)."""


class VectorStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"VectorStore({str(self.path)!r})"

    def load(self, *, stamp: str, dimension: int) -> dict[str, np.ndarray]:
        """The saved text -> vector map if the file was written by an embedder with this ``stamp``;
        an empty map (and a log line saying why) otherwise. Never raises."""
        try:
            return self._read(stamp=stamp, dimension=dimension)
        except FileNotFoundError:
            logger.info("chatbot engine: no vector cache at %s yet; embedding every text", self.path)
        except (VectorStoreError, OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            logger.warning("chatbot engine: ignoring the vector cache %s (%s); embedding every text", self.path, exc)
        return {}

    def _read(self, *, stamp: str, dimension: int) -> dict[str, np.ndarray]:
        data = np.load(self.path, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise VectorStoreError("not an .npz archive")
        with data:
            stored_stamp = str(data["stamp"][()]) if "stamp" in data.files else "(none)"
            if stored_stamp != stamp:
                raise VectorStoreError(f"written by another embedder: {stored_stamp!r}, this one is {stamp!r}")
            texts = data["texts"]
            vectors = data["vectors"]
        if texts.ndim != 1 or (texts.size and texts.dtype.kind != "U"):
            raise VectorStoreError(f"texts must be a 1-d unicode array, not {texts.dtype} {texts.shape}")
        if vectors.dtype != np.float32 or vectors.shape != (len(texts), dimension):
            raise VectorStoreError(
                f"vectors must be float32 of shape ({len(texts)}, {dimension}), not {vectors.dtype} {vectors.shape}"
            )
        if not np.isfinite(vectors).all():
            raise VectorStoreError("vectors contain NaN or infinity")
        return dict(zip(texts.tolist(), vectors, strict=True))

    def save(self, vectors: Mapping[str, np.ndarray], *, stamp: str, dimension: int) -> None:
        """Replace the file with ``vectors`` atomically. Raises ``OSError`` if it cannot be written
        (the old file, if any, is then left as it was and no temporary file remains)."""
        texts = list(vectors)
        matrix = (
            np.stack([np.asarray(vectors[t], dtype=np.float32) for t in texts])
            if texts
            else np.zeros((0, dimension), dtype=np.float32)
        )
        if matrix.shape != (len(texts), dimension):
            raise ValueError(f"vectors of shape {matrix.shape} for dimension {dimension}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, texts=np.array(texts, dtype=str), vectors=matrix, stamp=np.array(stamp))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
