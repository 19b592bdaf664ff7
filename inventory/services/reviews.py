"""Reviews: only by customers who received the product, once each, hidden by the shop if need be."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User

from ..models import OrderLine, Product, Review


def customer_received_product(*, customer: User, product: Product) -> bool:
    return OrderLine.objects.filter(
        order__customer=customer, product=product, status=OrderLine.Status.DELIVERED
    ).exists()


@transaction.atomic
def review_create(*, customer: User, product: Product, rating, comment: str = "") -> Review:
    """One review per customer and product, only after delivery. ``ValidationError`` otherwise."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        raise ValidationError("Rate the product from 1 to 5.") from None
    if not 1 <= rating <= 5:
        raise ValidationError("Rate the product from 1 to 5.")
    if not customer_received_product(customer=customer, product=product):
        raise ValidationError("You can review products that were delivered to you.")
    if Review.objects.filter(customer=customer, product=product).exists():
        raise ValidationError("You have already reviewed this product.")
    return Review.objects.create(customer=customer, product=product, rating=rating, comment=(comment or "").strip())


@transaction.atomic
def review_set_hidden(*, review_ids: list[int], hidden: bool) -> int:
    return Review.objects.filter(pk__in=review_ids).update(is_hidden=hidden)
