"""Tickets that know the customer's orders: only their own can be linked; agents see them."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import CustomerFactory
from inventory.tests.factories import ProductFactory, place_order, with_stock
from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(customer, store):
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp"), 20)
    return place_order(customer, (lamp, 2))


def test_customer_links_their_own_order_and_product(client, customer, queue, order):
    product = order.lines.get().product
    client.force_login(customer)
    response = client.post(
        reverse("tickets:new"),
        {"queue": queue.pk, "order": order.pk, "product": product.pk, "subject": "Lamp", "description": "Flickers"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.order, ticket.product) == (order, product)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert order.number in page


def test_another_customers_order_or_product_cannot_be_linked(client, queue, order):
    stranger = CustomerFactory()
    client.force_login(stranger)
    response = client.post(
        reverse("tickets:new"), {"queue": queue.pk, "order": order.pk, "subject": "x", "description": "y"}
    )
    assert response.status_code == 200
    assert "order" in response.context["form"].errors
    response = client.post(
        reverse("tickets:new"),
        {"queue": queue.pk, "product": order.lines.get().product_id, "subject": "x", "description": "y"},
    )
    assert "product" in response.context["form"].errors
    with pytest.raises(services.TicketError):
        services.ticket_create(requester=stranger, queue=queue, subject="x", description="y", order=order)
    assert Ticket.objects.count() == 0


def test_api_refuses_another_customers_order_like_a_missing_one(queue, order):
    api = APIClient()
    api.force_authenticate(CustomerFactory())
    for order_id in (order.pk, 999999):
        response = api.post(
            "/api/v1/tickets/",
            {"queue": queue.pk, "subject": "x", "description": "y", "order": order_id},
            format="json",
        )
        assert response.status_code == 400
        assert response.json()["errors"]["order"] == ["No such order."]
    assert Ticket.objects.count() == 0


def test_desk_shows_the_customers_recent_orders_with_delivery_and_stock(
    client, customer, agent, queue, store, django_assert_num_queries
):
    for i in range(4):
        product = with_stock(ProductFactory(store=store, name=f"Vase {i}"), 5)
        place_order(customer, (product, 1))
    ticket = services.ticket_create(requester=customer, queue=queue, subject="Which vase?", description="?")
    client.force_login(agent)
    with django_assert_num_queries(13):  # 10 + presence: heartbeat upsert, expired rows, who else is here
        page = client.get(reverse("tickets:desk_ticket", args=[ticket.pk])).content.decode()
    assert "Vase 3" in page
    assert "4 in stock" in page
    assert "pending" in page
