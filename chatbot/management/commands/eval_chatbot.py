"""Evaluate the chat engine on the labelled set in chatbot/eval (no database rows needed)."""

from django.core.management.base import BaseCommand, CommandError

from chatbot.engine import build_engine, load_articles, load_embedder, load_product_names, load_split
from chatbot.engine.dataset import SPLITS
from chatbot.engine.evaluation import evaluate, tune_thresholds


class Command(BaseCommand):
    help = (
        "Print intent accuracy and macro-F1, article top-1/top-3 hit rates, out-of-scope hand-over recall "
        "and precision, and p50/p95 reply latency on the held-out part of the labelled set."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--split", default="heldout", help=f"Which part to score: {', '.join(SPLITS)} (default heldout)."
        )
        parser.add_argument(
            "--lexical", action="store_true", help="Force the TF-IDF fallback (no sentence embeddings)."
        )
        parser.add_argument("--errors", action="store_true", help="Also list misclassified messages.")
        parser.add_argument(
            "--django",
            action="store_true",
            help="Also run every message through chatbot_reply (database articles, identity rules, writes; rolled back).",
        )
        parser.add_argument(
            "--intent-weight", type=float, default=0.5, help="Intent-vote weight to cross-validate with --tune."
        )
        parser.add_argument(
            "--tune",
            action="store_true",
            help="Instead, cross-validate the answer threshold on the tuning part and print the table.",
        )

    def handle(self, *args, **options):
        if options["split"] not in SPLITS:
            raise CommandError(f"Unknown split {options['split']!r}; choose one of: {', '.join(SPLITS)}.")
        if options["tune"]:
            return self._tune(lexical=options["lexical"], intent_weight=options["intent_weight"])
        engine = build_engine(product_names=load_product_names(), use_embeddings=not options["lexical"])
        report = evaluate(engine, load_split(options["split"]), split=options["split"])
        for line in report.lines():
            self.stdout.write(line)
        if options["errors"]:
            self.stdout.write("\nmisclassified (gold -> predicted):")
            for line in report.errors:
                self.stdout.write(f"  {line}")
        if options["django"]:
            from chatbot.evaluation import evaluate_service

            self.stdout.write("")
            service_report = evaluate_service(load_split(options["split"]), use_embeddings=not options["lexical"])
            for line in service_report.lines():
                self.stdout.write(line)
        return None

    def _tune(self, *, lexical: bool, intent_weight: float) -> None:
        embedder = None if lexical else load_embedder()
        config, rows = tune_thresholds(
            articles=load_articles(), tuning=load_split("tuning"), embedder=embedder, intent_weight=intent_weight
        )
        self.stdout.write("threshold  oos-recall  precision  faq-answered (5-fold CV on the tuning part)")
        for row in rows[::5]:
            self.stdout.write(
                f"{row.threshold:9.2f}  {row.oos_recall:10.1%}  {row.handover_precision:9.1%}  {row.faq_answered_correctly:12.1%}"
            )
        self.stdout.write(f"chosen: {config}")
