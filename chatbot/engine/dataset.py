"""The labelled customer messages in ``chatbot/eval/`` (tab-separated: intent, article slug or -, text)."""

from __future__ import annotations

from pathlib import Path

from .intents import LabelledMessage
from .text import body_passages
from .types import Article, Intent

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
SPLITS = ("tuning", "heldout")


def load_split(name: str, directory: Path = EVAL_DIR) -> list[LabelledMessage]:
    if name not in SPLITS:
        raise ValueError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
    messages = []
    for number, line in enumerate((directory / f"{name}.tsv").read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            intent, article, text = line.split("\t")
            messages.append(
                LabelledMessage(text=text, intent=Intent(intent), article=None if article == "-" else article)
            )
        except ValueError as exc:
            raise ValueError(f"{name}.tsv line {number}: {exc}") from exc
    return messages


def load_product_names(directory: Path = EVAL_DIR) -> list[str]:
    lines = (directory / "products.txt").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def training_examples(
    articles: list[Article], *, tuning: list[LabelledMessage] | None = None, directory: Path = EVAL_DIR
) -> list[LabelledMessage]:
    """What the intent model learns from: the tuning part plus, for every article, its example
    questions, title and body passages labelled FAQ, so that topics without example questions
    (or added later by an agent) are still recognised as questions for the help centre."""
    examples = list(load_split("tuning", directory) if tuning is None else tuning)
    for article in articles:
        texts = [*article.example_questions, article.title, *body_passages(article.body)]
        examples += [LabelledMessage(text=t, intent=Intent.FAQ, article=article.slug) for t in texts]
    return examples
