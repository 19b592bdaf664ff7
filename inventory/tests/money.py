"""The one money check every order test makes: the order adds up to the cent."""

from __future__ import annotations

from decimal import Decimal


def assert_adds_up(order) -> None:
    """total = goods + delivery fee, and the goods are the sum of the lines."""
    order.refresh_from_db()
    lines = list(order.lines.all())
    assert order.subtotal == sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    assert order.total == order.subtotal + order.shipping_total
