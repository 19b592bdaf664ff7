"""Inventory API: public catalogue, store staff endpoints, customer orders and returns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory
from inventory import services
from inventory.models import Order, Product, PurchaseOrder, ReturnRequest, StockAlert, StockMovement

from .factories import (
    CategoryFactory,
    ProductFactory,
    PurchaseOrderLineFactory,
    SupplierFactory,
    place_order,
    with_stock,
)

pytestmark = pytest.mark.django_db

ORDER = {
    "delivery_name": "Casey",
    "delivery_address": "1 Main Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "pickup",
}


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_products_are_public_filtered_and_paginated(store, django_assert_max_num_queries):
    tools = CategoryFactory(slug="tools")
    for i in range(30):
        ProductFactory(store=store, category=tools, name=f"Drill {i:02d}")
    ProductFactory(store=store, name="Rake")

    with django_assert_max_num_queries(3):
        response = api().get("/api/v1/products/", {"category": "tools", "ordering": "-name"})

    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 30
    assert len(body["results"]) == 25
    assert body["results"][0]["name"] == "Drill 29"
    assert "on_hand" not in body["results"][0]
    assert api().get("/api/v1/products/", {"search": "rake"}).json()["count"] == 1


def test_categories_are_public(db):
    CategoryFactory(slug="garden")
    assert api().get("/api/v1/categories/").json()["results"][0]["slug"] == "garden"


def test_store_endpoints_need_store_staff(customer):
    assert api().get("/api/v1/stock-levels/").status_code in (401, 403)
    assert api(customer).get("/api/v1/stock-levels/").status_code == 403


@pytest.mark.parametrize(
    ("endpoint", "key"),
    [("stock-levels", "product"), ("purchase-orders", "purchaseorder"), ("stock-alerts", "stockalert")],
)
def test_retailer_gets_404_for_another_stores_rows(retailer, other_store, endpoint, key):
    product = with_stock(ProductFactory(store=other_store, reorder_point=5), 1)
    po = PurchaseOrderLineFactory(purchase_order__store=other_store, product=product).purchase_order
    rows = {"product": product, "purchaseorder": po, "stockalert": StockAlert.objects.get()}

    response = api(retailer).get(f"/api/v1/{endpoint}/{rows[key].pk}/")

    assert response.status_code == 404
    assert api(retailer).get(f"/api/v1/{endpoint}/").json()["count"] == 0


def test_stock_levels_and_movements_for_own_store(retailer, store, django_assert_max_num_queries):
    for _ in range(5):
        with_stock(ProductFactory(store=store, reorder_point=3), 2)

    with django_assert_max_num_queries(8):
        levels = api(retailer).get("/api/v1/stock-levels/", {"on_hand__lte": 2}).json()
    movements = api(retailer).get("/api/v1/stock-movements/", {"kind": "receipt"}).json()

    assert levels["count"] == 5
    assert levels["results"][0]["low"] is True
    assert movements["count"] == 5


def test_purchase_order_lifecycle_over_the_api(retailer, store):
    supplier = SupplierFactory(store=store)
    product = ProductFactory(store=store)
    client = api(retailer)

    created = client.post(
        "/api/v1/purchase-orders/",
        {
            "supplier": supplier.pk,
            "lines": [{"product": product.pk, "quantity_ordered": 8, "unit_cost": "3.00"}],
            "status": "received",
            "store": 999,
        },
        format="json",
    )
    po_id = created.json()["id"]
    line_id = created.json()["lines"][0]["id"]
    assert created.json()["status"] == "draft"
    client.post(f"/api/v1/purchase-orders/{po_id}/order/", {"expected_date": str(timezone.localdate())}, format="json")
    partial = client.post(
        f"/api/v1/purchase-orders/{po_id}/receive/", {"lines": [{"line": line_id, "quantity": 3}]}, format="json"
    )
    too_many = client.post(
        f"/api/v1/purchase-orders/{po_id}/receive/", {"lines": [{"line": line_id, "quantity": 9}]}, format="json"
    )

    assert partial.json()["status"] == "partial"
    assert too_many.status_code == 400
    assert "between 1 and 5" in too_many.json()["detail"]
    assert Product.objects.get(pk=product.pk).on_hand == 3


def test_purchase_order_with_another_stores_product_or_supplier_is_refused(retailer, store, other_store):
    mine = SupplierFactory(store=store)
    theirs = SupplierFactory(store=other_store)
    foreign = ProductFactory(store=other_store)
    client = api(retailer)

    bad_supplier = client.post(
        "/api/v1/purchase-orders/",
        {"supplier": theirs.pk, "lines": [{"product": foreign.pk, "quantity_ordered": 1, "unit_cost": "1"}]},
        format="json",
    )
    bad_product = client.post(
        "/api/v1/purchase-orders/",
        {"supplier": mine.pk, "lines": [{"product": foreign.pk, "quantity_ordered": 1, "unit_cost": "1"}]},
        format="json",
    )
    bad_quantity = client.post(
        "/api/v1/purchase-orders/",
        {"supplier": mine.pk, "lines": [{"product": foreign.pk, "quantity_ordered": 0, "unit_cost": "1"}]},
        format="json",
    )

    assert (bad_supplier.status_code, bad_product.status_code, bad_quantity.status_code) == (400, 400, 400)
    assert "Unknown product" in bad_product.json()["detail"]
    assert "detail" in bad_quantity.json()
    assert not PurchaseOrder.objects.exists()


def test_customer_places_order_and_status_and_price_are_not_assignable(customer, store):
    product = with_stock(ProductFactory(store=store, price=Decimal("9.99")), 5)

    response = api(customer).post(
        "/api/v1/orders/",
        {
            **ORDER,
            "items": [{"product": product.pk, "quantity": 2, "unit_price": "9.99"}],
            "status": "cancelled",
            "total": "0.01",
            "store": 123,
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["total"], body["payment_method"]) == ("placed", "19.98", "pickup")


@pytest.mark.parametrize("n_lines", [1, 3])
def test_placing_an_order_takes_a_fixed_number_of_queries_per_line(customer, store, django_assert_num_queries, n_lines):
    """A fixed number of queries per order, plus two per line (its conditional stock UPDATE and the
    low-stock alert's state): no query grows with anything else."""
    products = [with_stock(ProductFactory(store=store, price=Decimal("4.00")), 10) for _ in range(n_lines)]
    items = [{"product": p.pk, "quantity": 2, "unit_price": "4.00"} for p in products]

    ContentType.objects.get_for_model(Order)  # cached per process in production

    # Per order: SAVEPOINT/RELEASE around it (inside the test's transaction), the products, the
    # order, the ledger rows and lines (one INSERT each), the new stock levels, the outbox row
    # (get_or_create: a read, then the INSERT in a savepoint), the store's tax rates, the order
    # read back for the answer (order, lines) and the store's webhook endpoints (none here, so no
    # delivery rows). Per line: the conditional UPDATE of stock and the alert's state.
    with django_assert_num_queries(15 + 2 * n_lines):
        response = api(customer).post("/api/v1/orders/", {**ORDER, "items": items}, format="json")

    assert response.status_code == 201
    order = Order.objects.get()
    body = response.json()
    assert body["number"] == order.number
    assert [(line["product"], line["sku"], line["quantity"], line["unit_price"]) for line in body["lines"]] == [
        (line.product_id, line.product.sku, 2, "4.00") for line in order.lines.select_related("product")
    ]
    assert [line["id"] for line in body["lines"]] == list(order.lines.values_list("pk", flat=True))
    assert [Product.objects.get(pk=p.pk).on_hand for p in products] == [8] * n_lines
    sales = StockMovement.objects.filter(kind=StockMovement.Kind.SALE, reference=f"order:{order.pk}")
    assert sorted(sales.values_list("product_id", "quantity")) == sorted((p.pk, -2) for p in products)
    assert services.stock_mismatches() == []


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"quantity": 1, "unit_price": "0.01"}, "price of"),
        ({"quantity": 0, "unit_price": "9.99"}, "Invalid input"),
        ({"quantity": -1, "unit_price": "9.99"}, "Invalid input"),
        ({"quantity": 6, "unit_price": "9.99"}, "Only 5"),
    ],
)
def test_bad_orders_get_400_with_detail_and_change_nothing(customer, store, item, message):
    product = with_stock(ProductFactory(store=store, price=Decimal("9.99")), 5)

    response = api(customer).post(
        "/api/v1/orders/", {**ORDER, "items": [{"product": product.pk, **item}]}, format="json"
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert not Order.objects.exists()
    assert Product.objects.get(pk=product.pk).on_hand == 5
    assert StockMovement.objects.count() == 1


def test_unknown_product_in_order(customer):
    response = api(customer).post(
        "/api/v1/orders/", {**ORDER, "items": [{"product": 999999, "quantity": 1, "unit_price": "1"}]}, format="json"
    )
    assert response.status_code == 400
    assert "no longer available" in response.json()["detail"]


def test_customer_gets_404_for_another_customers_order_and_line(customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    theirs = place_order(CustomerFactory(), (product, 1))
    line = theirs.lines.get()
    services.order_line_mark_delivered(line=line)
    client = api(customer)

    assert client.get(f"/api/v1/orders/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/orders/{theirs.pk}/cancel/").status_code == 404
    returned = client.post("/api/v1/returns/", {"order_line": line.pk, "quantity": 1, "reason": "x"}, format="json")
    assert returned.status_code == 404
    assert client.get("/api/v1/orders/").json()["count"] == 0
    assert not ReturnRequest.objects.exists()


def test_orders_list_query_count(customer, store, django_assert_max_num_queries):
    product = with_stock(ProductFactory(store=store), 50)
    for _ in range(5):
        place_order(customer, (product, 1))

    with django_assert_max_num_queries(5):
        response = api(customer).get("/api/v1/orders/")

    assert response.json()["count"] == 5


def test_cancel_and_return_over_the_api(customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    client = api(customer)
    to_cancel = place_order(customer, (product, 1))
    delivered = place_order(customer, (product, 2))
    line = delivered.lines.get()
    services.order_line_mark_delivered(line=line)

    cancelled = client.post(f"/api/v1/orders/{to_cancel.pk}/cancel/")
    too_many = client.post("/api/v1/returns/", {"order_line": line.pk, "quantity": 3, "reason": "x"}, format="json")
    ok = client.post("/api/v1/returns/", {"order_line": line.pk, "quantity": 2, "reason": "x"}, format="json")

    assert cancelled.json()["status"] == "cancelled"
    assert too_many.status_code == 400
    assert "at most 2" in too_many.json()["detail"]
    assert ok.status_code == 201
    assert client.get("/api/v1/returns/").json()["count"] == 1


def test_schema_lists_inventory_endpoints(client):
    response = client.get("/api/schema/")
    content = response.content.decode()
    for path in ["/api/v1/products/", "/api/v1/purchase-orders/{id}/receive/", "/api/v1/orders/{id}/cancel/"]:
        assert path in content


def test_bad_order_input_answers_400_with_detail(customer):
    response = api(customer).post("/api/v1/orders/", {**ORDER, "items": []}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Order.objects.exists()
