"""Products as a store's staff create and change them (the API; the admin's model form does the same
checks through ``full_clean``). Stock is never set here: it changes only through the ledger."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User

from ..models import Product

# What staff may set on a product; store, stock and timestamps are not among them.
PRODUCT_FIELDS = (
    "sku",
    "name",
    "slug",
    "description",
    "image_url",
    "category",
    "supplier",
    "price",
    "sale_price",
    "cost",
    "reorder_point",
    "reorder_quantity",
    "lead_time_days",
    "launch_date",
    "is_active",
)


def _apply(product: Product, fields: dict) -> Product:
    unknown = set(fields) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"Not a product field staff may set: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(product, name, value)
    if not product.slug:
        product.slug = slugify(product.name)[:200]
    # Field, model (supplier of the same store) and constraint checks (SKU/slug unique per
    # store, sale below price) with their friendly messages; the database constraints still guard.
    product.full_clean()
    product.save()
    return product


@transaction.atomic
def product_create(*, store, actor: User | None, **fields) -> Product:
    """Create a product of ``store`` with no stock (book stock with ``stock_receive``/``stock_adjust``).

    Raises ``ValidationError`` with nothing stored when a field is invalid or the SKU or slug is taken.
    """
    return _apply(Product(store=store), fields)


@transaction.atomic
def product_update(*, product: Product, actor: User | None, **fields) -> Product:
    """Change the given fields of ``product``; raises ``ValidationError`` with nothing changed."""
    product = Product.objects.select_for_update().get(pk=product.pk)
    return _apply(product, fields)


@transaction.atomic
def product_deactivate(*, product: Product, actor: User | None) -> Product:
    """Take ``product`` off the storefront (its history, orders and stock stay). Safe to call twice."""
    Product.objects.filter(pk=product.pk, is_active=True).update(is_active=False, updated_at=timezone.now())
    return Product.objects.get(pk=product.pk)
