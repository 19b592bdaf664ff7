"""What customers and stores are told about: back in stock, new arrivals in a followed category,
and the daily digest of low-stock alerts."""

from __future__ import annotations

from datetime import date

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import notify_template

from ..models import BackInStockSubscription, Category, CategoryFollow, Product, StockAlert
from .common import EMAIL
from .ledger import back_in_stock_notify

SUBSCRIPTION_SALT = "inventory.back-in-stock"
SUBSCRIPTION_MAX_AGE = 60 * 60 * 24 * 7


@transaction.atomic
def back_in_stock_subscribe(*, product: Product, email: str, user: User | None = None) -> BackInStockSubscription:
    """Wait for a product. A logged-in customer's own address is confirmed at once; any other
    address gets a signed confirmation link and is only emailed after confirming it.
    Subscribing twice while waiting returns the same subscription.
    """
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError("Enter an email address.")
    confirmed = user is not None and user.is_authenticated and user.email.lower() == email
    existing = BackInStockSubscription.objects.filter(product=product, email=email, notified_at__isnull=True).first()
    if existing:
        if confirmed and existing.confirmed_at is None:
            existing.confirmed_at = timezone.now()
            existing.save(update_fields=["confirmed_at"])
        return existing
    subscription = BackInStockSubscription.objects.create(
        product=product,
        email=email,
        user=user if confirmed else None,
        confirmed_at=timezone.now() if confirmed else None,
    )
    if not confirmed:
        token = signing.dumps({"s": subscription.pk, "e": email}, salt=SUBSCRIPTION_SALT)
        notify_template(
            channel=EMAIL,
            recipient=email,
            template="back_in_stock_confirm",
            context={"product": product, "token": token},
            idempotency_key=f"back-in-stock-confirm:{subscription.pk}",
            store=product.store,
            related=subscription,
        )
    return subscription


@transaction.atomic
def back_in_stock_confirm(*, token: str) -> BackInStockSubscription:
    """Confirm an address from the signed link. Bad or expired links raise ValidationError."""
    try:
        data = signing.loads(token, salt=SUBSCRIPTION_SALT, max_age=SUBSCRIPTION_MAX_AGE)
    except signing.BadSignature:
        raise ValidationError("This confirmation link is invalid or has expired.") from None
    subscription = BackInStockSubscription.objects.filter(pk=data.get("s"), email=data.get("e")).first()
    if subscription is None:
        raise ValidationError("This confirmation link is invalid or has expired.")
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at"])
        # Restocked between subscribing and confirming: tell them now.
        product = subscription.product
        if product.on_hand > 0 and subscription.notified_at is None:
            back_in_stock_notify(product=product)
            subscription.refresh_from_db()
    return subscription


@transaction.atomic
def category_follow(*, user: User, category: Category) -> CategoryFollow:
    follow, _ = CategoryFollow.objects.get_or_create(user=user, category=category)
    return follow


@transaction.atomic
def category_unfollow(*, user: User, category: Category) -> None:
    CategoryFollow.objects.filter(user=user, category=category).delete()


def product_launches_announce(*, today: date | None = None) -> int:
    """Email followers of the category once for each product that has launched.

    Safe to run any number of times: a product is claimed by a conditional update of
    ``announced_at`` and each email has its own idempotency key.
    """
    today = today or timezone.localdate()
    count = 0
    due = Product.objects.filter(is_active=True, announced_at__isnull=True, launch_date__lte=today).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        with transaction.atomic():
            if not Product.objects.filter(pk=pk, announced_at__isnull=True).update(announced_at=timezone.now()):
                continue
            product = Product.objects.select_related("store", "category").get(pk=pk)
            for follow in CategoryFollow.objects.filter(category=product.category).select_related("user"):
                notify_template(
                    channel=EMAIL,
                    recipient=follow.user.email,
                    template="new_arrival",
                    context={"product": product, "category": product.category},
                    idempotency_key=f"new-arrival:{product.pk}:{follow.user_id}",
                    store=product.store,
                    related=product,
                )
                count += 1
    return count


def stock_alert_digest_send(*, today: date | None = None) -> int:
    """One email per store with open alerts, listing them; once per store per day."""
    today = today or timezone.localdate()
    sent = 0
    open_alerts = StockAlert.objects.filter(status=StockAlert.Status.OPEN).select_related("product__store")
    by_store: dict[int, list[StockAlert]] = {}
    for alert in open_alerts.order_by("product__store_id", "product__name"):
        by_store.setdefault(alert.product.store_id, []).append(alert)
    for alerts in by_store.values():
        store = alerts[0].product.store
        with transaction.atomic():
            for address in store.alert_email_list:
                notify_template(
                    channel=EMAIL,
                    recipient=address,
                    template="low_stock_digest",
                    context={"store": store, "alerts": alerts, "today": today},
                    idempotency_key=f"low-stock-digest:{store.pk}:{today.isoformat()}:{address}",
                    store=store,
                )
                sent += 1
    return sent
