"""Plain cues the engine checks before it says it is not sure: a request for a person, a message
that is only a greeting or only thanks or goodbye.

The intent model learns these intents from a few dozen examples each, and a short message it has
not seen ("helo", "operator", "hand me over to your team") can fall below the answer threshold
and get "I'm not sure I understood", which is the wrong answer to a greeting and a detour for a
customer who asked for a person. The cues are written from how people greet, thank and ask for a
person in any shop's chat, not from the evaluation set, and they only ever replace a "not sure"
reply: a message the engine is sure about is answered as before.
"""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

from .types import Intent

_WORD_RE = re.compile(r"[a-z]+")
_REPEATS_RE = re.compile(r"([a-z])\1{2,}")  # "hiii", "hellooo", "byeee"

_GREETING_WORDS = frozenset(
    [
        "hello",
        "hi",
        "hey",
        "hiya",
        "heya",
        "howdy",
        "greetings",
        "yo",
        "hallo",
        "hola",
        "morning",
        "afternoon",
        "evening",
    ]
)
_GOODBYE_WORDS = frozenset(["thanks", "thank", "thx", "ty", "cheers", "bye", "goodbye", "cya", "ta", "thankyou"])
# Words that come with a greeting or a thanks and change nothing ("hi there", "thanks a lot").
_FILLER_WORDS = frozenset(
    [
        "good",
        "there",
        "all",
        "everyone",
        "everybody",
        "team",
        "bot",
        "folks",
        "guys",
        "you",
        "so",
        "very",
        "much",
        "a",
        "lot",
        "many",
        "ok",
        "okay",
        "great",
        "perfect",
        "brilliant",
        "lovely",
        "that",
        "thats",
        "s",
        "for",
        "now",
        "your",
        "the",
        "help",
        "have",
        "nice",
        "day",
        "see",
        "later",
        "mate",
        "again",
        "oh",
        "and",
        "then",
    ]
)
_TYPO_MIN_LENGTH = 4  # "helo" is "hello"; "ho" is not "hi"

_PERSON = (
    r"(?:human(?:\s+being)?|(?:real|actual|live)\s+(?:person|human|agent|people)|person|people|"
    r"(?<!estate\s)(?<!travel\s)(?<!letting\s)(?<!insurance\s)agent|operator|representative|"
    r"advis[eo]r|someone|somebody|staff|employee|colleague|manager|supervisor|"
    r"customer\s+(?:service|support|care)|(?:your|the)\s+team|member\s+of\s+(?:staff|your\s+team))"
)
_ASK = (
    r"(?:talk|speak|chat|connect|transfer|put\s+(?:me\s+)?through|hand\s+(?:me\s+)?over|"
    r"pass\s+(?:me\s+)?(?:on|over)|escalate|get\s+me|give\s+me)"
)
_PERSON_REQUEST_RES = (
    # "can I speak to a human", "put me through to someone", "transfer me to an agent"
    re.compile(rf"\b{_ASK}\b(?:\W+\w+){{0,3}}?\W+(?:a|an|the|one|of|some)?\s*{_PERSON}\b", re.IGNORECASE),
    # "I need a human", "I'd rather have a real person", "I want an agent"
    re.compile(rf"\b(?:want|need|like|prefer|rather\s+have)\s+(?:a|an)\s+{_PERSON}\b", re.IGNORECASE),
    # the whole message: "operator", "agent please", "real person now!"
    re.compile(rf"^\W*(?:(?:a|an)\s+)?{_PERSON}(?:\W+(?:please|pls|now|asap))*\W*$", re.IGNORECASE),
)


def asks_for_person(text: str) -> bool:
    """Whether the message asks to talk to a person ("transfer me to an agent", "operator")."""
    return any(regex.search(text) for regex in _PERSON_REQUEST_RES)


def _is_one_of(word: str, words: frozenset[str]) -> bool:
    if word in words:
        return True
    return len(word) >= _TYPO_MIN_LENGTH and any(
        len(w) >= _TYPO_MIN_LENGTH and OSA.distance(word, w, score_cutoff=1) <= 1 for w in words
    )


def small_talk(text: str) -> Intent | None:
    """GREETING or GOODBYE when the message is only a greeting ("helo there", "hiii") or only
    thanks or goodbye ("thanks a lot, bye"), else None. A greeting with a question ("hi, where is
    my order?") is not small talk."""
    words = _WORD_RE.findall(_REPEATS_RE.sub(r"\1", text.lower()))
    if not words or len(words) > 8:
        return None
    found = set()
    for word in words:
        if _is_one_of(word, _GREETING_WORDS):
            found.add(Intent.GREETING)
        elif _is_one_of(word, _GOODBYE_WORDS):
            found.add(Intent.GOODBYE)
        elif word not in _FILLER_WORDS:
            return None
    if Intent.GOODBYE in found:  # "hi, thanks for that" closes the conversation
        return Intent.GOODBYE
    return Intent.GREETING if found else None


def conversational_cue(text: str) -> Intent | None:
    """HUMAN, GREETING or GOODBYE when the message plainly is one of them, else None."""
    if asks_for_person(text):
        return Intent.HUMAN
    return small_talk(text)
