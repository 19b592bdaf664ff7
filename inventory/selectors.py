"""Reads for inventory, scoped to who asks, with the joins done once here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Avg, Count, F, Min, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.selectors import store_list_for_user, user_sees_all_stores

from . import search
from .models import (
    Address,
    Category,
    DemandForecast,
    Order,
    OrderLine,
    Product,
    ProductImage,
    PurchaseOrder,
    PurchaseOrderLine,
    ReturnRequest,
    Review,
    StockAlert,
    StockMovement,
    Supplier,
)

# Days from dispatch to the door; the storefront promises a range on top of this.
DELIVERY_DAYS = 2
NEW_ARRIVAL_DAYS = 30
SORTS = {
    "name": ("name", "pk"),
    "price": ("effective_price", "pk"),
    "-price": ("-effective_price", "pk"),
    "newest": ("-launch_date", "-pk"),
}


def product_list_for_storefront(
    *, category: Category | None = None, query: str = "", sort: str = "name", today: date | None = None
) -> QuerySet[Product]:
    """Active, launched products; ``effective_price`` is the sale price when there is one."""
    today = today or timezone.localdate()
    qs = (
        Product.objects.filter(is_active=True, launch_date__lte=today)
        .select_related("store", "category")
        # Every picture of the listed products in one query (cards show the first).
        .prefetch_related(Prefetch("images", queryset=ProductImage.objects.order_by("position", "pk")))
        .annotate(effective_price=Coalesce("sale_price", "price"))
    )
    if category is not None:
        qs = qs.filter(category=category)
    qs = search.filter_products(qs, query)
    return qs.order_by(*SORTS.get(sort, SORTS["name"]))


def new_arrivals(*, limit: int = 8) -> list[Product]:
    today = timezone.localdate()
    return list(
        product_list_for_storefront(sort="newest", today=today).filter(
            launch_date__gte=today - timedelta(days=NEW_ARRIVAL_DAYS)
        )[:limit]
    )


def deals(*, limit: int = 8) -> list[Product]:
    return list(product_list_for_storefront(sort="newest").filter(sale_price__isnull=False, on_hand__gt=0)[:limit])


def product_for_storefront(*, pk: int) -> Product:
    """One visible product with its rating summary (``avg_rating``, ``review_count``), or 404."""
    visible = Q(reviews__is_hidden=False)
    product = (
        product_list_for_storefront()
        .filter(pk=pk)
        .annotate(avg_rating=Avg("reviews__rating", filter=visible), review_count=Count("reviews", filter=visible))
        .first()
    )
    if product is None:
        raise Http404("No such product.")
    return product


def review_list_for_product(*, product: Product, limit: int = 20) -> list[Review]:
    return list(product.reviews.filter(is_hidden=False).select_related("customer")[:limit])


@dataclass(frozen=True)
class DeliveryEstimate:
    earliest: date
    latest: date
    from_purchase_order: bool = False


def delivery_estimate(*, product: Product, quantity: int = 1, today: date | None = None) -> DeliveryEstimate:
    """When an order placed today would arrive.

    In stock: dispatch within a day, DELIVERY_DAYS on the road. Otherwise: the earliest open
    purchase order's expected date if one brings enough, else the product's lead time.
    """
    today = today or timezone.localdate()
    if product.on_hand >= quantity:
        return DeliveryEstimate(today + timedelta(days=1), today + timedelta(days=1 + DELIVERY_DAYS))
    expected = (
        PurchaseOrderLine.objects.filter(
            product=product,
            purchase_order__status__in=[PurchaseOrder.Status.ORDERED, PurchaseOrder.Status.PARTIAL],
            purchase_order__expected_date__isnull=False,
        )
        .filter(quantity_received__lt=F("quantity_ordered"))
        .aggregate(first=Min("purchase_order__expected_date"))["first"]
    )
    if expected is not None:
        start = max(expected, today)
        return DeliveryEstimate(start + timedelta(days=1), start + timedelta(days=1 + DELIVERY_DAYS), True)
    start = today + timedelta(days=product.lead_time_days)
    return DeliveryEstimate(start + timedelta(days=1), start + timedelta(days=1 + DELIVERY_DAYS))


def stock_status(product: Product) -> tuple[str, str]:
    """(label, level) for the product page: in / low / out."""
    if product.on_hand <= 0:
        return "Out of stock", "out"
    if product.on_hand <= max(product.reorder_point, 5):
        return f"Only {product.on_hand} left", "low"
    return "In stock", "in"


# --- Customers ----------------------------------------------------------------------


def order_list_for_customer(user: User) -> QuerySet[Order]:
    """The customer's own orders, newest first (also the tickets app's "link an order" choice)."""
    lines = OrderLine.objects.select_related("product")
    return (
        Order.objects.filter(customer=user).select_related("store").prefetch_related(Prefetch("lines", queryset=lines))
    )


def order_recent_for_customer(user: User, *, limit: int = 5) -> list[Order]:
    """The customer's latest orders with their lines and products, for an agent looking at their
    ticket (two queries). Only for an agent who may see the customer's ticket (the caller checks)."""
    return list(order_list_for_customer(user=user).order_by("-created_at", "-pk")[:limit])


def order_for_customer(*, user: User, pk: int) -> Order:
    """The customer's own order; anybody else's id answers 404."""
    order = order_list_for_customer(user=user).filter(pk=pk).first()
    if order is None:
        raise Http404("No such order.")
    return order


def order_line_for_customer(*, user: User, pk: int) -> OrderLine:
    line = OrderLine.objects.filter(pk=pk, order__customer=user).select_related("order__store", "product").first()
    if line is None:
        raise Http404("No such order line.")
    return line


def address_list_for_customer(*, user: User) -> QuerySet[Address]:
    """The customer's saved addresses, the default first."""
    return Address.objects.filter(customer=user)


def address_for_customer(*, user: User, pk: int) -> Address:
    """One of the customer's own addresses; anybody else's id answers 404."""
    address = address_list_for_customer(user=user).filter(pk=pk).first()
    if address is None:
        raise Http404("No such address.")
    return address


def return_list_for_customer(*, user: User) -> QuerySet[ReturnRequest]:
    return ReturnRequest.objects.filter(customer=user).select_related("order_line__product", "order_line__order")


# --- Retailers ----------------------------------------------------------------------


def _scoped(qs: QuerySet, user: User, path: str) -> QuerySet:
    if user_sees_all_stores(user):
        return qs
    return qs.filter(**{f"{path}__in": store_list_for_user(user)})


def product_list_for_store_user(*, user: User) -> QuerySet[Product]:
    return _scoped(
        Product.objects.select_related("store", "category", "supplier").prefetch_related("images"), user, "store"
    )


def stock_movement_list_for_store_user(*, user: User) -> QuerySet[StockMovement]:
    return _scoped(StockMovement.objects.select_related("product", "actor"), user, "product__store")


def purchase_order_list_for_store_user(*, user: User) -> QuerySet[PurchaseOrder]:
    return _scoped(
        PurchaseOrder.objects.select_related("store", "supplier").prefetch_related("lines__product"), user, "store"
    )


def stock_alert_list_for_store_user(*, user: User) -> QuerySet[StockAlert]:
    return _scoped(StockAlert.objects.select_related("product__store"), user, "product__store")


def supplier_list_for_store_user(*, user: User) -> QuerySet[Supplier]:
    return _scoped(Supplier.objects.select_related("store"), user, "store")


def demand_forecast_list_for_store_user(*, user: User) -> QuerySet[DemandForecast]:
    return _scoped(DemandForecast.objects.select_related("product__supplier"), user, "product__store")
