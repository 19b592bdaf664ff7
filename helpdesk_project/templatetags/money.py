"""``{{ amount|money }}``: an amount as people read it, in the shop's currency, to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.conf import settings

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}
CENT = Decimal("0.01")


@register.filter
def money(amount) -> str:
    """``Decimal("16434.8500000000")`` -> ``€16,434.85``; "" for no amount."""
    if amount in (None, ""):
        return ""
    try:
        value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(amount)
    code = settings.STOCKDESK_CURRENCY
    symbol = SYMBOLS.get(code)
    sign = "-" if value < 0 else ""
    text = f"{abs(value):,.2f}"
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {code}"
