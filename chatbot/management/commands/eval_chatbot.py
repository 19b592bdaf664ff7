"""Evaluate the chat engine on the labelled set in chatbot/eval (no database rows needed)."""

from django.core.management.base import BaseCommand, CommandError

from chatbot.engine import build_engine, load_articles, load_embedder, load_product_names, load_split
from chatbot.engine.dataset import SPLITS
from chatbot.engine.evaluation import OFFER_MIN_LISTED, choose_config, evaluate, tune


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
            "--tune",
            action="store_true",
            help=(
                "Instead, choose the thresholds and weights by grouped cross-validation on the tuning part "
                "(articles stripped of their example questions in turn) and print the table."
            ),
        )
        parser.add_argument("--repeats", type=int, default=5, help="Repeats of the 5-fold CV with --tune.")

    def handle(self, *args, **options):
        if options["split"] not in SPLITS:
            raise CommandError(f"Unknown split {options['split']!r}; choose one of: {', '.join(SPLITS)}.")
        if options["tune"]:
            if options["repeats"] < 1:
                raise CommandError("--repeats must be at least 1.")
            return self._tune(lexical=options["lexical"], repeats=options["repeats"])
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

    def _tune(self, *, lexical: bool, repeats: int) -> None:
        embedder = None if lexical else load_embedder()
        tuning = load_split("tuning")
        chosen, rows, offer = tune(
            articles=load_articles(),
            tuning=tuning,
            embedder=embedder,
            repeats=repeats,
            product_names=load_product_names(),  # the catalogue the held-out evaluation matches too
        )
        self.stdout.write(
            f"grouped 5-fold cross-validation x {repeats} on the tuning part only ({len(tuning)} messages): "
            "in each fold a fifth of the articles lose their example questions and every tuning message "
            "about them; those messages and a fifth of the others are scored."
        )
        self.stdout.write(
            "best row per neighbour and unknown-word weight, over the intent and other-company weights (both "
            "hand-over targets met, else closest to them; then intent accuracy):"
        )
        self.stdout.write(
            "neighbour  unknown  intent  other-co  answer-thr  unsure-thr  intent-acc  oos-recall  precision  "
            "faq-answered  unseen-answered"
        )

        def weights(row):
            return row.config.neighbour_weight, row.config.unknown_weight

        for pair in dict.fromkeys(weights(r) for r in rows):
            # The chosen row in its pair's place: the overall rule can pick another row than the
            # pair's own best (closeness is judged against the best of the whole grid).
            if pair == weights(chosen):
                self.stdout.write(self._row(chosen, marker=" <- chosen"))
            else:
                self.stdout.write(self._row(choose_config([r for r in rows if weights(r) == pair])))
        self.stdout.write(f"chosen: {chosen.config}")
        self.stdout.write(
            f"unsure replies list the closest articles from score {offer.threshold:.2f} up (offer_threshold; the "
            f"lowest at which at least a third of the replies it adds them to, and of the {OFFER_MIN_LISTED} nearest it, are to "
            f"the shop's own questions): "
            f"{offer.in_scope_share:.0%} of those are, {offer.oos_listed:.1%} of out-of-scope messages get a list, "
            f"and {offer.in_scope_helped:.1%} of unsure replies to FAQ questions list the right article."
        )

    @staticmethod
    def _row(row, *, marker: str = "") -> str:
        c = row.config
        return (
            f"{c.neighbour_weight:9.2f}  {c.unknown_weight:7.2f}  {c.intent_weight:6.2f}  {c.other_business_weight:8.2f}  "
            f"{c.answer_threshold:10.2f}  {c.unsure_threshold:10.2f}  "
            f"{row.intent_accuracy:10.1%}  {row.oos_recall:10.1%}  {row.handover_precision:9.1%}  "
            f"{row.faq_answered_correctly:12.1%}  {row.unseen_answered_correctly:15.1%}{marker}"
        )
