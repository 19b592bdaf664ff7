"""Guest orders: the signed link to a guest's order page, and claiming the order into an account.

A guest has no login, so the link in the confirmation email is the guest's only key: it is signed
(``django.core.signing``, a ``TimestampSigner`` under the hood) with the order's id and the email
it was placed with, and expires after ``GUEST_ORDER_MAX_AGE``. An order is never claimed by an
account because the email addresses match: only whoever holds the link can claim it.
"""

from __future__ import annotations

import logging

from django.core import signing
from django.db import transaction
from django.http import Http404
from django.urls import reverse

from accounts.models import User
from accounts.services import user_register_customer

from ..models import Order
from .common import OrderError

logger = logging.getLogger(__name__)

GUEST_ORDER_SALT = "inventory.guest-order"
# Long enough to follow a delivery, return an item or create the account later.
GUEST_ORDER_MAX_AGE = 60 * 60 * 24 * 120


def guest_order_token(order: Order) -> str:
    return signing.dumps({"o": order.pk, "e": order.guest_email.lower()}, salt=GUEST_ORDER_SALT, compress=True)


def order_page_path(order: Order) -> str:
    """Where the order's emails link to: the signed guest page, or the customer's order page."""
    if order.is_guest:
        return reverse("storefront:guest_order", args=[guest_order_token(order)])
    return reverse("storefront:order_detail", args=[order.pk])


def guest_order_for_token(token: str) -> Order:
    """The order a guest link names; ``Http404`` for a forged, expired or stale link.

    The order may have been claimed since (it then has a customer): the caller sends the visitor
    to the account's order page, which checks who is logged in.
    """
    try:
        data = signing.loads(token, salt=GUEST_ORDER_SALT, max_age=GUEST_ORDER_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is one
        raise Http404("This order link is not valid or has expired.") from None
    order = (
        Order.objects.select_related("store", "discount_code")
        .prefetch_related("lines__product")
        .filter(pk=data.get("o"))
        .first()
    )
    if order is None or (order.is_guest and order.guest_email.lower() != data.get("e")):
        raise Http404("This order link is not valid or has expired.")
    return order


@transaction.atomic
def order_claim(*, token: str, user: User) -> Order:
    """Move the guest order named by the signed ``token`` into ``user``'s account.

    From then on it is one of their orders (list, returns, tickets) and the guest email is
    cleared (the one-buyer CHECK). A conditional UPDATE: of two claims of one order only one
    succeeds; the other, or a claim of an order already in an account, raises ``OrderError``.
    Safe to repeat by the same user (returns the order).
    """
    order = guest_order_for_token(token)
    if order.customer_id == user.pk:
        return order
    claimed = Order.objects.filter(pk=order.pk, customer__isnull=True, guest_email=order.guest_email).update(
        customer=user, guest_email=""
    )
    if not claimed:
        raise OrderError("This order is already in an account.", code="already_claimed")
    logger.info("Guest order %s claimed by user %s", order.pk, user.pk)
    order.refresh_from_db()
    return order


@transaction.atomic
def order_claim_into_new_account(*, token: str, email: str, password: str, name: str) -> tuple[User, Order]:
    """Create a customer account (input validated by ``SignUpForm``) and claim the guest order
    named by ``token`` into it, together or not at all (``OrderError`` rolls the account back)."""
    order = guest_order_for_token(token)
    if not order.is_guest:
        raise OrderError("This order is already in an account.", code="already_claimed")
    user = user_register_customer(email=email, password=password, name=name)
    return user, order_claim(token=token, user=user)
