"""The staff endpoints (scoped exactly as the admin), ``updated_since``, ETag, rate-limit headers and
error codes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts.tests.factories import CustomerFactory
from chatbot.models import ChatMessage
from inventory import services, services_forecast
from inventory.models import Order, Product, StockMovement
from inventory.tests.factories import CategoryFactory, ProductFactory, SupplierFactory, place_order, with_stock
from inventory.tests.forecast_helpers import AS_OF, load_sales
from tickets import services as ticket_services
from tickets.tests.factories import QueueFactory, sla_policies


def _api(user=None) -> APIClient:
    api = APIClient()
    if user is not None:
        api.force_authenticate(user)
    return api


@pytest.fixture
def theirs(other_store):
    """Another store's product (with a forecast that suggests reordering) and supplier."""
    product = load_sales(ProductFactory(store=other_store, reorder_point=50), [5, 6, 5, 7, 6, 5, 6], on_hand=3)
    services_forecast.demand_forecast_run(store=other_store, as_of=AS_OF)
    return {"product": product, "supplier": SupplierFactory(store=other_store), "forecast": product.demand_forecast}


def test_another_stores_ids_answer_404_on_every_staff_endpoint(retailer, theirs, other_store):
    api, product = _api(retailer), theirs["product"]
    before = (Product.objects.get(pk=product.pk).on_hand, StockMovement.objects.count())

    for url in (
        f"/api/v1/store-products/{product.pk}/",
        f"/api/v1/stock-levels/{product.pk}/",
        f"/api/v1/suppliers/{theirs['supplier'].pk}/",
        f"/api/v1/forecasts/{theirs['forecast'].pk}/",
        f"/api/v1/reorder-suggestions/{theirs['forecast'].pk}/",
        f"/api/v1/stores/{other_store.pk}/",
    ):
        assert api.get(url).status_code == 404, url
    assert api.patch(f"/api/v1/store-products/{product.pk}/", {"name": "Mine"}, format="json").status_code == 404
    assert api.post(f"/api/v1/store-products/{product.pk}/deactivate/").status_code == 404
    adjust = api.post(
        f"/api/v1/store-products/{product.pk}/stock-adjustments/", {"quantity": 5, "reason": "x"}, format="json"
    )
    assert adjust.status_code == 404
    # Lists hold none of it
    for url in ("/api/v1/store-products/", "/api/v1/suppliers/", "/api/v1/forecasts/", "/api/v1/reorder-suggestions/"):
        assert api.get(url).json()["count"] == 0, url
    assert (Product.objects.get(pk=product.pk).on_hand, StockMovement.objects.count()) == before
    assert Product.objects.get(pk=product.pk).name != "Mine"


def test_a_product_cannot_be_created_in_another_store_or_with_its_supplier(retailer, store, other_store, theirs):
    api, category = _api(retailer), CategoryFactory()
    body = {"sku": "N-1", "name": "New", "category": category.pk, "price": "5.00"}

    elsewhere = api.post("/api/v1/store-products/", {**body, "store": other_store.pk}, format="json")
    their_supplier = api.post(
        "/api/v1/store-products/", {**body, "store": store.pk, "supplier": theirs["supplier"].pk}, format="json"
    )

    assert (elsewhere.status_code, elsewhere.json()["detail"]) == (400, "Unknown store.")
    assert (their_supplier.status_code, their_supplier.json()["detail"]) == (400, "Unknown supplier.")
    assert not Product.objects.filter(sku="N-1").exists()


def test_customers_cannot_use_staff_endpoints(customer, theirs):
    api = _api(customer)
    for url in ("/api/v1/store-products/", "/api/v1/suppliers/", "/api/v1/forecasts/", "/api/v1/reorder-suggestions/"):
        assert api.get(url).status_code == 403, url
    assert api.post("/api/v1/store-products/", {}, format="json").status_code == 403


def test_products_are_created_updated_and_deactivated_through_the_service(retailer, store):
    api, category = _api(retailer), CategoryFactory()
    supplier = SupplierFactory(store=store)
    created = api.post(
        "/api/v1/store-products/",
        {"store": store.pk, "sku": "LAMP", "name": "Floor Lamp", "category": category.pk, "supplier": supplier.pk,
         "price": "30.00", "image_url": "https://img.example.com/lamp.jpg"},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created["Location"] == f"http://testserver/api/v1/store-products/{pk}/"

    duplicate = api.post(
        "/api/v1/store-products/",
        {"store": store.pk, "sku": "LAMP", "name": "Other", "category": category.pk, "price": "3.00"},
        format="json",
    )
    sale_above = api.patch(f"/api/v1/store-products/{pk}/", {"sale_price": "31.00"}, format="json")
    changed = api.patch(f"/api/v1/store-products/{pk}/", {"sale_price": "25.00"}, format="json")
    gone = api.post(f"/api/v1/store-products/{pk}/deactivate/")

    assert duplicate.status_code == 400
    assert "SKU" in duplicate.json()["detail"]
    assert sale_above.status_code == 400
    assert (changed.status_code, changed.json()["sale_price"]) == (200, "25.00")
    assert (gone.status_code, gone.json()["is_active"]) == (200, False)
    product = Product.objects.get(pk=pk)
    assert (product.slug, product.sale_price, product.is_active, product.on_hand) == (
        "floor-lamp",
        Decimal("25.00"),
        False,
        0,
    )
    assert Product.objects.filter(store=store).count() == 1


def test_stock_adjustments_need_a_reason_and_cannot_go_below_zero(retailer, store):
    product = with_stock(ProductFactory(store=store), 3)
    api, url = _api(retailer), f"/api/v1/store-products/{product.pk}/stock-adjustments/"

    no_reason = api.post(url, {"quantity": -1, "reason": "  "}, format="json")
    too_many = api.post(url, {"quantity": -4, "reason": "Broken"}, format="json")

    assert (no_reason.status_code, no_reason.json()["code"], list(no_reason.json()["errors"])) == (
        400,
        "invalid",
        ["reason"],
    )
    assert too_many.json() == {"detail": "Cannot remove 4: only 3 in stock.", "code": "out_of_stock"}
    assert Product.objects.get(pk=product.pk).on_hand == 3
    assert StockMovement.objects.filter(product=product, kind="adjustment").count() == 0


def test_order_errors_carry_a_machine_readable_code(customer, store):
    product = with_stock(ProductFactory(store=store, price=Decimal("4.00")), 1)
    api = _api(customer)
    body = {"delivery_name": "A", "delivery_address": "B", "delivery_postcode": "C", "delivery_city": "D",
            "payment_method": "cod"}  # fmt: skip

    stale = api.post("/api/v1/orders/", {**body, "items": [{"product": product.pk, "quantity": 1, "unit_price": "3.00"}]}, format="json")  # fmt: skip
    short = api.post("/api/v1/orders/", {**body, "items": [{"product": product.pk, "quantity": 2, "unit_price": "4.00"}]}, format="json")  # fmt: skip
    unknown = api.get("/api/v1/orders/999999/")
    anonymous = _api().get("/api/v1/orders/")

    assert [r.json()["code"] for r in (stale, short, unknown, anonymous)] == [
        "price_changed",
        "out_of_stock",
        "not_found",
        "not_authenticated",
    ]
    assert (anonymous.status_code, anonymous["WWW-Authenticate"]) == (401, "Token")
    assert not Order.objects.exists()


def test_updated_since_finds_what_changed(customer, retailer, store):
    sla_policies()
    queue = QueueFactory()
    untouched, sold, moved, edited = (with_stock(ProductFactory(store=store), 5) for _ in range(4))
    old_order, cancelled = place_order(customer, (sold, 1)), place_order(customer, (sold, 1))
    old_ticket = ticket_services.ticket_create(requester=customer, queue=queue, subject="Old", description="x")
    past = timezone.now() - timedelta(days=3)
    Product.objects.update(updated_at=past)
    Order.objects.update(created_at=past)
    type(old_ticket).objects.update(updated_at=past, created_at=past)
    StockMovement.objects.update(created_at=past)
    since = (timezone.now() - timedelta(hours=1)).isoformat()

    services.stock_adjust(product=moved, quantity=2, reason="Found", actor=retailer)
    Product.objects.filter(pk=edited.pk).update(updated_at=timezone.now())
    services.order_cancel(order=cancelled, actor=customer)
    new_ticket = ticket_services.ticket_create(requester=customer, queue=queue, subject="New", description="y")

    def ids(api, url):
        return sorted(row["id"] for row in api.get(url, {"updated_since": since}).json()["results"])

    staff, mine = _api(retailer), _api(customer)
    # sold: the cancellation put its stock back
    assert ids(staff, "/api/v1/stock-levels/") == sorted([sold.pk, moved.pk, edited.pk])
    assert ids(staff, "/api/v1/store-products/") == sorted([sold.pk, moved.pk, edited.pk])
    assert untouched.pk not in ids(staff, "/api/v1/stock-levels/")
    assert ids(mine, "/api/v1/orders/") == [cancelled.pk]
    assert ids(mine, "/api/v1/tickets/") == [new_ticket.pk]
    assert old_order.pk not in ids(mine, "/api/v1/orders/")


def test_product_and_order_detail_answer_304_to_a_current_etag(customer, store):
    product = with_stock(ProductFactory(store=store), 5)
    order = place_order(customer, (product, 1))
    api = _api(customer)

    for url in (f"/api/v1/products/{product.pk}/", f"/api/v1/orders/{order.pk}/"):
        first = api.get(url)
        etag = first["ETag"]
        again = api.get(url, HTTP_IF_NONE_MATCH=etag)
        assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
        assert "Authorization" in first["Vary"]

    Product.objects.filter(pk=product.pk).update(price=Decimal("11.00"))
    product_etag = api.get(f"/api/v1/products/{product.pk}/")["ETag"]
    changed = api.get(f"/api/v1/products/{product.pk}/", HTTP_IF_NONE_MATCH=product_etag)
    assert changed.status_code == 304
    services.stock_adjust(product=product, quantity=-4, reason="Broken", actor=None)
    Product.objects.filter(pk=product.pk).update(price=Decimal("11.00"))
    after = api.get(f"/api/v1/products/{product.pk}/", HTTP_IF_NONE_MATCH=product_etag)
    assert (after.status_code, after.json()["price"]) == (200, "11.00")
    assert after["ETag"] != product_etag


def test_answers_carry_rate_limit_headers(customer, monkeypatch):
    # DRF reads the rates into the throttle class when it is imported; the test's rate goes there.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "60/min", "user": "5/min"})
    api = _api(customer)

    answers = [api.get("/api/v1/me/") for _ in range(6)]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["4", "3", "2", "1", "0", "0"]
    assert {a["RateLimit-Limit"] for a in answers} == {"5"}
    assert 0 < int(answers[0]["RateLimit-Reset"]) <= 61
    assert int(answers[-1]["Retry-After"]) > 0


def test_store_product_list_takes_the_same_queries_for_more_products(retailer, store, django_assert_num_queries):
    api = _api(retailer)
    for _ in range(2):
        ProductFactory(store=store)
    api.get("/api/v1/store-products/")  # the caller's roles, read once per user object
    # The page's count, the products with store, category and supplier joined (the caller's
    # stores are a subquery of both) and their images prefetched: three, for 2 products or 12.
    with django_assert_num_queries(3):
        api.get("/api/v1/store-products/")
    for _ in range(10):
        ProductFactory(store=store, supplier=SupplierFactory(store=store))
    with django_assert_num_queries(3):
        assert api.get("/api/v1/store-products/").json()["count"] == 12


def test_queues_list_only_active_ones(customer):
    active, closed = QueueFactory(name="Open"), QueueFactory(name="Closed", is_active=False)
    api = _api(customer)

    assert [q["id"] for q in api.get("/api/v1/queues/").json()["results"]] == [active.pk]
    assert api.get(f"/api/v1/queues/{closed.pk}/").status_code == 404


def test_chat_feedback_takes_the_id_the_transcript_gives_and_only_for_ones_own(customer, help_centre):
    owner, stranger = _api(customer), _api(CustomerFactory())
    conversation = owner.post("/api/v1/chat/conversations/").json()
    transcript = owner.post(
        f"/api/v1/chat/conversations/{conversation['id']}/messages/", {"text": "How much is shipping?"}, format="json"
    ).json()
    answer = [entry for entry in transcript["messages"] if entry["rateable"]][-1]

    refused = stranger.post(f"/api/v1/chat/messages/{answer['id']}/feedback/", {"value": "down"}, format="json")
    rated = owner.post(f"/api/v1/chat/messages/{answer['id']}/feedback/", {"value": "up"}, format="json")

    assert (refused.status_code, rated.status_code) == (404, 200)
    assert rated.json() == {"id": answer["id"], "feedback": "up"}
    assert ChatMessage.objects.get(pk=int(answer["id"].removeprefix("m"))).feedback == "up"
