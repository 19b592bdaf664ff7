"""A client generated from /api/schema/ by openapi-python-client (a tool none of us wrote) drives a
customer's and a retailer's whole flow against a live server, with no hand patches: if the schema
misdescribes a request, the generated module fails here the way it fails for an integrator."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.tests.factories import PASSWORD, CustomerFactory, retailer_of
from inventory import services_forecast
from inventory.models import DemandForecast, Order, Product, StockMovement
from inventory.tests.factories import CategoryFactory, ProductFactory, with_stock
from inventory.tests.forecast_helpers import AS_OF, load_sales
from tickets.models import Attachment, Ticket
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "stockdesk_generated_client"


@pytest.fixture(scope="module")
def gen(tmp_path_factory):
    """The schema as the server documents it, and the client package generated from it."""
    root = tmp_path_factory.mktemp("client")
    schema = root / "schema.yaml"
    call_command("spectacular", "--file", str(schema), "--validate", "--fail-on-warn")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: the code as generated
    tool = Path(sys.executable).with_name("openapi-python-client")
    result = subprocess.run(  # noqa: S603 - our own venv's tool, fixed arguments
        [str(tool), "generate", "--path", str(schema), "--output-path", str(root / PACKAGE), "--meta", "none",
         "--config", str(config)],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def api(gen, name: str):
    """``api(gen, "orders.orders_create")``: one generated operation module."""
    return importlib.import_module(f"{PACKAGE}.api.{name}")


def model(gen, name: str):
    return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def base_url(live_server) -> str:
    # The live server listens on the loopback address; say so instead of trusting "localhost".
    return live_server.url.replace("localhost", "127.0.0.1")


def token_client(gen, live_server, email: str):
    answer = api(gen, "auth.auth_token_create").sync_detailed(
        client=gen.Client(base_url=base_url(live_server)),
        body=model(gen, "AuthTokenRequest")(username=email, password=PASSWORD),
    )
    assert answer.status_code == 200, answer.content
    return gen.AuthenticatedClient(base_url=base_url(live_server), token=answer.parsed.token, prefix="Token")


def test_a_customer_flow_through_the_generated_client(gen, live_server, store, help_centre):
    # Given a catalogue of 27 lamps (two pages of 25), a support queue, and a customer
    sla_policies()
    queue = QueueFactory(name="Orders")
    category = CategoryFactory()
    lamps = [
        with_stock(ProductFactory(store=store, category=category, name=f"Desk lamp {i:02d}"), 10) for i in range(27)
    ]
    ProductFactory(store=store, category=category, name="Garden hose")
    customer = CustomerFactory()
    client = token_client(gen, live_server, customer.email)

    # When they search the catalogue and turn the page
    first = api(gen, "products.products_list").sync(client=client, search="lamp")
    second = api(gen, "products.products_list").sync(client=client, search="lamp", page=2)
    # Then both pages come back typed, 25 + 2, and nothing else matches
    assert (first.count, len(first.results), len(second.results)) == (27, 25, 2)
    assert {p.id for p in first.results + second.results} == {p.pk for p in lamps}

    # When they place an order with an idempotency key, and send it again after a "timeout"
    lamp = lamps[0]
    body = model(gen, "OrderInputRequest")(
        items=[model(gen, "OrderItemInputRequest")(product=lamp.pk, quantity=2, unit_price=str(lamp.current_price))],
        delivery_name="Ann Example",
        delivery_address="1 High Street",
        delivery_postcode="1234 AB",
        delivery_city="Utrecht",
        payment_method=model(gen, "PaymentMethodEnum").COD,
    )
    placed = api(gen, "orders.orders_create").sync_detailed(client=client, body=body, idempotency_key="order-1")
    again = api(gen, "orders.orders_create").sync_detailed(client=client, body=body, idempotency_key="order-1")
    # Then one order exists, and both answers name it
    assert (placed.status_code, again.status_code) == (201, 201)
    assert placed.parsed.id == again.parsed.id == Order.objects.get(customer=customer).pk
    assert again.headers["Idempotent-Replayed"] == "true"
    assert placed.headers["Location"] == f"{base_url(live_server)}/api/v1/orders/{placed.parsed.id}/"
    assert Product.objects.get(pk=lamp.pk).on_hand == 8

    # When they cancel it
    cancelled = api(gen, "orders.orders_cancel_create").sync(client=client, id=placed.parsed.id)
    # Then it is cancelled and the stock is back
    assert cancelled.status == model(gen, "OrderStatusEnum").CANCELLED
    assert Product.objects.get(pk=lamp.pk).on_hand == 10

    # When they open a ticket in a queue the API lists, and write a message with a file
    queues = api(gen, "queues.queues_list").sync(client=client)
    assert [q.id for q in queues.results] == [queue.pk]
    ticket = api(gen, "tickets.tickets_create").sync(
        client=client,
        body=model(gen, "TicketCreateInputRequest")(
            queue=queues.results[0].id, subject="Lamp arrived broken", description="The shade is cracked."
        ),
    )
    receipt = gen.types.File(payload=io.BytesIO(b"order receipt\n"), file_name="receipt.txt", mime_type="text/plain")
    message = api(gen, "tickets.tickets_messages_create").sync(
        client=client,
        id=ticket.id,
        body=model(gen, "MessageCreateInputRequest")(body="Photo of the receipt attached.", files=[receipt]),
    )
    # Then the message carries the attachment, typed, and the desk has it
    assert [a.original_name for a in message.attachments] == ["receipt.txt"]
    assert message.attachments[0].size == len(b"order receipt\n")
    assert Ticket.objects.get(pk=ticket.id).requester == customer
    assert Attachment.objects.get(message_id=message.id).original_name == "receipt.txt"

    # When they chat, and rate the assistant's reply by the id the transcript gave them
    conversation = api(gen, "chat.chat_conversations_create").sync(client=client)
    conversation = api(gen, "chat.chat_conversations_messages_create").sync(
        client=client, id=str(conversation.id), body=model(gen, "MessageInputRequest")(text="How do I return an item?")
    )
    rateable = [entry for entry in conversation.messages if entry.rateable]
    assert rateable, [entry.to_dict() for entry in conversation.messages]
    rated = api(gen, "chat.chat_messages_feedback_create").sync(
        client=client,
        id=rateable[-1].id,
        body=model(gen, "FeedbackInputRequest")(value=model(gen, "ChatFeedbackEnum").UP),
    )
    # Then the feedback is stored on that message
    assert (rated.id, rated.feedback) == (rateable[-1].id, model(gen, "ChatFeedbackEnum").UP)

    # When they revoke their token, Then it no longer works (401 with the scheme to use)
    assert api(gen, "auth.auth_token_destroy").sync_detailed(client=client).status_code == 204
    refused = api(gen, "me.me_retrieve").sync_detailed(client=client)
    assert (refused.status_code, refused.headers["WWW-Authenticate"]) == (401, "Token")


def test_a_retailer_flow_through_the_generated_client(gen, live_server, store, other_store):
    # Given a retailer of one store, a category, and a product of theirs with a sales history
    retailer = retailer_of(store)
    category = CategoryFactory()
    seller = load_sales(ProductFactory(store=store, category=category), [3, 5, 4, 6, 2, 5, 4], on_hand=12)
    services_forecast.demand_forecast_run(store=store, as_of=AS_OF)
    client = token_client(gen, live_server, retailer.email)

    # When they find their store, create a product in it, and adjust its stock with a reason
    stores = api(gen, "stores.stores_list").sync(client=client)
    assert [s.id for s in stores.results] == [store.pk]
    created = api(gen, "store_products.store_products_create").sync_detailed(
        client=client,
        idempotency_key="new-lamp",
        body=model(gen, "StoreProductCreateInputRequest")(
            store=stores.results[0].id, sku="LAMP-1", name="Reading lamp", category=category.pk, price="24.50"
        ),
    )
    assert created.status_code == 201, created.content
    product = created.parsed
    movement = api(gen, "store_products.store_products_stock_adjustments_create").sync(
        client=client, id=product.id, body=model(gen, "StockAdjustmentInputRequest")(quantity=7, reason="Opening count")
    )
    level = api(gen, "stock.stock_levels_retrieve").sync(client=client, id=product.id)
    # Then the product exists with no stock but what the ledger booked
    assert (product.slug, product.on_hand, product.store) == ("reading-lamp", 0, store.slug)
    assert (movement.quantity, movement.reason, level.on_hand) == (7, "Opening count", 7)
    assert list(StockMovement.objects.filter(product_id=product.id).values_list("kind", "quantity")) == [
        ("adjustment", 7)
    ]

    # When they read the forecasts
    forecasts = api(gen, "forecasts.forecasts_list").sync(client=client, product=seller.pk)
    # Then the stored forecast comes back typed, with its daily series
    stored = DemandForecast.objects.get(product=seller)
    assert [(f.product, f.status.value, f.as_of) for f in forecasts.results] == [(seller.pk, stored.status, AS_OF)]
    assert forecasts.results[0].forecast.mean == stored.forecast["mean"]
