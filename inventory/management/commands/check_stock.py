"""Prove that every product's on_hand equals the sum of its ledger; never fix anything."""

from django.core.management.base import BaseCommand, CommandError

from inventory.services import stock_mismatches


class Command(BaseCommand):
    help = "Compare each product's stock on hand with its stock-movement ledger. Exits 1 naming each mismatch."

    def handle(self, *args, **options):
        mismatches = stock_mismatches()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS("Stock ledger consistent: every product's on_hand equals its ledger."))
            return
        for m in mismatches:
            self.stderr.write(
                f"MISMATCH product {m.product_id} {m.sku} ({m.store}): on_hand={m.on_hand} ledger={m.ledger} "
                f"difference={m.on_hand - m.ledger:+d}"
            )
        # Drift means a write bypassed the services; hiding it would hide the bug.
        raise CommandError(f"{len(mismatches)} product(s) whose on_hand differs from the ledger; nothing was changed.")
