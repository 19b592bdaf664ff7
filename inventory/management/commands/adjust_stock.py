"""Correct one product's stock from the command line (a stock count, damage), through the ledger."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from inventory import services
from inventory.models import Product


class Command(BaseCommand):
    help = "Adjust a product's stock by a signed quantity with a reason, e.g. adjust_stock corner-shop CS-0001 -2 --reason 'broken'."

    def add_arguments(self, parser):
        parser.add_argument("store", help="store slug")
        parser.add_argument("sku")
        parser.add_argument("quantity", type=int, help="positive adds stock, negative removes it")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, store, sku, quantity, reason, **options):
        product = Product.objects.filter(store__slug=store, sku=sku).first()
        if product is None:
            raise CommandError(f"Unknown SKU {sku!r} in store {store!r}; nothing was changed.")
        try:
            movement = services.stock_adjust(product=product, quantity=quantity, reason=reason, actor=None)
        except ValidationError as exc:
            raise CommandError(f"{' '.join(exc.messages)} Nothing was changed.") from None
        product.refresh_from_db()
        self.stdout.write(
            self.style.SUCCESS(f"{sku}: {movement.quantity:+d} ({reason}); {product.on_hand} on hand now.")
        )
