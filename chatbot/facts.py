"""The shop's facts that help articles quote, read from the configuration they describe.

An article writes ``{{ delivery_fees }}`` instead of "€4.95, free from €50", and the value is
filled in from the stores' delivery settings whenever the article is shown, answered from or
indexed (``render_facts``), so the help centre cannot promise what checkout does not do.

Only the names below are replaced; anything else in double braces is left as written (an article
body is data written by agents, never a template). Each fact is computed only when its name
appears, so an article without placeholders costs no query.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.db.models import Prefetch

from accounts.models import Store
from helpdesk_project.templatetags.money import money
from inventory import selectors as inventory_selectors
from inventory.models import Order, StoreShipping
from inventory.services import GUEST_ORDER_MAX_AGE, MAX_LINE_QUANTITY
from inventory.services import returns as inventory_returns

PLACEHOLDER_RE = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


def _stores() -> list[Store]:
    return list(Store.objects.prefetch_related(Prefetch("shipping", queryset=StoreShipping.objects.all())))


def _shipping(store: Store) -> StoreShipping | None:
    try:
        return store.shipping
    except StoreShipping.DoesNotExist:
        return None


def delivery_fee_text(shipping: StoreShipping | None) -> str:
    """One store's delivery fee rule in words (the cart applies the same rule: pricing.DeliveryTerms)."""
    if shipping is None or shipping.delivery_fee <= 0:
        return "delivery is free"
    text = f"delivery costs {money(shipping.delivery_fee)} per order"
    if shipping.free_delivery_threshold is not None:
        text += f", free when the goods come to {money(shipping.free_delivery_threshold)} or more"
    return text


def _delivery_fees() -> str:
    lines = [f"- **{store.name}**: {delivery_fee_text(_shipping(store))}." for store in _stores()]
    return "\n".join(lines) or "- Delivery is free."


def _delivery_fee_summary() -> str:
    parts = [f"at {store.name} {delivery_fee_text(_shipping(store))}" for store in _stores()]
    return "; ".join(parts) or "delivery is free"


def _pickup_hours() -> str:
    lines = []
    for store in _stores():
        shipping = _shipping(store)
        hours = shipping.pickup_hours if shipping and shipping.pickup_hours else "ask the shop for its opening hours"
        lines.append(f"- **{store.name}**: {hours}.")
    return "\n".join(lines) or "- Ask the shop for its opening hours."


def _payment_methods() -> str:
    return " and ".join(label.lower() for label in Order.PaymentMethod.labels)


def _payment_method_list() -> str:
    explained = {
        Order.PaymentMethod.CASH_ON_DELIVERY: "pay the courier in cash when the parcel arrives",
        Order.PaymentMethod.PAY_AT_PICKUP: "collect the order at the shop and pay there",
    }
    return "\n".join(f"- **{m.label}**: {explained[m]}." for m in Order.PaymentMethod)


FACTS: dict[str, Callable[[], str]] = {
    "payment_methods": _payment_methods,
    "payment_method_list": _payment_method_list,
    "payment_method_count": lambda: str(len(Order.PaymentMethod.choices)),
    "delivery_fees": _delivery_fees,
    "delivery_fee_summary": _delivery_fee_summary,
    "pickup_hours": _pickup_hours,
    # Read from the modules that apply them, at render time, so both always agree.
    "delivery_days": lambda: str(inventory_selectors.DELIVERY_DAYS),
    "return_window_days": lambda: str(inventory_returns.RETURN_WINDOW_DAYS),
    "max_line_quantity": lambda: str(MAX_LINE_QUANTITY),
    "guest_link_days": lambda: str(GUEST_ORDER_MAX_AGE // 86400),
    "password_reset_hours": lambda: str(settings.PASSWORD_RESET_TIMEOUT // 3600),
    "login_lockout_attempts": lambda: str(settings.AXES_FAILURE_LIMIT),
    "login_lockout_minutes": lambda: str(int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)),
    "ticket_reopen_days": lambda: str(settings.TICKET_REOPEN_DAYS),
}


def render_facts(text: str) -> str:
    """``text`` with every known ``{{ fact }}`` replaced by its current value (each computed once)."""
    if "{{" not in (text or ""):
        return text
    values: dict[str, str] = {}

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name not in FACTS:
            return match.group(0)
        if name not in values:
            values[name] = FACTS[name]()
        return values[name]

    return PLACEHOLDER_RE.sub(value, text)
