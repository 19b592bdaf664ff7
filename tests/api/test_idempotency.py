"""``Idempotency-Key`` (accounts.idempotency) on the API's creating POSTs."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.idempotency import idempotency_keys_purge
from accounts.models import IdempotencyKey
from accounts.tests.factories import CustomerFactory, retailer_of
from inventory.models import Order, Product, PurchaseOrder, ReturnRequest, StockMovement
from inventory.tests.factories import ProductFactory, SupplierFactory, place_order, with_stock
from tickets.models import Message, Ticket
from tickets.tests.factories import QueueFactory, sla_policies


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _order_body(product, quantity=1, price=None):
    return {
        "items": [{"product": product.pk, "quantity": quantity, "unit_price": str(price or product.current_price)}],
        "delivery_name": "Ann",
        "delivery_address": "1 High Street",
        "delivery_postcode": "1234 AB",
        "delivery_city": "Utrecht",
        "payment_method": "cod",
    }


@pytest.fixture
def lamp(store):
    return with_stock(ProductFactory(store=store), 10)


def test_the_same_key_and_body_replays_the_first_order(customer, lamp):
    api = _api(customer)
    first = api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    again = api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Location"] == first["Location"] == f"http://testserver/api/v1/orders/{first.json()['id']}/"
    assert (again["Idempotent-Replayed"], first.has_header("Idempotent-Replayed")) == ("true", False)
    assert Order.objects.filter(customer=customer).count() == 1
    assert Product.objects.get(pk=lamp.pk).on_hand == 9


def test_the_same_key_with_another_body_is_a_422_and_changes_nothing(customer, lamp):
    api = _api(customer)
    api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    response = api.post("/api/v1/orders/", _order_body(lamp, quantity=3), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 422
    assert response.json() == {
        "detail": "This Idempotency-Key was already used with a different request.",
        "code": "idempotency_key_reused",
    }
    assert Order.objects.filter(customer=customer).count() == 1
    assert Product.objects.get(pk=lamp.pk).on_hand == 9


def test_a_failed_request_leaves_its_key_free_for_the_corrected_one(customer, lamp):
    api = _api(customer)
    refused = api.post("/api/v1/orders/", _order_body(lamp, price="1.00"), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()

    placed = api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    assert placed.status_code == 201
    assert Order.objects.filter(customer=customer).count() == 1


def test_keys_belong_to_one_user(customer, lamp):
    other = CustomerFactory()
    _api(customer).post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="same")

    theirs = _api(other).post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert theirs.status_code == 201
    assert Order.objects.get(customer=other).pk == theirs.json()["id"]


def test_an_oversized_key_is_refused(customer, lamp):
    response = _api(customer).post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="x" * 256)

    assert response.status_code == 400
    assert response.json()["detail"] == "Idempotency-Key must be 1 to 255 characters."
    assert not Order.objects.exists()


def test_tickets_messages_returns_and_purchase_orders_are_created_once(store, customer, lamp):
    # Given a queue, a delivered order line, and a retailer with a supplier
    sla_policies()
    queue = QueueFactory()
    order = place_order(customer, (lamp, 1))
    line = order.lines.get()
    line.status, line.delivered_at = "delivered", timezone.now()
    line.save()
    retailer = retailer_of(store)
    supplier = SupplierFactory(store=store)
    api, staff = _api(customer), _api(retailer)
    requests = [
        (api, "/api/v1/tickets/", {"queue": queue.pk, "subject": "Help", "description": "Please"}, "json"),
        (api, "/api/v1/returns/", {"order_line": line.pk, "quantity": 1, "reason": "Too big"}, "json"),
        (
            staff,
            "/api/v1/purchase-orders/",
            {"supplier": supplier.pk, "lines": [{"product": lamp.pk, "quantity_ordered": 5, "unit_cost": "4.00"}]},
            "json",
        ),
        (staff, f"/api/v1/store-products/{lamp.pk}/stock-adjustments/", {"quantity": 2, "reason": "Found"}, "json"),
    ]
    # When each is sent twice with its key
    for client, url, body, fmt in requests:
        answers = [client.post(url, body, format=fmt, HTTP_IDEMPOTENCY_KEY=url) for _ in range(2)]
        assert [a.status_code for a in answers] == [201, 201], (url, answers[0].content)
        assert answers[0].json() == answers[1].json()
    ticket = Ticket.objects.get()
    messages = [
        api.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "More"}, HTTP_IDEMPOTENCY_KEY="m") for _ in range(2)
    ]
    # Then each exists once
    assert [m.status_code for m in messages] == [201, 201]
    assert Message.objects.filter(ticket=ticket, body="More").count() == 1
    assert ReturnRequest.objects.count() == PurchaseOrder.objects.count() == 1
    assert StockMovement.objects.filter(product=lamp, kind="adjustment").count() == 1


def test_purge_deletes_only_keys_past_their_time(customer, lamp, settings):
    settings.IDEMPOTENCY_KEY_TTL_HOURS = 24
    api = _api(customer)
    for key in ("old", "young"):
        api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY=key)
    IdempotencyKey.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))

    assert idempotency_keys_purge() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["young"]


def test_an_expired_key_counts_as_new(customer, lamp):
    api = _api(customer)
    api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=2))

    again = api.post("/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="k")

    assert again.status_code == 201
    assert not again.has_header("Idempotent-Replayed")
    assert Order.objects.filter(customer=customer).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_place_one_order(store):
    # Given a customer whose client retries eight times at once with the same key
    customer = CustomerFactory()
    lamp = with_stock(ProductFactory(store=store), 10)
    barrier = threading.Barrier(8)
    results: list = [None] * 8

    def send(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = _api(customer).post(
                "/api/v1/orders/", _order_body(lamp), format="json", HTTP_IDEMPOTENCY_KEY="r"
            )
            results[i] = (response.status_code, response.json()["id"])
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # Then one order was placed, and every answer names it
    order = Order.objects.get(customer=customer)
    assert results == [(201, order.pk)] * 8
    assert Product.objects.get(pk=lamp.pk).on_hand == 9
