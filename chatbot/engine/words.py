"""Word shapes shared by product matching and the help-centre vocabulary: plurals, verb endings,
typos, and which words of a message the shop's own text never uses."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from functools import cache

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .embedder import TOKENIZER_PATH

# A typo is a word that is no English word (``dictionary_words``), one edit (a transposition is
# one edit) from a word of four letters or more, two when both have ten or more: "trimer" is
# "Trimmer", "presure" "Pressure", "mowr" "Mower", "hoze" "Hose"; but "house" is not "Hose",
# "team" not "Steam", "stream" not "Steam" and "catering" not "Watering" (English words), and
# "electrician" is not "Electric" (three edits).
TYPO_MIN_LENGTH = 4
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


def may_be_typo(word: str) -> bool:
    """Whether ``word`` (a message's) may be a misspelling: long enough and no English word."""
    return len(word) >= TYPO_MIN_LENGTH and word not in dictionary_words()


def typo_edits_allowed(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """The edits a typo may make between words of these lengths, for every pair of lengths in
    ``first`` (the message's words that ``may_be_typo``) and ``second`` (0: no typo counts)."""
    shorter = np.minimum.outer(first, second)
    return np.where(shorter >= TYPO_LONG_LENGTH, 2, np.where(shorter >= TYPO_MIN_LENGTH, 1, 0))


_ENDINGS = ("ing", "ed", "es", "e", "s")


def stem(word: str) -> str:
    """A key that the usual forms of a word share: "-ied"/"-ies" after a consonant as "-y"
    ("copied", "copies" and "copy" are "copy"); otherwise one ending off ("-ing", "-ed", "-es",
    "-e", "-s", at least three letters left), then a doubled final consonant single ("shipped",
    "shipping" and "ships" are "ship"; "damaged", "damages" and "damage" are "damag"). Only ever
    compared with other keys, never shown."""
    if len(word) > 4 and word.endswith(("ied", "ies")) and word[-4] not in "aeiou":
        return word[:-3] + "y"
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            word = word[: -len(ending)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


_COMBINING_MARKS_RE = re.compile("[\u0300-\u036f]")
_APOSTROPHES_RE = re.compile("['\u2019\u2018\u02bc\u00b4`]")
# What a contraction adds to a word: "haven't" is "have", "I've" "I", "child's" "child".
_CLITICS_RE = re.compile(r"(?<=[^\W\d_])(?:n't|'(?:ve|ll|re|m|d|s))(?![^\W\d_])")
_LETTERS_RE = re.compile(r"[^\W\d_]+")  # runs of letters, of any alphabet
STOP_WORDS = ENGLISH_STOP_WORDS


def content_words(text: str) -> list[str]:
    """The words of ``text`` that carry its topic: lower-case runs of letters without accents
    ("café" is "cafe"), contractions without what they add ("haven't" is "have"), three letters or
    more, not English stop words ("the", "how", "my")."""
    # Apostrophes first: NFKD splits an acute accent (U+00B4) typed as one into a space and a mark.
    folded = unicodedata.normalize("NFKD", _APOSTROPHES_RE.sub("'", text.lower()))
    folded = _CLITICS_RE.sub("", _COMBINING_MARKS_RE.sub("", folded))
    return [w for w in _LETTERS_RE.findall(folded) if len(w) > 2 and w not in STOP_WORDS]


@cache
def dictionary_words() -> frozenset[str]:
    """English words, for telling a typo from another word: the whole words of the bundled MiniLM
    tokenizer's vocabulary (BERT's uncased WordPiece; 21,745). "contract" is a word, so it is
    not a typo of "contact"; "pasword" is not, so it is one of "password". Empty if the file is
    missing (then every word may be a typo, as before)."""
    try:
        vocabulary = json.loads(TOKENIZER_PATH.read_text(encoding="utf-8"))["model"]["vocab"]
    except (OSError, ValueError, KeyError):
        return frozenset()
    return frozenset(w for w in vocabulary if w.isalpha() and w.isascii())


# Unknown words checked for a typo per message; any beyond are unknown (a message with this many
# unknown long words is not the shop's, and the check must stay cheap for any input).
MAX_TYPO_CHECKS = 32


class Vocabulary:
    """The content words of a body of text (the help centre, the labelled in-scope messages, the
    product names), to tell how much of a message the shop's own words cover.

    A message word is known when the text has it as written, in another regular form (plural,
    "-ing", "-ed": ``word_forms``, ``stem``) or as a typo of one of its words (``may_be_typo``,
    ``typo_edits_allowed``). "my child's school hasn't replied" uses words the shop never does;
    "my parcel was delivered damaged" uses none it does not, whichever article it is about.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        words: set[str] = set()
        for text in texts:
            words.update(content_words(text))
        self.words = frozenset(words)
        self._stems = frozenset(stem(w) for w in words)
        # Words long enough for a typo, by length: a word is compared only with those of a length
        # a typo can reach (one or two letters either way).
        by_length: dict[int, list[str]] = {}
        for word in sorted(words):
            if len(word) >= TYPO_MIN_LENGTH:
                by_length.setdefault(len(word), []).append(word)
        self._lengths = np.array(sorted(by_length), dtype=np.int64)
        self._by_length = [by_length[length] for length in self._lengths]

    def __len__(self) -> int:
        return len(self.words)

    def _knows_form(self, word: str) -> bool:
        return word in self.words or stem(word) in self._stems or any(f in self.words for f in word_forms(word))

    def _near(self, word: str) -> bool:
        """Whether a word of the vocabulary is one typo away from ``word``."""
        allowed = typo_edits_allowed(np.array([len(word)]), self._lengths)[0]
        for length, edits, words in zip(self._lengths, allowed, self._by_length, strict=True):
            if (
                edits
                and abs(int(length) - len(word)) <= edits
                and process.extractOne(word, words, scorer=OSA.distance, score_cutoff=int(edits)) is not None
            ):
                return True
        return False

    def unknown_words(self, text: str, *, also: Vocabulary | None = None) -> list[str]:
        """The content words of ``text`` (each once) that neither this vocabulary nor ``also`` knows."""
        vocabularies = [v for v in (self, also) if v is not None]
        unknown = [w for w in dict.fromkeys(content_words(text)) if not any(v._knows_form(w) for v in vocabularies)]
        checkable = [w for w in unknown if may_be_typo(w)][:MAX_TYPO_CHECKS]
        typos = {w for w in checkable if any(v._near(w) for v in vocabularies)}
        return [w for w in unknown if w not in typos]

    def unknown_share(self, text: str, *, also: Vocabulary | None = None) -> float:
        """The share of the content words of ``text`` (each once) that are unknown
        (``unknown_words``): 0 for a message without content words ("ok", "where is it?")."""
        words = set(content_words(text))
        return len(self.unknown_words(text, also=also)) / len(words) if words else 0.0
