"""Orders: placing one (stock taken through the ledger), cancelling it, shipping and delivering lines."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.services import notify_template

from .. import webhook_events
from ..models import Order, OrderLine, Product, StockMovement
from .common import EMAIL, Buyer, OrderError, StockError, positive_int
from .discounts import DiscountOffer, discount_code_for_lines, discount_code_use
from .guests import order_page_path
from .ledger import on_hand_change, stock_level_changed, stock_move
from .pricing import delivery_terms_of, quote, tax_terms_of

logger = logging.getLogger(__name__)

# The most of one product an order may hold: the cart, the order form and the API all stop here.
MAX_LINE_QUANTITY = 99


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
    customer: User | None = None,
    guest_email: str = "",
    items: Iterable[CartItem],
    delivery: DeliveryDetails,
    payment_method: str,
    discount_code: str = "",
) -> Order:
    """Place one order for one store's products, all or nothing.

    The buyer is ``customer`` or, for a guest checkout, ``guest_email`` (exactly one, see
    ``Buyer.of``); a guest's confirmation email carries the signed link to the order's page.

    Guarantees: every line is charged at the price the customer saw (a changed price fails
    the order with a message); the delivery fee follows the store's rules (``pricing.quote``,
    the same figures the cart showed); a discount code is checked, and its use counted
    atomically (``discounts.discount_code_use``: a last use goes to one order only), and
    ``DiscountError`` says why a code does not apply; stock is taken with conditional updates in product-id order
    (no deadlocks between two carts), so if any line cannot be filled the whole transaction
    rolls back, nothing is sold and ``OrderError`` names the line. Sends the confirmation
    email through the outbox after commit. Not idempotent: each call is a new order.
    """
    buyer = Buyer.of(customer=customer, guest_email=guest_email)
    items = list(items)
    if not items:
        raise OrderError("Your cart is empty.")
    if payment_method not in Order.PaymentMethod.values:
        raise OrderError("Choose cash on delivery or pay at pickup.")
    quantities: dict[int, CartItem] = {}
    for item in items:
        if positive_int(item.quantity, error=OrderError) > MAX_LINE_QUANTITY:
            raise OrderError(f"At most {MAX_LINE_QUANTITY} of one product per order.")
        if item.product_id in quantities:
            raise OrderError("A product appears twice in the order.")
        quantities[item.product_id] = item
    products = {
        product.pk: product
        for product in Product.objects.select_related("store__shipping", "store__tax").filter(
            pk__in=list(quantities), is_active=True, launch_date__lte=timezone.localdate()
        )
    }
    if len(products) != len(quantities):
        raise OrderError("A product in your cart is no longer available.", code="product_unavailable")
    if len({p.store_id for p in products.values()}) != 1:
        raise OrderError("An order holds products of one store only.")
    for pk, item in quantities.items():
        product = products[pk]
        if product.current_price != Decimal(item.unit_price):
            raise OrderError(
                f"The price of {product.name} changed to {product.current_price}; please review your cart.",
                code="price_changed",
            )
    store = next(iter(products.values())).store
    lines = [(products[pk], item.quantity, products[pk].current_price) for pk, item in sorted(quantities.items())]
    code = discount_code_for_lines(store_id=store.pk, code=discount_code, buyer=buyer, lines=lines)
    priced = quote(
        lines=lines,
        delivery=delivery_terms_of(store),
        pickup=payment_method == Order.PaymentMethod.PAY_AT_PICKUP,
        tax=tax_terms_of(store),
        discount=DiscountOffer(code) if code else None,
    )
    order = Order.objects.create(
        store=store,
        customer=buyer.customer,
        guest_email=buyer.email if buyer.is_guest else "",
        payment_method=payment_method,
        delivery_name=delivery.name,
        delivery_address=delivery.address,
        delivery_postcode=delivery.postcode,
        delivery_city=delivery.city,
        delivery_phone=delivery.phone,
        subtotal=priced.subtotal,
        tax_total=priced.tax,
        discount_total=priced.discount,
        discount_code=code,
        prices_include_tax=priced.prices_include_tax,
        shipping_total=priced.shipping,
        total=priced.total,
    )
    if code is not None:
        discount_code_use(code=code, order=order)
    # Stock is taken line by line in product-id order (no deadlocks between two carts).
    for pk in sorted(quantities):
        try:
            on_hand_change(product_id=pk, delta=-quantities[pk].quantity)
        except StockError:
            left = Product.objects.get(pk=pk).on_hand
            raise OrderError(
                f"Only {left} of {products[pk].name} left; you asked for {quantities[pk].quantity}. Nothing was ordered.",
                code="out_of_stock",
            ) from None
    StockMovement.objects.bulk_create(
        StockMovement(
            product=products[pk],
            kind=StockMovement.Kind.SALE,
            quantity=-item.quantity,
            unit_cost=products[pk].cost,
            reference=f"order:{order.pk}",
            actor=customer,
        )
        for pk, item in sorted(quantities.items())
    )
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            tax=line.tax,
            discount=line.discount,
        )
        for line in priced.lines
    )
    # The levels our updates produced (we hold the rows' locks until commit).
    for pk, on_hand in Product.objects.filter(pk__in=list(quantities)).values_list("pk", "on_hand"):
        product = products[pk]
        product.on_hand = on_hand
        stock_level_changed(product=product, before=on_hand + quantities[pk].quantity)
    notify_template(
        channel=EMAIL,
        recipient=buyer.email,
        template="order_confirmed",
        context={"order": order, "lines": lines, "order_path": order_page_path(order)},
        idempotency_key=f"order-confirmed:{order.pk}",
        store=store,
        related=order,
    )
    webhook_events.order_placed(order)
    logger.info(
        "Order %s placed by %s for %s item(s)", order.pk, customer.pk if customer else "a guest", len(quantities)
    )
    return order


@transaction.atomic
def order_cancel(*, order: Order, actor: User | None) -> Order:
    """Cancel an order no line of which has shipped, putting every unit back through the ledger.

    Safe against a double click: the status flip is a conditional update, so only one call
    restocks; a second raises ``OrderError``.
    """
    # Lock the order row first (the same order as the shipping services) so a line cannot
    # ship while we cancel; SQLite's write transaction serialises the same way.
    locked = Order.objects.select_for_update().filter(pk=order.pk).first()
    if locked is None or locked.status == Order.Status.CANCELLED:
        raise OrderError("This order is already cancelled.", code="already_cancelled")
    if order.lines.exclude(status=OrderLine.Status.PENDING).exists():
        raise OrderError("This order has already shipped and can no longer be cancelled.", code="already_shipped")
    now = timezone.now()
    flipped = Order.objects.filter(pk=order.pk, status=Order.Status.PLACED).update(
        status=Order.Status.CANCELLED, cancelled_at=now
    )
    if not flipped:
        raise OrderError("This order is already cancelled.", code="already_cancelled")
    for line in order.lines.select_related("product").order_by("product_id"):
        stock_move(
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
        recipient=order.buyer_email,
        template="order_cancelled",
        context={"order": order, "order_path": order_page_path(order)},
        idempotency_key=f"order-cancelled:{order.pk}",
        store=order.store,
        related=order,
    )
    webhook_events.order_cancelled(order)
    return order


@transaction.atomic
def order_line_mark_shipped(*, line: OrderLine) -> bool:
    """Pending -> shipped. Returns False (and changes nothing) for any other state."""
    order = (
        Order.objects.select_for_update().filter(pk=line.order_id).first()
    )  # the order's lock, as cancelling takes it
    shipped = bool(
        OrderLine.objects.filter(pk=line.pk, status=OrderLine.Status.PENDING, order__status=Order.Status.PLACED).update(
            status=OrderLine.Status.SHIPPED, shipped_at=timezone.now()
        )
    )
    if shipped:
        webhook_events.order_line_shipped(line, store_id=order.store_id)
    return shipped


@transaction.atomic
def order_line_mark_delivered(*, line: OrderLine) -> bool:
    """Pending or shipped -> delivered (starts the return window)."""
    Order.objects.select_for_update().filter(pk=line.order_id).first()
    now = timezone.now()
    return bool(
        OrderLine.objects.filter(
            pk=line.pk,
            status__in=[OrderLine.Status.PENDING, OrderLine.Status.SHIPPED],
            order__status=Order.Status.PLACED,
        ).update(status=OrderLine.Status.DELIVERED, delivered_at=now, shipped_at=Coalesce(F("shipped_at"), Value(now)))
    )
