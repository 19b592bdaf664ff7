"""The labelled customer messages the engine learns from (``chatbot/eval/tuning.tsv``; tab-separated:
intent, article slug or -, text). The held-out sets it is measured on live in ``bench/chatbot_eval/``
and are read with the same :func:`load_labelled`, never at run time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .intents import LabelledMessage
from .text import body_passages, sentences
from .types import Article, Intent

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
SPLITS = ("tuning",)


def load_split(name: str, directory: Path = EVAL_DIR) -> list[LabelledMessage]:
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
    return load_labelled(directory / f"{name}.tsv")


def load_labelled(path: Path) -> list[LabelledMessage]:
    messages = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            intent, article, text = line.split("\t")
            messages.append(
                LabelledMessage(text=text, intent=Intent(intent), article=None if article == "-" else article)
            )
        except ValueError as exc:
            raise ValueError(f"{path.name} line {number}: {exc}") from exc
    return messages


def load_product_names(directory: Path = EVAL_DIR) -> list[str]:
    lines = (directory / "products.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def article_examples(articles: Sequence[Article]) -> list[LabelledMessage]:
    """What the intent model learns from each article, by a fixed rule: its example questions,
    title, body passages and the single sentences of those passages, labelled FAQ, so that topics
    without example questions (or added later by an agent) are still recognised as questions for
    the help centre. Single sentences are closer in length and focus to a customer's message than
    a whole paragraph (grouped cross-validation on the tuning part: see docs/chatbot.md)."""
    examples: dict[str, LabelledMessage] = {}
    for article in articles:
        passages = body_passages(article.body)
        sourced = [
            *((q, "example") for q in article.example_questions),
            (article.title, "title"),
            *((p, "passage") for p in passages),
            *((s, "sentence") for p in passages for s in sentences(p)),
        ]
        for text, source in sourced:
            if text.strip() and text not in examples:
                examples[text] = LabelledMessage(text=text, intent=Intent.FAQ, article=article.slug, source=source)
    return list(examples.values())
