"""The one money check every order test makes: the order adds up to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def assert_adds_up(order) -> None:
    """total = subtotal + tax - discount + delivery fee, and the lines make each part."""
    order.refresh_from_db()
    lines = list(order.lines.all())
    goods = sum((line.unit_price * line.quantity for line in lines), Decimal("0"))
    line_tax = sum((line.tax for line in lines), Decimal("0")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert order.tax_total == line_tax
    assert order.discount_total == sum((line.discount for line in lines), Decimal("0"))
    assert order.subtotal == (goods - order.tax_total if order.prices_include_tax else goods)
    assert order.total == order.subtotal + order.tax_total - order.discount_total + order.shipping_total
