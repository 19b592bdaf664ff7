"""The stock ledger: the only module that changes ``Product.on_hand``.

Every change is a conditional ``UPDATE ... SET on_hand = on_hand + delta WHERE on_hand >= -delta``
(``QuerySet.update()`` with ``F()``) plus one ``StockMovement`` in the same transaction, then the
low-stock / back-in-stock state changes that the new level implies. The conditional update is
what makes two buyers unable to take the same unit on PostgreSQL (row lock, re-evaluated WHERE)
and on SQLite (one writer at a time); the CHECK constraint on ``on_hand`` is the last guard.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import User
from accounts.services import notify_template

from .. import storefront_cache, webhook_events
from ..models import BackInStockSubscription, Product, StockAlert, StockMovement
from .common import EMAIL, StockError, positive_int

logger = logging.getLogger(__name__)


def on_hand_change(*, product_id: int, delta: int) -> None:
    """On hand + ``delta``, never below zero; raises ``StockError`` with nothing changed.

    Must run inside a transaction: from here until commit we hold the row's write lock
    (PostgreSQL row lock, SQLite write transaction), so a level read afterwards in the same
    transaction is the one our change produced and nobody else can move it.
    """
    if delta == 0:
        raise StockError("A stock change needs a quantity other than zero.")
    changed = Product.objects.filter(pk=product_id, on_hand__gte=max(-delta, 0)).update(
        on_hand=F("on_hand") + delta, updated_at=timezone.now()
    )
    if not changed:
        if not Product.objects.filter(pk=product_id).exists():
            raise StockError("Unknown product.")
        raise StockError("Not enough stock.")


def stock_move(
    *,
    product_id: int,
    delta: int,
    kind: str,
    unit_cost: Decimal = Decimal("0"),
    reference: str = "",
    reason: str = "",
    actor: User | None = None,
) -> StockMovement:
    """Change on_hand by ``delta`` and append the ledger row; must run inside a transaction.

    Raises ``StockError`` (and changes nothing) when ``delta`` would take stock below zero.
    """
    on_hand_change(product_id=product_id, delta=delta)
    movement = StockMovement.objects.create(
        product_id=product_id,
        kind=kind,
        quantity=delta,
        unit_cost=unit_cost,
        reference=reference[:100],
        reason=reason[:255],
        actor=actor,
    )
    product = Product.objects.select_related("store").get(pk=product_id)
    stock_level_changed(product=product, before=product.on_hand - delta)
    return movement


def stock_level_changed(*, product: Product, before: int) -> None:
    """Open or close the low-stock alert and tell back-in-stock subscribers, as the level implies.

    ``product`` is read at its new level (with its store) inside the transaction that changed it.
    """
    after = product.on_hand
    storefront_cache.product_changed(product.pk, listing_changed=(before <= 0) != (after <= 0))
    if after <= product.reorder_point:
        stock_alert_open(product=product)
    else:
        stock_alert_close(product=product)
    if before <= 0 < after:
        back_in_stock_notify(product=product)


def stock_alert_open(*, product: Product) -> StockAlert | None:
    """Open the product's low-stock alert and email the store, unless one is open already."""
    if StockAlert.objects.filter(product=product, status=StockAlert.Status.OPEN).exists():
        return None
    try:
        # The savepoint keeps our transaction usable if a concurrent sale opened it first;
        # the partial unique constraint is what makes a second open alert impossible.
        with transaction.atomic():
            alert = StockAlert.objects.create(
                product=product, on_hand_at_open=product.on_hand, reorder_point_at_open=product.reorder_point
            )
    except IntegrityError:
        return None
    for address in product.store.alert_email_list:
        notify_template(
            channel=EMAIL,
            recipient=address,
            template="low_stock",
            context={"product": product, "alert": alert},
            idempotency_key=f"low-stock:{alert.pk}:{address}",
            store=product.store,
            related=alert,
        )
    webhook_events.stock_low(product, alert)
    logger.info("Low-stock alert %s opened for product %s at %s", alert.pk, product.pk, product.on_hand)
    return alert


def stock_alert_close(*, product: Product) -> int:
    return StockAlert.objects.filter(product=product, status=StockAlert.Status.OPEN).update(
        status=StockAlert.Status.CLOSED, closed_at=timezone.now()
    )


def back_in_stock_notify(*, product: Product) -> int:
    """Email every confirmed subscriber still waiting for ``product``, once each."""
    now = timezone.now()
    waiting = list(
        BackInStockSubscription.objects.filter(product=product, notified_at__isnull=True, confirmed_at__isnull=False)
    )
    for subscription in waiting:
        notify_template(
            channel=EMAIL,
            recipient=subscription.email,
            template="back_in_stock",
            context={"product": product},
            idempotency_key=f"back-in-stock:{subscription.pk}",
            store=product.store,
            related=subscription,
        )
    BackInStockSubscription.objects.filter(pk__in=[s.pk for s in waiting]).update(notified_at=now)
    return len(waiting)


@transaction.atomic
def stock_adjust(*, product: Product, quantity: int, reason: str, actor: User | None) -> StockMovement:
    """Correct stock by a signed ``quantity`` (a count, damage, loss) with a required reason.

    Raises ``StockError`` with nothing changed if the reason is empty, the quantity zero,
    or the adjustment would take stock below zero.
    """
    if not (reason or "").strip():
        raise StockError("Say why the stock is adjusted.", code="reason_required")
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise StockError("Quantity must be a whole number.") from None
    if quantity == 0:
        raise StockError("Quantity must not be zero.")
    try:
        return stock_move(
            product_id=product.pk,
            delta=quantity,
            kind=StockMovement.Kind.ADJUSTMENT,
            unit_cost=product.cost,
            reason=reason.strip(),
            reference="adjustment",
            actor=actor,
        )
    except StockError:
        raise StockError(
            f"Cannot remove {-quantity}: only {Product.objects.get(pk=product.pk).on_hand} in stock.",
            code="out_of_stock",
        ) from None


@transaction.atomic
def stock_receive(
    *, product: Product, quantity: int, unit_cost: Decimal, reference: str = "", actor: User | None = None
) -> StockMovement:
    """Book goods received outside a purchase order (opening stock, a found box)."""
    quantity = positive_int(quantity)
    return stock_move(
        product_id=product.pk,
        delta=quantity,
        kind=StockMovement.Kind.RECEIPT,
        unit_cost=unit_cost,
        reference=reference,
        actor=actor,
    )


@transaction.atomic
def stock_history_load(*, product: Product, movements: list[StockMovement]) -> int:
    """Write a product's past ledger in bulk (demo data, migrations from another system).

    Only for a product with no ledger yet, so it is safe to call twice (the second call
    writes nothing). The rows are checked to never take stock below zero in time order;
    ``on_hand`` is set to their sum in the same transaction, so the ledger still sums to
    it, and the low-stock alert state follows the final level. Returns rows written.
    """
    product = Product.objects.select_for_update().select_related("store").get(pk=product.pk)
    if product.movements.exists() or product.on_hand != 0:
        return 0
    level = 0
    for movement in sorted(movements, key=lambda m: m.created_at):
        if movement.product_id != product.pk or movement.quantity == 0:
            raise StockError("History rows must belong to the product and move stock.")
        level += movement.quantity
        if level < 0:
            raise StockError(f"History takes stock below zero on {movement.created_at:%Y-%m-%d}.")
    StockMovement.objects.bulk_create(movements, batch_size=2000)
    Product.objects.filter(pk=product.pk).update(on_hand=level)
    product.on_hand = level
    # The alert follows the final level; nobody is told "back in stock" for a past that is loaded.
    stock_level_changed(product=product, before=level)
    storefront_cache.product_changed(product.pk, listing_changed=True)  # from no stock to ``level``
    return len(movements)


@dataclass(frozen=True)
class StockMismatch:
    product_id: int
    sku: str
    store: str
    on_hand: int
    ledger: int


def stock_mismatches() -> list[StockMismatch]:
    """Products whose on_hand differs from the sum of their ledger (read only; fixes nothing)."""
    sums = dict(
        StockMovement.objects.values("product_id").annotate(total=Sum("quantity")).values_list("product_id", "total")
    )
    result = []
    for pk, sku, store, on_hand in Product.objects.values_list("pk", "sku", "store__name", "on_hand").order_by("pk"):
        ledger = sums.get(pk) or 0
        if ledger != on_hand:
            result.append(StockMismatch(product_id=pk, sku=sku, store=store, on_hand=on_hand, ledger=ledger))
    return result
