"""The decision layer: answer with the best article, offer the closest ones, or hand over.

Two logistic regressions on the same five signals of a message (``signals``) estimate
  p_answer  that the best article is the one that answers it, and
  p_offer   that the article that answers it is among the best three.
The bot answers when p_answer reaches ``answer_threshold``; otherwise it shows the three best as
"Did you mean ...?" beside the offer of a person when p_offer reaches ``offer_threshold``, and
below that floor offers the person alone.

The coefficients and both thresholds are fitted and chosen by ``bench/chatbot_calibrate.py`` with
grouped cross-validation on the labelled tuning part (chatbot/eval/tuning.tsv) and the demo help
centre, and stored in ``data/decision.json``; nothing here is set by hand, and the held-out sets
are never used. The signals do not name articles, so the same model serves any help centre.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from .types import ArticleHit, Intent

DECISION_FILE = Path(__file__).resolve().parent / "data" / "decision.json"
SIGNALS = ("top", "margin", "p_faq", "p_out_of_scope", "neighbour_gap")


class Verdict(StrEnum):
    ANSWER = "answer"
    OFFER = "offer"  # "Did you mean ...?" with the best three, beside the hand-over
    HAND_OVER = "hand_over"  # below the floor: the offer of a person alone


def signals(
    hits: tuple[ArticleHit, ...], probabilities: dict[Intent, float], in_scope: float, out_of_scope: float
) -> tuple[float, ...]:
    """Best article score, its lead over the second, the intent model's FAQ and out-of-scope
    probabilities, and how much nearer the nearest in-scope training example is than the nearest
    out-of-scope one."""
    top = hits[0].score if hits else 0.0
    second = hits[1].score if len(hits) > 1 else 0.0
    return (
        top,
        top - second,
        probabilities.get(Intent.FAQ, 0.0),
        probabilities.get(Intent.OUT_OF_SCOPE, 0.0),
        in_scope - out_of_scope,
    )


@dataclass(frozen=True)
class Logistic:
    coefficients: tuple[float, ...]
    intercept: float

    def probability(self, x: tuple[float, ...]) -> float:
        z = self.intercept + sum(c * v for c, v in zip(self.coefficients, x, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class DecisionModel:
    answer: Logistic
    answer_threshold: float
    offer: Logistic
    offer_threshold: float

    def verdict(self, x: tuple[float, ...]) -> Verdict:
        if self.answer.probability(x) >= self.answer_threshold:
            return Verdict.ANSWER
        return Verdict.OFFER if self.offer.probability(x) >= self.offer_threshold else Verdict.HAND_OVER

    def to_json(self) -> dict:
        return {
            "answer": {"coefficients": list(self.answer.coefficients), "intercept": self.answer.intercept},
            "answer_threshold": self.answer_threshold,
            "offer": {"coefficients": list(self.offer.coefficients), "intercept": self.offer.intercept},
            "offer_threshold": self.offer_threshold,
        }

    @classmethod
    def from_json(cls, data: dict) -> DecisionModel:
        def logistic(part: dict) -> Logistic:
            if len(part["coefficients"]) != len(SIGNALS):
                raise ValueError(f"expected {len(SIGNALS)} coefficients ({', '.join(SIGNALS)})")
            return Logistic(tuple(float(c) for c in part["coefficients"]), float(part["intercept"]))

        return cls(
            logistic(data["answer"]),
            float(data["answer_threshold"]),
            logistic(data["offer"]),
            float(data["offer_threshold"]),
        )


@cache
def load_decision_model(engine_name: str, path: Path = DECISION_FILE) -> DecisionModel:
    """The calibrated model for ``engine_name`` ("minilm-onnx" or "lexical")."""
    models = json.loads(path.read_text(encoding="utf-8"))["models"]
    return DecisionModel.from_json(models[engine_name])
