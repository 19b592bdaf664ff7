"""Webhook deliveries to a real HTTP receiver on 127.0.0.1 that checks signatures as docs/api.md says."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from inventory.models import Order
from inventory.tests.factories import ProductFactory, place_order, with_stock
from webhooks import delivery, services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.signing import REPLAY_WINDOW_SECONDS, signed_headers, verify
from webhooks.tasks import redispatch_pending_webhooks


class Receiver:
    """An integrator's endpoint: verifies each request by the documented recipe, then answers
    the next scripted status (``fail_first`` 500s first)."""

    def __init__(self, secret: str, fail_first: int = 0):
        self.secret, self.fail_first = secret, fail_first
        self.requests: list[dict] = []
        self.accepted: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.answer(self.headers, body)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/stockdesk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, headers, body: bytes) -> int:
        # The recipe of docs/api.md, written out (not our verify()): timestamp within 5 minutes,
        # HMAC-SHA256 of "<timestamp>.<raw body>" with the secret, compared in constant time.
        timestamp = headers.get("Webhook-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return 400
        expected = "v1=" + hmac.new(self.secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("Webhook-Signature", "")):
            return 401
        if self.fail_first > 0:
            self.fail_first -= 1
            return 500
        self.accepted.append(json.loads(body))
        return 204

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # the receiver listens on 127.0.0.1


def _endpoint(store, url, events=("order.placed",)):
    return WebhookEndpoint.objects.create(store=store, url=url, events=list(events))


def _time_passes(row):
    # The backoff's wait, without waiting: the retry is due now.
    WebhookDelivery.objects.filter(pk=row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1), created_at=timezone.now() - timedelta(minutes=5)
    )


@pytest.mark.django_db(transaction=True)
def test_an_event_is_delivered_once_when_the_receiver_fails_twice_first(
    store, customer, private_targets, django_capture_on_commit_callbacks
):
    # Given a store endpoint whose receiver answers 500 twice before it accepts
    product = with_stock(ProductFactory(store=store), 5)
    endpoint = _endpoint(store, "")
    with Receiver(endpoint.secret, fail_first=2) as receiver:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url)

        # When an order is placed (the first attempt goes out after commit) and the retries come due
        order = place_order(customer, (product, 1))
        row = WebhookDelivery.objects.get()
        assert (row.status, row.attempts, row.last_status_code) == ("pending", 1, 500)
        for _ in range(2):
            _time_passes(row)
            redispatch_pending_webhooks()
        redispatch_pending_webhooks()  # nothing due any more: sends nothing
        assert delivery.webhook_deliver(delivery_id=row.pk) is None

    # Then it was delivered exactly once, after three attempts with one event id and one body
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code, row.last_error) == ("delivered", 3, 204, "")
    assert len(receiver.requests) == 3
    assert {r["headers"]["Webhook-Id"] for r in receiver.requests} == {row.event_id}
    assert len({r["body"] for r in receiver.requests}) == 1
    assert len(receiver.accepted) == 1
    event = receiver.accepted[0]
    assert (event["type"], event["id"], event["store_id"]) == ("order.placed", row.event_id, store.pk)
    assert event["data"]["order"] == {
        "id": order.pk,
        "number": order.number,
        "status": "placed",
        "total": str(Order.objects.get(pk=order.pk).total),
    }


@pytest.mark.django_db(transaction=True)
def test_a_receiver_rejects_a_wrong_signature_and_a_stale_timestamp(store, customer, private_targets):
    product = with_stock(ProductFactory(store=store), 5)
    with Receiver("whsec_the-receivers-own-secret") as receiver:
        # Given an endpoint whose secret the receiver does not know (a forger's request)
        _endpoint(store, receiver.url)
        # When an event is sent
        place_order(customer, (product, 1))
        # Then the receiver refuses it (401) and the delivery stays pending for a retry
        row = WebhookDelivery.objects.get()
        assert (row.status, row.last_status_code) == ("pending", 401)
        assert receiver.accepted == []

        # Given a request correctly signed but captured and replayed six minutes later
        body = b'{"id":"evt_1","type":"order.placed"}'
        stale = signed_headers(secret=receiver.secret, event_id="evt_1", body=body, now=time.time() - 360)
        fresh = signed_headers(secret=receiver.secret, event_id="evt_1", body=body)
        # Then the receiver refuses the stale one and takes the fresh one
        assert receiver.answer(stale, body) == 400
        assert receiver.answer(fresh, body) == 204
        tampered = {**fresh, "Webhook-Signature": "v1=" + "0" * 64}
        assert receiver.answer(tampered, body) == 401
        assert [event["id"] for event in receiver.accepted] == ["evt_1"]


def test_verify_accepts_only_the_signed_body_within_the_window():
    body = b'{"a":1}'
    now = 1_800_000_000
    headers = signed_headers(secret="s3cret", event_id="evt", body=body, now=now)

    assert verify(secret="s3cret", headers=headers, body=body, now=now + REPLAY_WINDOW_SECONDS)
    assert not verify(secret="s3cret", headers=headers, body=body, now=now + REPLAY_WINDOW_SECONDS + 1)
    assert not verify(secret="other", headers=headers, body=body, now=now)
    assert not verify(secret="s3cret", headers=headers, body=b'{"a":2}', now=now)
    assert not verify(secret="s3cret", headers={}, body=body, now=now)


def test_emitting_the_same_event_twice_queues_it_once(store, django_capture_on_commit_callbacks):
    WebhookEndpoint.objects.create(store=store, url="https://hooks.example.com/a", events=["stock.low"])
    WebhookEndpoint.objects.create(store=store, url="https://hooks.example.com/b", events=["order.placed"])

    with django_capture_on_commit_callbacks() as callbacks:
        first = services.webhook_event_emit(store_id=store.pk, event="stock.low", data={}, key="stock.low:1")
        again = services.webhook_event_emit(store_id=store.pk, event="stock.low", data={}, key="stock.low:1")

    assert (first, again) == (1, 0)
    assert list(WebhookDelivery.objects.values_list("endpoint__url", "event")) == [
        ("https://hooks.example.com/a", "stock.low")
    ]
    assert len(callbacks) == 1


def test_an_event_of_a_rolled_back_change_is_never_sent(store, customer):
    WebhookEndpoint.objects.create(store=store, url="https://hooks.example.com/a", events=["order.placed"])
    product = with_stock(ProductFactory(store=store), 1)

    with pytest.raises(Exception, match="left"):
        place_order(customer, (product, 2))

    assert not WebhookDelivery.objects.exists()


def test_a_private_address_is_refused_unless_allowed(store, customer, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    WebhookEndpoint.objects.create(store=store, url="http://127.0.0.1:9/hook", events=["order.placed"])
    product = with_stock(ProductFactory(store=store), 1)

    place_order(customer, (product, 1))
    row = WebhookDelivery.objects.get()
    delivery.webhook_deliver(delivery_id=row.pk)

    row.refresh_from_db()
    assert row.status == "failed"
    assert "non-public address" in row.last_error


def test_resend_queues_a_failed_delivery_again(store, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpoint.objects.create(store=store, url="https://hooks.example.com/a", events=["stock.low"])
    row = WebhookDelivery.objects.create(
        endpoint=endpoint, event="stock.low", event_id="evt_x", payload={}, status="failed", attempts=8
    )

    with django_capture_on_commit_callbacks() as callbacks:
        assert services.webhook_deliveries_resend(delivery_ids=[row.pk]) == 1

    row.refresh_from_db()
    assert (row.status, row.attempts, row.next_attempt_at) == ("pending", 0, None)
    assert len(callbacks) == 1
