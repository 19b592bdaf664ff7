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

from .types import Intent

_WORD_RE = re.compile(r"[a-z]+")
_REPEATS_RE = re.compile(r"([a-z])\1+")  # "hiii", "hellooo", "byee": a repeated letter is read once


def _squeezed(word: str) -> str:
    return _REPEATS_RE.sub(r"\1", word)


def _squeezed_set(words: str) -> frozenset[str]:
    return frozenset(_squeezed(w) for w in words.split())


# Compared with repeated letters read once on both sides ("hello" and "helo", "hii" and "hi"),
# and with the common misspellings written out: no edit distance, because the real words one edit
# away are too many ("hold", "hole", "hall" for hello; "think", "tank", "than" for thank).
_GREETING_WORDS = _squeezed_set(
    "hello hallo hullo hellow hlo hi hey hiya heya howdy greetings yo hola morning afternoon evening"
)
_GOODBYE_WORDS = _squeezed_set(
    "thanks thank thankyou thanku thx thnx thanx thnks tnx ty tysm cheers bye goodbye byebye cya ta"
)
# Words that come with a greeting or a thanks and change nothing ("hi there", "no thanks").
_FILLER_WORDS = _squeezed_set(
    "good there all everyone everybody anyone anybody team bot folks guys you u so very much a lot many "
    "ok okay great perfect brilliant lovely that thats s for now your the help have nice day see later "
    "mate again oh and then no"
)

_PERSON = (
    # not someone of the customer's own ("I have to talk to my manager first")
    r"(?<!\bmy\s)(?<!\bhis\s)(?<!\bher\s)(?<!\bour\s)(?<!\btheir\s)"
    r"(?:human(?:\s+being)?|(?:real|actual|live)\s+(?:person|human|agent|people)|person|"
    r"(?<!estate\s)(?<!travel\s)(?<!letting\s)(?<!insurance\s)agent|operator|representative|"
    r"advis[eo]r|someone|somebody|(?:staff|employee)(?!\s+discount)|colleague|manager|supervisor|"
    r"customer\s+(?:service|support|care)|(?:your|the)\s+team|member\s+of\s+(?:staff|your\s+team))"
    # ... of this shop: "someone at amazon" is another company's
    r"(?!\s+(?:at|from|in)\s+(?!(?:your|you|this|the\s+shop)\b))"
)
_ARTICLE = r"(?:(?:a|an|the|one|of|some)\s+)?"
_PERSON_REQUEST_RES = (
    # "can I speak to a human", "let me talk to a member of staff", "chat with someone"
    re.compile(rf"\b(?:talk|speak|chat)\b(?:\W+\w+){{0,3}}?\W+{_ARTICLE}{_PERSON}\b", re.IGNORECASE),
    # "put me through to someone", "transfer me to an agent", "get me a real person": the person
    # right after ("get me a present for someone" is not a request)
    re.compile(
        r"\b(?:connect|transfer|put|pass|hand|get|give|escalate)\s+(?:me|us|this(?:\s+chat)?)"
        rf"(?:\s+(?:through|over|on))?(?:\s+(?:to|with))?\s+{_ARTICLE}{_PERSON}\b",
        re.IGNORECASE,
    ),
    # "I need a human", "I'd rather have a real person", "can I get an agent" (not "a person to sign for it")
    re.compile(
        rf"\b(?:want|need|like|prefer|rather\s+have|(?:can|could|may)\s+i\s+(?:get|have))\s+(?:a|an)\s+{_PERSON}\b"
        r"(?!\s+to\s+(?:sign|be|assemble|install|collect|deliver|carry|lift|fit)\b)",
        re.IGNORECASE,
    ),
    # "is there anyone I can talk to", "can someone call me back"
    re.compile(
        r"\b(?:anyone|someone|somebody|anybody|a\s+(?:real\s+)?(?:person|human)|an\s+agent)\s+"
        r"(?:(?:i|we)\s+(?:can|could)\s+(?:talk|speak|chat)|(?:call|ring|phone)\s+me)\b",
        re.IGNORECASE,
    ),
    # the whole message: "operator", "agent please", "real person now!"
    re.compile(rf"^\W*(?:(?:a|an)\s+)?{_PERSON}(?:\W+(?:please|pls|now|asap))*\W*$", re.IGNORECASE),
)


def asks_for_person(text: str) -> bool:
    """Whether the message asks to talk to a person of this shop ("transfer me to an agent",
    "operator"; not "someone stole my parcel" or "how do I speak to someone at amazon")."""
    return any(regex.search(text) for regex in _PERSON_REQUEST_RES)


def small_talk(text: str) -> Intent | None:
    """GREETING or GOODBYE when the message is only a greeting ("helo there", "hiii") or only
    thanks or goodbye ("thanks a lot, bye", "no thanks"), else None. A greeting with a question
    ("hi, where is my order?") is not small talk."""
    words = [_squeezed(w) for w in _WORD_RE.findall(text.lower())]
    if not words or len(words) > 8:
        return None
    found = set()
    for word in words:
        if word in _GREETING_WORDS:
            found.add(Intent.GREETING)
        elif word in _GOODBYE_WORDS:
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
