"""Purchasing: purchase orders from draft to received, and the monthly budget they spend."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from accounts.models import Store, User
from accounts.services import notify_template

from .. import storefront_cache
from ..models import BudgetAlert, Product, PurchaseOrder, PurchaseOrderLine, PurchaseSpend, StockMovement, Supplier
from .common import EMAIL, PurchaseOrderError, positive_int
from .ledger import stock_move

logger = logging.getLogger(__name__)


def month_start(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class PurchaseLineInput:
    product_id: int
    quantity: int
    unit_cost: Decimal


@transaction.atomic
def purchase_order_create(
    *, supplier: Supplier, lines: list[PurchaseLineInput], actor: User | None, notes: str = ""
) -> PurchaseOrder:
    """A draft PO for the supplier's store. Products must be that store's, each once."""
    if not lines:
        raise PurchaseOrderError("A purchase order needs at least one line.")
    ids = [line.product_id for line in lines]
    if len(set(ids)) != len(ids):
        raise PurchaseOrderError("A product appears twice on the purchase order.")
    products = set(Product.objects.filter(pk__in=ids, store_id=supplier.store_id).values_list("pk", flat=True))
    if missing := [pk for pk in ids if pk not in products]:
        raise PurchaseOrderError(f"Unknown product(s) for this store: {missing}.")
    for line in lines:
        positive_int(line.quantity, error=PurchaseOrderError)
        if Decimal(line.unit_cost) < 0:
            raise PurchaseOrderError("Unit cost cannot be negative.")
    po = PurchaseOrder.objects.create(store_id=supplier.store_id, supplier=supplier, notes=notes, created_by=actor)
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            purchase_order=po, product_id=ln.product_id, quantity_ordered=ln.quantity, unit_cost=ln.unit_cost
        )
        for ln in lines
    )
    return po


@transaction.atomic
def purchase_order_mark_ordered(*, purchase_order: PurchaseOrder, expected_date: date) -> PurchaseOrder:
    """Draft -> ordered with the supplier's expected delivery date."""
    if expected_date is None:
        raise PurchaseOrderError("Give the expected delivery date.")
    if not purchase_order.lines.exists():
        raise PurchaseOrderError("A purchase order needs at least one line.")
    flipped = PurchaseOrder.objects.filter(pk=purchase_order.pk, status=PurchaseOrder.Status.DRAFT).update(
        status=PurchaseOrder.Status.ORDERED, expected_date=expected_date, ordered_at=timezone.now()
    )
    if not flipped:
        raise PurchaseOrderError(f"{purchase_order} is not a draft.")
    for product_id in purchase_order.lines.values_list("product_id", flat=True):
        storefront_cache.product_changed(product_id)  # its delivery estimate now follows this order
    purchase_order.refresh_from_db()
    return purchase_order


@transaction.atomic
def purchase_order_receive(
    *, purchase_order: PurchaseOrder, quantities: dict[int, int] | None = None, actor: User | None = None
) -> PurchaseOrder:
    """Receive goods on an ordered PO, in full (``quantities=None``) or per line id.

    Each received quantity is a ledger receipt at the line's unit cost and adds to the
    month's spend; the first receipt that takes the month past the store's budget sends one
    budget alert (unique per store and month). A quantity beyond what is outstanding, an
    unknown line or a PO that is not ordered raises ``PurchaseOrderError`` with nothing changed.
    """
    # Lock the store first: receipts of one store are serialised, so two concurrent receipts
    # cannot both read the month's spend as under budget and together cross it unseen.
    Store.objects.select_for_update().filter(pk=purchase_order.store_id).first()
    po = PurchaseOrder.objects.select_for_update().select_related("store").get(pk=purchase_order.pk)
    if po.status not in (PurchaseOrder.Status.ORDERED, PurchaseOrder.Status.PARTIAL):
        raise PurchaseOrderError(f"{po} is {po.get_status_display().lower()}; only ordered goods can be received.")
    lines = {line.pk: line for line in po.lines.select_related("product").order_by("product_id")}
    if quantities is None:
        quantities = {pk: line.quantity_outstanding for pk, line in lines.items() if line.quantity_outstanding}
    if unknown := set(quantities) - set(lines):
        raise PurchaseOrderError(f"Unknown purchase order line(s): {sorted(unknown)}.")
    spend = Decimal("0")
    received_any = False
    for pk in sorted(quantities, key=lambda pk: lines[pk].product_id):
        line = lines[pk]
        try:
            qty = int(quantities[pk])
        except (TypeError, ValueError):
            raise PurchaseOrderError(f"Line {pk}: quantity must be a whole number.") from None
        if qty == 0:
            continue
        if qty < 0 or qty > line.quantity_outstanding:
            raise PurchaseOrderError(
                f"Line {pk} ({line.product.sku}): receive between 1 and {line.quantity_outstanding}, not {qty}."
            )
        PurchaseOrderLine.objects.filter(pk=pk).update(quantity_received=F("quantity_received") + qty)
        stock_move(
            product_id=line.product_id,
            delta=qty,
            kind=StockMovement.Kind.RECEIPT,
            unit_cost=line.unit_cost,
            reference=f"po:{po.pk}",
            actor=actor,
        )
        spend += line.unit_cost * qty
        received_any = True
    if not received_any:
        raise PurchaseOrderError("Nothing to receive.")
    now = timezone.now()
    complete = not po.lines.filter(quantity_received__lt=F("quantity_ordered")).exists()
    po.status = PurchaseOrder.Status.RECEIVED if complete else PurchaseOrder.Status.PARTIAL
    po.received_at = now if complete else None
    po.save(update_fields=["status", "received_at"])
    month = month_start(timezone.localdate(now))
    PurchaseSpend.objects.create(store=po.store, purchase_order=po, month=month, amount=spend, created_at=now)
    _budget_check(store=po.store, month=month)
    return po


def store_month_spend(*, store: Store, month: date) -> Decimal:
    """The month's receipts at cost, to the cent (SQLite sums decimals with trailing digits)."""
    total = PurchaseSpend.objects.filter(store=store, month=month).aggregate(total=Sum("amount"))["total"]
    return (total or Decimal(0)).quantize(Decimal("0.01"))


def _budget_check(*, store: Store, month: date) -> BudgetAlert | None:
    budget = store.monthly_budget
    if not budget:
        return None
    spent = store_month_spend(store=store, month=month)
    if spent <= budget:
        return None
    try:
        with transaction.atomic():
            alert = BudgetAlert.objects.create(store=store, month=month, budget=budget, spent=spent)
    except IntegrityError:
        return None  # already alerted this month: one alert per store and month
    for address in store.alert_email_list:
        notify_template(
            channel=EMAIL,
            recipient=address,
            template="budget_alert",
            context={"store": store, "alert": alert},
            idempotency_key=f"budget:{store.pk}:{month:%Y-%m}:{address}",
            store=store,
            related=alert,
        )
    logger.info("Budget alert for store %s, %s: spent %s of %s", store.pk, month, spent, budget)
    return alert
