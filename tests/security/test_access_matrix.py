"""Every role against every object type it does not own: the answer is always 404.

Two of everything: stores A and B with their retailers, customers A and B with an order, a
return, a ticket with an attachment and a chat conversation, and agents of queue A and queue
B. The A side asks for each B-side object through every interface that can show it (pages,
admin, API); a guessed id must answer exactly like a missing one, and change nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts import services as account_services
from accounts.tests.factories import AgentFactory, CustomerFactory, retailer_of
from chatbot import services as chat_services
from inventory import services as inventory_services
from inventory import services_forecast
from inventory.models import DemandForecast, Order, ReturnRequest, StockAlert
from inventory.tests.factories import ProductFactory, PurchaseOrderFactory, place_order, with_stock
from inventory.tests.forecast_helpers import AS_OF, load_sales
from tickets import services as ticket_services
from tickets.models import Attachment, Status, Ticket
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = pytest.mark.django_db


def _side(store, name: str) -> dict:
    customer = CustomerFactory(email=f"customer-{name}@example.com")
    agent = AgentFactory(email=f"agent-{name}@example.com")
    queue = QueueFactory(slug=f"queue-{name}", agents=[agent])
    product = with_stock(ProductFactory(store=store, name=f"Lamp {name}", reorder_point=5), 6)
    order = place_order(customer, (product, 2))  # stock 4: under the reorder point, an alert opens
    line = order.lines.get()
    inventory_services.order_line_mark_shipped(line=line)
    inventory_services.order_line_mark_delivered(line=line)
    return_request = inventory_services.return_request_create(
        customer=customer, line=line, quantity=1, reason="Too dim"
    )
    ticket = ticket_services.ticket_create(
        requester=customer,
        queue=queue,
        subject="Help",
        description="Please",
        attachments=[ticket_services.Upload(name="photo.png", content=b"\x89PNG fake")],
    )
    conversation = chat_services.conversation_start(user=customer, visitor="")
    kettle = load_sales(ProductFactory(store=store, name=f"Kettle {name}"), [2] * 30)
    services_forecast.demand_forecast_run(products=[kettle], as_of=AS_OF)
    notification = account_services.notify(
        channel="email", recipient=f"owner-{name}@example.com", body="x", idempotency_key=f"matrix:{name}", store=store
    )
    return {
        "store": store,
        "retailer": retailer_of(store),
        "customer": customer,
        "agent": agent,
        "product": product,
        "order": order,
        "return": return_request,
        "ticket": ticket,
        "attachment": Attachment.objects.get(ticket=ticket),
        "conversation": conversation,
        "po": PurchaseOrderFactory(store=store),
        "alert": StockAlert.objects.get(product=product),
        "forecast": DemandForecast.objects.get(product=kettle),
        "notification": notification,
    }


@pytest.fixture
def world(store, other_store):
    sla_policies()
    return {"A": _side(store, "a"), "B": _side(other_store, "b")}


def _urls(b: dict) -> dict[str, list[tuple[str, str]]]:
    """What each kind of A-side user tries against B's objects: (method, url)."""
    ticket, order = b["ticket"], b["order"]
    return {
        "customer": [
            ("get", f"/shop/orders/{order.pk}/"),
            ("post", f"/shop/orders/{order.pk}/cancel/"),
            ("get", f"/support/tickets/{ticket.reference}/"),
            ("post", f"/support/tickets/{ticket.reference}/close/"),
            ("get", f"/support/files/{b['attachment'].storage_key}/"),
            ("get", f"/api/v1/orders/{order.pk}/"),
            ("post", f"/api/v1/orders/{order.pk}/cancel/"),
            ("get", f"/api/v1/returns/{b['return'].pk}/"),
            ("get", f"/api/v1/tickets/{ticket.pk}/"),
            ("get", f"/api/v1/tickets/{ticket.pk}/messages/"),
            ("get", f"/api/v1/chat/conversations/{b['conversation'].pk}/"),
        ],
        "agent": [
            ("get", f"/desk/tickets/{ticket.pk}/"),
            ("post", f"/desk/tickets/{ticket.pk}/status/"),
            ("post", f"/desk/tickets/{ticket.pk}/reply/"),
            ("get", f"/desk/tickets/{ticket.pk}/presence/"),
            ("post", f"/desk/tickets/{ticket.pk}/presence/"),
            ("get", f"/desk/tickets/{ticket.pk}/suggestions/"),
            ("get", f"/api/v1/tickets/{ticket.pk}/presence/"),
            ("post", f"/api/v1/tickets/{ticket.pk}/presence/"),
            ("get", f"/admin/tickets/ticket/{ticket.pk}/change/"),
            ("get", f"/api/v1/tickets/{ticket.pk}/"),
            ("get", f"/support/files/{b['attachment'].storage_key}/"),
        ],
        "retailer": [
            ("get", f"/admin/accounts/store/{b['store'].pk}/change/"),
            ("get", f"/admin/inventory/product/{b['product'].pk}/change/"),
            ("get", f"/admin/inventory/purchaseorder/{b['po'].pk}/change/"),
            ("get", f"/admin/inventory/stockalert/{b['alert'].pk}/change/"),
            ("get", f"/admin/inventory/order/{order.pk}/change/"),
            ("get", f"/admin/inventory/returnrequest/{b['return'].pk}/change/"),
            ("get", f"/admin/inventory/demandforecast/{b['forecast'].pk}/change/"),
            ("get", f"/admin/accounts/notification/{b['notification'].pk}/change/"),
            ("get", f"/api/v1/stock-levels/{b['product'].pk}/"),
            ("get", f"/api/v1/purchase-orders/{b['po'].pk}/"),
            ("get", f"/api/v1/stock-alerts/{b['alert'].pk}/"),
        ],
    }


@pytest.mark.parametrize("role", ["customer", "agent", "retailer"])
def test_another_users_or_stores_objects_answer_404(world, role):
    a, b = world["A"], world["B"]
    client = Client(raise_request_exception=False)
    client.force_login(a[role])
    before = (
        Order.objects.get(pk=b["order"].pk).status,
        Ticket.objects.get(pk=b["ticket"].pk).status,
        ReturnRequest.objects.get(pk=b["return"].pk).status,
    )
    for method, url in _urls(b)[role]:
        response = getattr(client, method)(url)
        assert response.status_code == 404, (role, method, url, response.status_code)
    after = (
        Order.objects.get(pk=b["order"].pk).status,
        Ticket.objects.get(pk=b["ticket"].pk).status,
        ReturnRequest.objects.get(pk=b["return"].pk).status,
    )
    assert after == before


@pytest.mark.parametrize("role", ["customer", "agent", "retailer"])
def test_the_same_urls_work_for_the_owner(world, role):
    """The matrix is not trivially 404: B's own people reach B's objects (reads only)."""
    b = world["B"]
    client = Client(raise_request_exception=False)
    client.force_login(b[role])
    for method, url in _urls(b)[role]:
        if method == "get":
            assert client.get(url).status_code == 200, (role, url)


@pytest.mark.parametrize("value", ["", "0", "-1", "null", "[]", "1,2", "abc", "99999999999999999999", "1.5", "%00"])
def test_odd_ids_and_tokens_answer_404_not_500(world, value):
    client = Client(raise_request_exception=False)
    client.force_login(world["A"]["customer"])
    for url in (
        f"/shop/orders/{value}/",
        f"/support/tickets/{value}/",
        f"/support/files/{value}/",
        f"/support/rate/{value}/",
        f"/api/v1/orders/{value}/",
        f"/api/v1/tickets/{value}/",
        f"/api/v1/chat/conversations/{value}/",
    ):
        response = client.get(url)
        expected = {400} if value == "%00" else {404, 405}
        assert response.status_code in expected, (url, response.status_code)


def test_nul_bytes_in_query_parameters_are_bad_input(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["A"]["agent"])
    assert client.get("/desk/?view=open&q=%00").status_code == 400
    response = client.get("/api/v1/tickets/?ordering=%00")
    assert (response.status_code, response.json()["detail"]) == (400, "The request contains a NUL character.")


def test_get_never_changes_state(world):
    """Pages that act do so on POST only; a GET (a link, a crawler, a prefetch) changes nothing."""
    a = world["A"]
    client = Client(raise_request_exception=False)
    client.force_login(a["customer"])
    assert client.get(f"/shop/orders/{a['order'].pk}/cancel/").status_code == 405
    assert client.get(f"/support/tickets/{a['ticket'].reference}/close/").status_code == 405
    agent = Client(raise_request_exception=False)
    agent.force_login(a["agent"])
    assert agent.get(f"/desk/tickets/{a['ticket'].pk}/status/?status=resolved").status_code == 405
    assert Ticket.objects.get(pk=a["ticket"].pk).status != Status.RESOLVED
    assert Order.objects.get(pk=a["order"].pk).status == Order.Status.PLACED
