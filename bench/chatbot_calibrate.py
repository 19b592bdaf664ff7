"""Fit the chat engine's decision layer and choose its thresholds by grouped cross-validation.

    python bench/chatbot_calibrate.py [--repeats 2] [--engine minilm-onnx|lexical|both] [--write]

Data: the labelled tuning part (chatbot/eval/tuning.tsv) and the demo help centre as seed_demo
loads it (chatbot/content plus demo_questions.yaml). Never the held-out sets.

1. Out-of-fold signals. The articles are shuffled into 5 groups; in fold k the tuning messages
   about group k's articles, and a fifth of the other messages, are held out, the intent model is
   trained on the rest, and group k's articles lose their example questions (as a help centre's
   new articles have none). Each held-out message is analysed by the engine as at run time
   (``ChatEngine.analyse``), giving the five ``decision.SIGNALS``. Repeated ``--repeats`` times
   with other shuffles.
2. Two logistic regressions on those signals, for the messages that reach the decision (the
   intent model's FAQ, out-of-scope, or a product question naming no product): "the best article
   answers it" and "the article that answers it is among the best three". Their probabilities
   are predicted out of fold again (5 folds grouped by message text).
3. Thresholds from those predictions: the answer threshold is the lowest at which at most
   ``ANSWER_WRONG_BUDGET`` of the FAQ messages get a wrong article as the answer and at most
   ``OUT_OF_SCOPE_ANSWERED_BUDGET`` of the out-of-scope ones get any; the floor is the highest at
   which at most ``HAND_OVER_BUDGET`` of the FAQ messages are offered the person alone. The budgets
   are half of issue 22's limits, to leave room for a help centre the tuning part never saw.

``--write`` fits both regressions on all rows and writes chatbot/engine/data/decision.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chatbot.engine import (
    ChatEngine,
    Intent,
    VectorStore,
    load_articles,
    load_embedder,
    load_product_names,
    load_split,
)
from chatbot.engine.decision import DECISION_FILE, SIGNALS, DecisionModel, Logistic

ANSWER_WRONG_BUDGET = 0.01
OUT_OF_SCOPE_ANSWERED_BUDGET = 0.025
HAND_OVER_BUDGET = 0.025
FOLDS = 5
REACHES_DECISION = (Intent.FAQ, Intent.OUT_OF_SCOPE, Intent.PRODUCT_INFO, Intent.DELIVERY_ESTIMATE)
PLACEHOLDER = DecisionModel(Logistic((0.0,) * len(SIGNALS), 0.0), 1.0, Logistic((0.0,) * len(SIGNALS), 0.0), 1.0)


def demo_articles():
    import yaml

    extra_file = Path(__file__).resolve().parent.parent / "chatbot" / "content" / "demo_questions.yaml"
    extra = yaml.safe_load(extra_file.read_text("utf-8")) or {}
    return [replace(a, example_questions=(*a.example_questions, *extra.get(a.slug, ()))) for a in load_articles()]


def out_of_fold_rows(embedder, *, repeats: int, vector_store: VectorStore | None):
    """(text, label intent, label article, signals, best three slugs) per held-out message and repeat."""
    articles, tuning = demo_articles(), load_split("tuning")
    rows = []
    for repeat in range(repeats):
        rng = random.Random(repeat)
        slugs = [a.slug for a in articles]
        rng.shuffle(slugs)
        group = {slug: n % FOLDS for n, slug in enumerate(slugs)}
        others = [m for m in tuning if m.intent != Intent.FAQ]
        rng.shuffle(others)
        other_fold = {id(m): n % FOLDS for n, m in enumerate(others)}
        for fold in range(FOLDS):

            def held(m, fold=fold, group=group, other_fold=other_fold):
                return group.get(m.article) == fold if m.intent == Intent.FAQ else other_fold[id(m)] == fold

            fold_articles = [replace(a, example_questions=()) if group[a.slug] == fold else a for a in articles]
            engine = ChatEngine(
                articles=fold_articles,
                training=[m for m in tuning if not held(m)],
                product_names=load_product_names(),
                embedder=embedder,
                decision=PLACEHOLDER,
                vector_store=vector_store,
            )
            for message in (m for m in tuning if held(m)):
                analysis = engine.analyse(message.text)
                if analysis.intent not in REACHES_DECISION:
                    continue
                if analysis.intent in (Intent.PRODUCT_INFO, Intent.DELIVERY_ESTIMATE) and analysis.entities.products:
                    continue  # a product lookup, not the decision
                rows.append(
                    (message.text, message.intent, message.article, analysis.signals, [h.slug for h in analysis.hits])
                )
        print(f"  repeat {repeat + 1}/{repeats}: {len(rows)} rows so far", file=sys.stderr)
    return rows


def fit(x, y) -> LogisticRegression:
    return LogisticRegression(C=1.0, max_iter=1000).fit(x, y)


def choose(rows):
    x = np.array([r[3] for r in rows])
    faq = np.array([r[1] == Intent.FAQ for r in rows])
    oos = np.array([r[1] == Intent.OUT_OF_SCOPE for r in rows])  # other intents that got here: negatives only
    y_answer = np.array([r[1] == Intent.FAQ and r[4][:1] == [r[2]] for r in rows])
    y_offer = np.array([r[1] == Intent.FAQ and r[2] in r[4] for r in rows])
    groups = [r[0] for r in rows]
    p_answer, p_offer = np.zeros(len(rows)), np.zeros(len(rows))
    for train, test in GroupKFold(n_splits=FOLDS).split(x, groups=groups):
        p_answer[test] = fit(x[train], y_answer[train]).predict_proba(x[test])[:, 1]
        p_offer[test] = fit(x[train], y_offer[train]).predict_proba(x[test])[:, 1]
    grid = np.round(np.arange(0.05, 1.0, 0.01), 2)
    n_faq, n_oos = faq.sum(), oos.sum()

    def answer_ok(t):
        answered = p_answer >= t
        wrong = (answered & faq & ~y_answer).sum() / n_faq
        return wrong <= ANSWER_WRONG_BUDGET and (answered & oos).sum() / n_oos <= OUT_OF_SCOPE_ANSWERED_BUDGET

    answer_threshold = float(next((t for t in grid if answer_ok(t)), 0.99))
    answered = p_answer >= answer_threshold

    def floor_ok(t):
        return (faq & ~answered & (p_offer < t)).sum() / n_faq <= HAND_OVER_BUDGET

    offer_threshold = float(max((t for t in grid if floor_ok(t)), default=0.05))
    offered = ~answered & (p_offer >= offer_threshold)
    figures = {
        "rows": len(rows),
        "faq_rows": int(n_faq),
        "out_of_scope_rows": int(n_oos),
        "faq_answered_right": round(float((answered & y_answer).sum() / n_faq), 4),
        "faq_shown_in_top3": round(float(((answered & y_answer) | (offered & y_offer)).sum() / n_faq), 4),
        "faq_confident_wrong": round(float((answered & faq & ~y_answer).sum() / n_faq), 4),
        "faq_hand_over_alone": round(float((faq & ~answered & ~offered).sum() / n_faq), 4),
        "out_of_scope_answered": round(float((answered & oos).sum() / n_oos), 4),
        "out_of_scope_offered_articles": round(float((offered & oos).sum() / n_oos), 4),
    }
    answer_model, offer_model = fit(x, y_answer), fit(x, y_offer)
    model = DecisionModel(
        Logistic(tuple(float(c) for c in answer_model.coef_[0]), float(answer_model.intercept_[0])),
        answer_threshold,
        Logistic(tuple(float(c) for c in offer_model.coef_[0]), float(offer_model.intercept_[0])),
        offer_threshold,
    )
    return model, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--engine", choices=["minilm-onnx", "lexical", "both"], default="both")
    parser.add_argument("--write", action="store_true", help=f"Write {DECISION_FILE.name}.")
    args = parser.parse_args()
    store = VectorStore(Path(tempfile.gettempdir()) / "sd_chat_calibrate_vectors.npz")
    models, figures = {}, {}
    for name in ("minilm-onnx", "lexical") if args.engine == "both" else (args.engine,):
        embedder = load_embedder() if name == "minilm-onnx" else None
        if name == "minilm-onnx" and embedder is None:
            raise SystemExit("the MiniLM embedder is not available")
        rows = out_of_fold_rows(embedder, repeats=args.repeats, vector_store=store if embedder else None)
        model, figures[name] = choose(rows)
        models[name] = model.to_json()
        print(f"{name}: answer threshold {model.answer_threshold}, floor {model.offer_threshold}")
        for key, value in figures[name].items():
            print(f"  {key:32} {value}")
    if args.write:
        existing = json.loads(DECISION_FILE.read_text("utf-8")) if DECISION_FILE.exists() else {"models": {}}
        existing["models"].update(models)
        existing.setdefault("cross_validation", {}).update(figures)
        existing["signals"] = list(SIGNALS)
        existing["made_by"] = (
            f"python bench/chatbot_calibrate.py --repeats {args.repeats} --write ({datetime.now(tz=UTC).date()})"
        )
        DECISION_FILE.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {DECISION_FILE}")


if __name__ == "__main__":
    main()
