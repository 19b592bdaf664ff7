"""The back office: a store's admin registers endpoints, reads the delivery log, resends."""

from __future__ import annotations

from django.urls import reverse

from webhooks.models import WebhookDelivery, WebhookEndpoint


def test_a_retailer_registers_an_endpoint_of_their_store_with_chosen_events(client, retailer, store):
    client.force_login(retailer)

    response = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {"store": store.pk, "url": "https://erp.example.com/hooks", "events": ["order.placed", "stock.low"],
         "is_active": "on", "description": "ERP"},
    )  # fmt: skip

    assert response.status_code == 302, response.content[:2000]
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.store, endpoint.events, endpoint.secret.startswith("whsec_")) == (
        store,
        ["order.placed", "stock.low"],
        True,
    )


def test_another_stores_endpoints_and_deliveries_answer_404(client, retailer, other_store):
    theirs = WebhookEndpoint.objects.create(store=other_store, url="https://x.example.com/", events=["stock.low"])
    row = WebhookDelivery.objects.create(endpoint=theirs, event="stock.low", event_id="evt_1", payload={})
    client.force_login(retailer)

    assert client.get(reverse("admin:webhooks_webhookendpoint_change", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("admin:webhooks_webhookdelivery_change", args=[row.pk])).status_code == 404
    listing = client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    assert listing.status_code == 200
    assert b"x.example.com" not in listing.content


def test_resend_in_the_admin_queues_the_delivery_again(client, retailer, store, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpoint.objects.create(store=store, url="https://x.example.com/", events=["stock.low"])
    row = WebhookDelivery.objects.create(
        endpoint=endpoint, event="stock.low", event_id="evt_1", payload={}, status="failed", attempts=8
    )
    client.force_login(retailer)

    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("admin:webhooks_webhookdelivery_changelist"), {"action": "resend", "_selected_action": [row.pk]}
        )

    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
    assert len(callbacks) == 1
