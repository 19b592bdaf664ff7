"""Word shapes shared by product matching and the help-centre vocabulary: plurals, verb endings,
typos, and which words of a message the shop's own text never uses."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# A typo counts between words of five letters or more, one edit apart (a transposition is one
# edit), two when both have ten or more: "trimer" is "Trimmer" and "presure" is "Pressure", but
# "house" is not "Hose", "team" is not "Steam", "electrician" is not "Electric" and "pleasure"
# is not "Pressure".
TYPO_MIN_LENGTH = 5
TYPO_LONG_LENGTH = 10

_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh", "o")


def plurals(word: str) -> set[str]:
    """The regular English plurals of ``word``: "hose" "hoses", "box" "boxes", "battery"
    "batteries", "shelf" "shelves", "knife" "knives"."""
    found = {word + "s"}
    if word.endswith(_SIBILANT_ENDINGS):
        found.add(word + "es")
    if len(word) > 2 and word.endswith("y") and word[-2] not in "aeiou":
        found.add(word[:-1] + "ies")
    if word.endswith("f"):
        found.add(word[:-1] + "ves")
    if word.endswith("fe"):
        found.add(word[:-2] + "ves")
    return found


def word_forms(word: str) -> set[str]:
    """``word``, its plurals and the words it is a plural of (each rule of ``plurals`` reversed)."""
    forms = {word, *plurals(word)}
    if word.endswith("s"):
        forms.add(word[:-1])
    if word.endswith("es") and word[:-2].endswith(_SIBILANT_ENDINGS):
        forms.add(word[:-2])
    if len(word) > 4 and word.endswith("ies") and word[-4] not in "aeiou":
        forms.add(word[:-3] + "y")
    if word.endswith("ves"):
        forms |= {word[:-3] + "f", word[:-3] + "fe"}
    return forms


def typo_edits_allowed(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The edits a typo may make between words of these lengths (0 where no typo counts)."""
    shorter = np.minimum.outer(first, second)
    return np.where(shorter >= TYPO_LONG_LENGTH, 2, np.where(shorter >= TYPO_MIN_LENGTH, 1, 0))


_ENDINGS = ("ing", "ed", "es", "e", "s")


def stem(word: str) -> str:
    """A key that the usual forms of a word share: one ending off ("-ing", "-ed", "-es", "-e",
    "-s", at least three letters left), then a doubled final consonant single ("shipped",
    "shipping" and "ships" are "ship"; "damaged", "damages" and "damage" are "damag"). Only ever
    compared with other keys, never shown."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


_APOSTROPHES_RE = re.compile("['\u2019\u2018\u02bc]")
_LETTERS_RE = re.compile(r"[a-z]+")
STOP_WORDS = ENGLISH_STOP_WORDS


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its topic: lower-case runs of letters ("don't" is "dont"),
    three letters or more, not English stop words ("the", "how", "my")."""
    folded = _APOSTROPHES_RE.sub("", text.lower())
    return [w for w in _LETTERS_RE.findall(folded) if len(w) > 2 and w not in STOP_WORDS]


class Vocabulary:
    """The content words of a body of text (the help centre, the labelled in-scope messages, the
    product names), to tell how much of a message the shop's own words cover.

    A message word is known when the text has it as written, in another regular form (plural,
    "-ing", "-ed": ``word_forms``, ``stem``) or one typo away (``typo_edits_allowed``). "my
    child's school hasn't replied" uses words the shop never does; "my parcel was delivered
    damaged" uses none it does not, whichever article it is about.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        words: set[str] = set()
        for text in texts:
            words.update(content_words(text))
        self.words = frozenset(words)
        self._stems = frozenset(stem(w) for w in words)
        self._long = sorted(w for w in words if len(w) >= TYPO_MIN_LENGTH)
        self._long_lengths = np.array([len(w) for w in self._long], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.words)

    def _knows_form(self, word: str) -> bool:
        return word in self.words or stem(word) in self._stems or any(f in self.words for f in word_forms(word))

    def _near(self, words: list[str]) -> np.ndarray:
        """Per word, whether a word of the vocabulary is one typo away from it."""
        if not words or not self._long:
            return np.zeros(len(words), dtype=bool)
        distance = process.cdist(words, self._long, scorer=OSA.distance, dtype=np.int64, score_cutoff=2)
        allowed = typo_edits_allowed(np.array([len(w) for w in words]), self._long_lengths)
        return ((distance <= allowed) & (allowed > 0)).any(axis=1)

    def unknown_words(self, text: str, *, also: Vocabulary | None = None) -> list[str]:
        """The content words of ``text`` (each once) that neither this vocabulary nor ``also`` knows."""
        vocabularies = [v for v in (self, also) if v is not None]
        words = list(dict.fromkeys(content_words(text)))
        unknown = [w for w in words if not any(v._knows_form(w) for v in vocabularies)]
        candidates = [w for w in unknown if len(w) >= TYPO_MIN_LENGTH]
        near = np.zeros(len(candidates), dtype=bool)
        for vocabulary in vocabularies:
            near |= vocabulary._near(candidates)
        typos = {w for w, is_near in zip(candidates, near, strict=True) if is_near}
        return [w for w in unknown if w not in typos]

    def unknown_share(self, text: str, *, also: Vocabulary | None = None) -> float:
        """The share of the content words of ``text`` (each once) that are unknown (``unknown_words``):
        0 for a message without content words ("ok", "where is it?")."""
        words = set(content_words(text))
        return len(self.unknown_words(text, also=also)) / len(words) if words else 0.0
