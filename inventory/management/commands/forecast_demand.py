"""Forecast demand and plan replenishment for every active product (or one store / one SKU)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Store
from inventory import services_forecast
from inventory.models import Product


class ProgressBar:
    """Plain-text progress on one line (``\\r``), or a line per batch when not on a terminal."""

    def __init__(self, stream, total: int, width: int = 30):
        self.stream, self.total, self.width, self.done = stream, total, width, 0
        self.tty = hasattr(stream, "isatty") and stream.isatty()

    def update(self, n: int) -> None:
        self.done += n
        filled = int(self.width * self.done / self.total) if self.total else self.width
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} products"
        self.stream.write(("\r" + line) if self.tty else line, ending="" if self.tty else "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("")


class Command(BaseCommand):
    help = "Forecast daily demand per product from the sales ledger and store reorder points and suggestions."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="store slug (default: every store)")
        parser.add_argument("--product", metavar="SKU", help="one product's SKU (with --store when SKUs repeat)")
        parser.add_argument("--batch-size", type=int, default=services_forecast.BATCH_SIZE)
        parser.add_argument("--jobs", type=int, default=1, help="worker processes for the model fits")

    def handle(self, *args, store=None, product=None, batch_size=1000, jobs=1, **options):
        if batch_size < 1 or jobs < 1:
            raise CommandError("--batch-size and --jobs must be at least 1; nothing was changed.")
        store_obj = None
        if store is not None:
            store_obj = Store.objects.filter(slug=store).first()
            if store_obj is None:
                raise CommandError(f"Unknown store {store!r}; nothing was changed.")
        products = None
        if product is not None:
            qs = Product.objects.filter(sku=product)
            if store_obj is not None:
                qs = qs.filter(store=store_obj)
            products = list(qs)
            if not products:
                where = f" in store {store!r}" if store else ""
                raise CommandError(f"Unknown SKU {product!r}{where}; nothing was changed.")
        elif store_obj is not None:
            products = list(Product.objects.filter(store=store_obj, is_active=True).only("pk"))
        else:
            products = list(Product.objects.filter(is_active=True).only("pk"))

        started = time.perf_counter()
        bar = ProgressBar(self.stdout, len(products))
        summary = services_forecast.demand_forecast_run(
            products=products, batch_size=batch_size, n_jobs=jobs, progress=bar.update
        )
        bar.close()
        elapsed = time.perf_counter() - started

        median = summary.median_rmsse
        models = ", ".join(f"{name} {count}" for name, count in summary.models.most_common()) or "-"
        self.stdout.write(f"Products forecast: {summary.stored - len(summary.failures)} of {summary.products}")
        self.stdout.write(f"Models chosen: {models}")
        self.stdout.write(f"Median backtest RMSSE: {median:.3f}" if median is not None else "Median backtest RMSSE: -")
        self.stdout.write(f"At risk: {summary.at_risk}; with an order suggestion: {summary.suggestions}")
        phases = ", ".join(f"{name} {summary.seconds[name]:.1f}" for name in ("read", "fit", "plan", "store"))
        self.stdout.write(f"Time taken: {elapsed:.1f} s ({phases})")
        for label, message in sorted(summary.failures.items()):
            self.stderr.write(f"FAILED {label}: {message}")
        if summary.failures:
            self.stdout.write(self.style.WARNING(f"{len(summary.failures)} product(s) failed; the rest were stored."))
        else:
            self.stdout.write(self.style.SUCCESS("Done."))
