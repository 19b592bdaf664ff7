"""Schemathesis against /api/schema/: generated requests from two customers and a retailer.

Bounded (a fixed number of examples per operation, no deadline). Every answer must be
non-5xx and match the schema; a second, deterministic pass checks that each identity
gets 404 for the other identities' objects on every detail endpoint.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis import checks

from accounts.tests.factories import CustomerFactory, retailer_of
from helpdesk_project.wsgi import application
from inventory.tests.factories import ProductFactory, PurchaseOrderFactory, place_order, with_stock
from tickets import services as ticket_services
from tickets.tests.factories import QueueFactory, sla_policies

# Real transactions, as in production: a request the database refuses must not poison the
# requests after it (inside one test-wide transaction on PostgreSQL it would).
pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(store, other_store, agent):
    """Two customers with an order and a ticket each, and a retailer of one store."""
    sla_policies()
    queue = QueueFactory(agents=[agent])
    product = with_stock(ProductFactory(store=store), 100)
    people = {}
    for name in ("alice", "bob"):
        customer = CustomerFactory(email=f"{name}@example.com")
        order = place_order(customer, (product, 1))
        ticket = ticket_services.ticket_create(requester=customer, queue=queue, subject="Help", description="Please")
        people[name] = {"user": customer, "order": order, "ticket": ticket}
    retailer = retailer_of(store)
    po = PurchaseOrderFactory(store=other_store)
    people["retailer"] = {"user": retailer, "po": po}
    people["their_product"] = ProductFactory(store=other_store)
    for person in (people["alice"], people["bob"], people["retailer"]):
        person["token"] = Token.objects.create(user=person["user"]).key
    return people


@pytest.fixture
def api_schema(world):
    # Called straight through WSGI, each request would close the test's database connection
    # when it finishes; Django's own test client unhooks the same signal handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/schema/", application)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_never_fails_and_matches_its_schema(case, world):
    # Each generated request is sent as every identity: two customers and a retailer. The
    # checks: no 5xx, and status, content type, headers and body as documented. (Who may
    # read what is checked deterministically below and in each app's API tests.)
    for who in ("alice", "bob", "retailer"):
        case.call_and_validate(
            headers={"Authorization": f"Token {world[who]['token']}"},
            checks=[
                checks.not_a_server_error,
                checks.status_code_conformance,
                checks.content_type_conformance,
                checks.response_headers_conformance,
                checks.response_schema_conformance,
            ],
        )


def test_nobody_reads_another_identitys_objects(world):
    alice, bob = APIClient(), APIClient()
    alice.credentials(HTTP_AUTHORIZATION=f"Token {world['alice']['token']}")
    bob.credentials(HTTP_AUTHORIZATION=f"Token {world['bob']['token']}")
    retailer = APIClient()
    retailer.credentials(HTTP_AUTHORIZATION=f"Token {world['retailer']['token']}")
    for owner, other in (("alice", bob), ("bob", alice)):
        order, ticket = world[owner]["order"], world[owner]["ticket"]
        for url in (
            f"/api/v1/orders/{order.pk}/",
            f"/api/v1/tickets/{ticket.pk}/",
            f"/api/v1/tickets/{ticket.pk}/messages/",
            f"/api/v1/tickets/{ticket.pk}/attachments/",
        ):
            assert other.get(url).status_code == 404, url
        assert other.post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "x"}, format="json").status_code == 404
    assert retailer.get(f"/api/v1/purchase-orders/{world['retailer']['po'].pk}/").status_code == 404
    # The new staff endpoints: the other store, its supplier, its products' stock and forecasts.
    po = world["retailer"]["po"]
    for url in (
        f"/api/v1/stores/{po.store_id}/",
        f"/api/v1/suppliers/{po.supplier_id}/",
        f"/api/v1/store-products/{world['their_product'].pk}/",
        f"/api/v1/stock-levels/{world['their_product'].pk}/",
    ):
        assert retailer.get(url).status_code == 404, url
    assert retailer.get(f"/api/v1/orders/{world['alice']['order'].pk}/").status_code == 404
