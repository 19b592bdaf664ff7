"""Every write in inventory. The only module that changes ``Product.on_hand``.

Stock changes go through ``_stock_apply``: a conditional ``UPDATE ... SET on_hand =
on_hand + delta WHERE on_hand >= -delta`` (F expression) plus one ``StockMovement`` in the
same transaction, then the low-stock / back-in-stock state changes that the new level
implies. The conditional update is what makes two buyers unable to take the same unit on
PostgreSQL (row lock, re-evaluated WHERE) and on SQLite (one writer at a time); the CHECK
constraint on ``on_hand`` is the last guard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Notification, Store, User
from accounts.rawsql import ModelColumns, ModelInsert, fetch_all
from accounts.services import notify_template

from . import storefront_cache
from .models import (
    BackInStockSubscription,
    BudgetAlert,
    Category,
    CategoryFollow,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseSpend,
    ReturnRequest,
    Review,
    StockAlert,
    StockMovement,
    Supplier,
)

logger = logging.getLogger(__name__)

RETURN_WINDOW_DAYS = 30
SUBSCRIPTION_SALT = "inventory.back-in-stock"
SUBSCRIPTION_MAX_AGE = 60 * 60 * 24 * 7
EMAIL = Notification.Channel.EMAIL


class StockError(ValidationError):
    """A stock change that cannot happen (not enough stock, bad quantity). Nothing changed."""


class OrderError(ValidationError):
    """An order, cancellation or return that cannot happen. Nothing changed."""


class PurchaseOrderError(ValidationError):
    pass


# --- The ledger ---------------------------------------------------------------------


def _stock_apply(
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
    product = _on_hand_move(product_id=product_id, delta=delta)
    movement = StockMovement.objects.create(
        product_id=product_id,
        kind=kind,
        quantity=delta,
        unit_cost=unit_cost,
        reference=reference[:100],
        reason=reason[:255],
        actor=actor,
    )
    _stock_level_changed(product=product, before=product.on_hand - delta)
    return movement


def _on_hand_move(*, product_id: int, delta: int, product: Product | None = None) -> Product:
    """The conditional ``UPDATE`` of the ledger: on_hand + ``delta``, never below zero.

    Returns the product at its new level: ``product`` (already read by the caller, with its
    store) updated in place, or the row read again. Raises ``StockError`` with nothing changed.
    Must run inside a transaction: from here until commit we hold the row's write lock
    (PostgreSQL row lock, SQLite write transaction), so the level returned is the one our change
    produced and nobody else can move it.
    """
    if delta == 0:
        raise StockError("A stock change needs a quantity other than zero.")
    connection = transaction.get_connection()
    now = timezone.now()
    if connection.features.can_return_columns_from_insert:
        # PostgreSQL and SQLite >= 3.35 answer UPDATE ... RETURNING: the new level in the same
        # round trip as the change (the ORM's update() returns only a row count).
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                # The only interpolation is the model's own table name; every value is a parameter.
                f"UPDATE {quote(Product._meta.db_table)} SET on_hand = on_hand + %s, updated_at = %s "  # noqa: S608
                "WHERE id = %s AND on_hand >= %s RETURNING on_hand, reorder_point",
                [delta, connection.ops.adapt_datetimefield_value(now), product_id, max(-delta, 0)],
            )
            row = cursor.fetchone()
    else:
        rows = Product.objects.filter(pk=product_id, on_hand__gte=max(-delta, 0))
        row = None
        if rows.update(on_hand=F("on_hand") + delta, updated_at=now) == 1:
            row = Product.objects.filter(pk=product_id).values_list("on_hand", "reorder_point").get()
    if row is None:
        if not Product.objects.filter(pk=product_id).exists():
            raise StockError("Unknown product.")
        raise StockError("Not enough stock.")
    if product is None:
        product = Product.objects.select_related("store").get(pk=product_id)
    product.on_hand, product.reorder_point = row
    product.updated_at = now
    return product


def _stock_level_changed(*, product: Product, before: int) -> None:
    """Open or close the low-stock alert and tell back-in-stock subscribers, as the level implies."""
    after = product.on_hand
    storefront_cache.product_changed(product.pk, listing_changed=(before <= 0) != (after <= 0))
    if after <= product.reorder_point:
        _stock_alert_open(product=product)
    elif getattr(product, "has_open_alert", True):
        # ``has_open_alert``: the caller read the product with that annotation and no alert was
        # open then (a sale above the reorder point then needs no UPDATE of the alerts).
        _stock_alert_close(product=product)
    if before <= 0 < after:
        _back_in_stock_notify(product=product)


def _stock_alert_open(*, product: Product) -> StockAlert | None:
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
    logger.info("Low-stock alert %s opened for product %s at %s", alert.pk, product.pk, product.on_hand)
    return alert


def _stock_alert_close(*, product: Product) -> int:
    return StockAlert.objects.filter(product=product, status=StockAlert.Status.OPEN).update(
        status=StockAlert.Status.CLOSED, closed_at=timezone.now()
    )


def _back_in_stock_notify(*, product: Product) -> int:
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


def _positive_int(value, *, what: str = "Quantity", error=StockError) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise error(f"{what} must be a whole number.") from None
    if number != value and str(number) != str(value).strip():
        raise error(f"{what} must be a whole number.")
    if number <= 0:
        raise error(f"{what} must be at least 1.")
    return number


@transaction.atomic
def stock_adjust(*, product: Product, quantity: int, reason: str, actor: User | None) -> StockMovement:
    """Correct stock by a signed ``quantity`` (a count, damage, loss) with a required reason.

    Raises ``StockError`` with nothing changed if the reason is empty, the quantity zero,
    or the adjustment would take stock below zero.
    """
    if not (reason or "").strip():
        raise StockError("Say why the stock is adjusted.")
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise StockError("Quantity must be a whole number.") from None
    if quantity == 0:
        raise StockError("Quantity must not be zero.")
    try:
        return _stock_apply(
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
            f"Cannot remove {-quantity}: only {Product.objects.get(pk=product.pk).on_hand} in stock."
        ) from None


@transaction.atomic
def stock_receive(
    *, product: Product, quantity: int, unit_cost: Decimal, reference: str = "", actor: User | None = None
) -> StockMovement:
    """Book goods received outside a purchase order (opening stock, a found box)."""
    quantity = _positive_int(quantity)
    return _stock_apply(
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
    _stock_level_changed(product=product, before=level)
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


# --- Orders -------------------------------------------------------------------------


@dataclass(frozen=True)
class CartItem:
    """One cart line as the customer saw it: the product, quantity and price shown."""

    product_id: int
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class DeliveryDetails:
    name: str
    address: str
    postcode: str
    city: str
    phone: str = ""


@transaction.atomic
def order_place(
    *,
    customer: User,
    items: Iterable[CartItem],
    delivery: DeliveryDetails,
    payment_method: str,
) -> Order:
    """Place one order for one store's products, all or nothing.

    Guarantees: every line is charged at the price the customer saw (a changed price fails
    the order with a message); stock is taken with conditional updates in product-id order
    (no deadlocks between two carts), so if any line cannot be filled the whole transaction
    rolls back, nothing is sold and ``OrderError`` names the line. Sends the confirmation
    email through the outbox after commit. Not idempotent: each call is a new order.
    On the returned order, ``order.lines.all()`` answers from the lines just written, each with
    its product and store, without a query (callers that show the order need not read it again).
    """
    items = list(items)
    if not items:
        raise OrderError("Your cart is empty.")
    if payment_method not in Order.PaymentMethod.values:
        raise OrderError("Choose cash on delivery or pay at pickup.")
    quantities: dict[int, CartItem] = {}
    for item in items:
        _positive_int(item.quantity, error=OrderError)
        if item.product_id in quantities:
            raise OrderError("A product appears twice in the order.")
        quantities[item.product_id] = item
    products = _products_for_order(list(quantities))
    if len(products) != len(quantities):
        raise OrderError("A product in your cart is no longer available.")
    stores = {p.store_id for p in products.values()}
    if len(stores) != 1:
        raise OrderError("An order holds products of one store only.")
    for pk, item in quantities.items():
        product = products[pk]
        if product.current_price != Decimal(item.unit_price):
            raise OrderError(
                f"The price of {product.name} changed to {product.current_price}; please review your cart."
            )
    store = next(iter(products.values())).store
    order = Order(
        store=store,
        customer=customer,
        payment_method=payment_method,
        delivery_name=delivery.name,
        delivery_address=delivery.address,
        delivery_postcode=delivery.postcode,
        delivery_city=delivery.city,
        delivery_phone=delivery.phone,
        total=sum((products[pk].current_price * item.quantity for pk, item in quantities.items()), Decimal("0")),
    )
    _ORDER_INSERT.insert([order])
    # Stock is taken line by line in product-id order (no deadlocks between two carts); the
    # ledger rows and order lines are then written in one INSERT each.
    movements, lines = [], []
    for pk in sorted(quantities):
        item = quantities[pk]
        product = products[pk]
        try:
            _on_hand_move(product_id=pk, delta=-item.quantity, product=product)
        except StockError:
            left = Product.objects.get(pk=pk).on_hand
            raise OrderError(
                f"Only {left} of {product.name} left; you asked for {item.quantity}. Nothing was ordered."
            ) from None
        movements.append(
            StockMovement(
                product=product,
                kind=StockMovement.Kind.SALE,
                quantity=-item.quantity,
                unit_cost=product.cost,
                reference=f"order:{order.pk}",
                actor=customer,
            )
        )
        lines.append(OrderLine(order=order, product=product, quantity=item.quantity, unit_price=product.current_price))
    _MOVEMENT_INSERT.insert(movements)
    _LINE_INSERT.insert(lines)
    for line in lines:
        _stock_level_changed(product=line.product, before=line.product.on_hand + line.quantity)
    _remember_lines(order, lines)
    notify_template(
        channel=EMAIL,
        recipient=customer.email,
        template="order_confirmed",
        context={"order": order, "lines": lines},
        idempotency_key=f"order-confirmed:{order.pk}",
        store=store,
        related=order,
    )
    logger.info("Order %s placed by %s for %s item(s)", order.pk, customer.pk, len(quantities))
    return order


# The order's three INSERTs without the ORM's insert compiler (``accounts/rawsql.py``).
_ORDER_INSERT = ModelInsert(Order)
_MOVEMENT_INSERT = ModelInsert(StockMovement)
_LINE_INSERT = ModelInsert(OrderLine)
_ORDER_PRODUCT = ModelColumns(Product, "p")
_ORDER_STORE = ModelColumns(Store, "s")


def _products_for_order(ids: list[int]) -> dict[int, Product]:
    """The active, launched products among ``ids``, each with its store and ``has_open_alert``.

    In plain SQL (``accounts/rawsql.py`` says why): through the ORM, the two-table query with
    its ``EXISTS`` cost more Python to compile than everything else an order does in the
    database. The same rows as ``Product.objects.select_related("store").filter(...)
    .annotate(has_open_alert=Exists(open alert))``.
    """
    connection = transaction.get_connection()
    qn = connection.ops.quote_name
    sql = (
        # Table and column names come from the models' metadata; every value is a parameter.
        f"SELECT {_ORDER_PRODUCT.sql}, {_ORDER_STORE.sql}, EXISTS("  # noqa: S608
        f"SELECT 1 FROM {qn(StockAlert._meta.db_table)} a WHERE a.product_id = p.id AND a.status = %s) "
        f"FROM {qn(Product._meta.db_table)} p JOIN {qn(Store._meta.db_table)} s ON s.id = p.store_id "
        f"WHERE p.id IN ({', '.join(['%s'] * len(ids))}) AND p.is_active = %s AND p.launch_date <= %s"
    )
    today = connection.ops.adapt_datefield_value(timezone.localdate())
    products = {}
    store_field = Product._meta.get_field("store")
    for row in fetch_all(sql, [StockAlert.Status.OPEN, *ids, True, today]):
        product = _ORDER_PRODUCT.build(row)
        store_field.set_cached_value(product, _ORDER_STORE.build(row, _ORDER_PRODUCT.width))
        product.has_open_alert = bool(row[-1])
        products[product.pk] = product
    return products


def _remember_lines(order: Order, lines: list[OrderLine]) -> None:
    """Let ``order.lines.all()`` answer from ``lines`` without a query.

    The same cache ``prefetch_related("lines")`` fills (a queryset whose results are already
    known), filled from the rows this transaction wrote.
    """
    queryset = order.lines.all()
    queryset._result_cache = lines
    queryset._prefetch_done = True
    order._prefetched_objects_cache = {"lines": queryset}


@transaction.atomic
def order_cancel(*, order: Order, actor: User) -> Order:
    """Cancel an order no line of which has shipped, putting every unit back through the ledger.

    Safe against a double click: the status flip is a conditional update, so only one call
    restocks; a second raises ``OrderError``.
    """
    # Lock the order row first (the same order as the shipping services) so a line cannot
    # ship while we cancel; SQLite's write transaction serialises the same way.
    locked = Order.objects.select_for_update().filter(pk=order.pk).first()
    if locked is None or locked.status == Order.Status.CANCELLED:
        raise OrderError("This order is already cancelled.")
    if order.lines.exclude(status=OrderLine.Status.PENDING).exists():
        raise OrderError("This order has already shipped and can no longer be cancelled.")
    now = timezone.now()
    flipped = Order.objects.filter(pk=order.pk, status=Order.Status.PLACED).update(
        status=Order.Status.CANCELLED, cancelled_at=now
    )
    if not flipped:
        raise OrderError("This order is already cancelled.")
    for line in order.lines.order_by("product_id"):
        _stock_apply(
            product_id=line.product_id,
            delta=line.quantity,
            kind=StockMovement.Kind.CANCELLATION,
            unit_cost=line.product.cost,
            reference=f"order:{order.pk}",
            actor=actor,
        )
    order.lines.update(status=OrderLine.Status.CANCELLED)
    order.refresh_from_db()
    notify_template(
        channel=EMAIL,
        recipient=order.customer.email,
        template="order_cancelled",
        context={"order": order},
        idempotency_key=f"order-cancelled:{order.pk}",
        store=order.store,
        related=order,
    )
    return order


@transaction.atomic
def order_line_mark_shipped(*, line: OrderLine) -> bool:
    """Pending -> shipped. Returns False (and changes nothing) for any other state."""
    list(Order.objects.select_for_update().filter(pk=line.order_id).values_list("pk", flat=True))
    return bool(
        OrderLine.objects.filter(pk=line.pk, status=OrderLine.Status.PENDING, order__status=Order.Status.PLACED).update(
            status=OrderLine.Status.SHIPPED, shipped_at=timezone.now()
        )
    )


@transaction.atomic
def order_line_mark_delivered(*, line: OrderLine) -> bool:
    """Pending or shipped -> delivered (starts the return window)."""
    list(Order.objects.select_for_update().filter(pk=line.order_id).values_list("pk", flat=True))
    now = timezone.now()
    return bool(
        OrderLine.objects.filter(
            pk=line.pk,
            status__in=[OrderLine.Status.PENDING, OrderLine.Status.SHIPPED],
            order__status=Order.Status.PLACED,
        ).update(status=OrderLine.Status.DELIVERED, delivered_at=now, shipped_at=Coalesce(F("shipped_at"), Value(now)))
    )


# --- Returns ------------------------------------------------------------------------


def returnable_quantity(*, line: OrderLine) -> int:
    """Delivered units, inside the return window, not already covered by a pending, approved
    or received return."""
    if line.status != OrderLine.Status.DELIVERED:
        return 0
    if timezone.now() > line.delivered_at + timedelta(days=RETURN_WINDOW_DAYS):
        return 0
    taken = line.returns.exclude(status=ReturnRequest.Status.REJECTED).aggregate(total=Sum("quantity"))["total"] or 0
    return line.quantity - taken


@transaction.atomic
def return_request_create(*, customer: User, line: OrderLine, quantity, reason: str) -> ReturnRequest:
    """Ask to return delivered units within the return window. ``OrderError`` if not allowed."""
    # Lock the line so two concurrent requests cannot both claim the same units.
    line = OrderLine.objects.select_for_update().select_related("order").get(pk=line.pk)
    if line.order.customer_id != customer.pk:
        raise OrderError("Unknown order line.")
    quantity = _positive_int(quantity, error=OrderError)
    if not (reason or "").strip():
        raise OrderError("Tell us why you are returning the item.")
    if line.status != OrderLine.Status.DELIVERED:
        raise OrderError("Only delivered items can be returned.")
    if timezone.now() > line.delivered_at + timedelta(days=RETURN_WINDOW_DAYS):
        raise OrderError(f"The {RETURN_WINDOW_DAYS}-day return window for this item has closed.")
    available = returnable_quantity(line=line)
    if quantity > available:
        raise OrderError(f"You can return at most {available} of this item.")
    return ReturnRequest.objects.create(order_line=line, customer=customer, quantity=quantity, reason=reason.strip())


def _return_notify(request: ReturnRequest, event: str) -> None:
    notify_template(
        channel=EMAIL,
        recipient=request.customer.email,
        template=f"return_{event}",
        context={"return_request": request, "product": request.order_line.product},
        idempotency_key=f"return-{event}:{request.pk}",
        store=request.order_line.order.store,
        related=request,
    )


def _return_transition(*, request: ReturnRequest, source: str, target: str, **fields) -> ReturnRequest:
    flipped = ReturnRequest.objects.filter(pk=request.pk, status=source).update(status=target, **fields)
    if not flipped:
        raise OrderError(f"Return #{request.pk} is {request.get_status_display().lower()}, not {source}.")
    request.refresh_from_db()
    return request


@transaction.atomic
def return_request_approve(*, request: ReturnRequest, actor: User, note: str = "") -> ReturnRequest:
    request = _return_transition(
        request=request,
        source=ReturnRequest.Status.REQUESTED,
        target=ReturnRequest.Status.APPROVED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    _return_notify(request, "approved")
    return request


@transaction.atomic
def return_request_reject(*, request: ReturnRequest, actor: User, note: str = "") -> ReturnRequest:
    request = _return_transition(
        request=request,
        source=ReturnRequest.Status.REQUESTED,
        target=ReturnRequest.Status.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_note=note,
    )
    _return_notify(request, "rejected")
    return request


@transaction.atomic
def return_request_receive(*, request: ReturnRequest, actor: User) -> ReturnRequest:
    """Approved -> received: the goods are back, restocked through the ledger once."""
    request = _return_transition(
        request=request,
        source=ReturnRequest.Status.APPROVED,
        target=ReturnRequest.Status.RECEIVED,
        received_at=timezone.now(),
    )
    line = request.order_line
    _stock_apply(
        product_id=line.product_id,
        delta=request.quantity,
        kind=StockMovement.Kind.RETURN,
        unit_cost=line.product.cost,
        reference=f"return:{request.pk}",
        actor=actor,
    )
    _return_notify(request, "received")
    return request


# --- Purchasing ---------------------------------------------------------------------


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
        _positive_int(line.quantity, error=PurchaseOrderError)
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
        _stock_apply(
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
    return PurchaseSpend.objects.filter(store=store, month=month).aggregate(total=Sum("amount"))["total"] or Decimal(0)


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


# --- Subscriptions and launches -------------------------------------------------------


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
            _back_in_stock_notify(product=product)
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


# --- Reviews ------------------------------------------------------------------------


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
