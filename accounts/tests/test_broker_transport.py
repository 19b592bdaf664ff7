"""The Celery broker transport: kombu's Redis transport with one Redis client per channel."""

from __future__ import annotations

import shutil

import pytest
import redis
from kombu import Connection, Exchange, Queue

from helpdesk_project import broker

from .test_cache import _free_port, _start_redis


def test_celery_reads_every_celery_setting_from_django_settings():
    from django.conf import settings as django_settings

    from helpdesk_project.celery import DjangoCelerySettings, app

    for name in ("task_routes", "beat_schedule", "task_time_limit", "task_publish_retry_policy", "broker_url"):
        assert app.conf[name] == getattr(django_settings, f"CELERY_{name.upper()}")
    mapping = DjangoCelerySettings()
    assert set(mapping) == {name for name in dir(django_settings) if name.startswith("CELERY_")}
    assert mapping["CELERY_TASK_SERIALIZER"] == "json"


def test_settings_pick_it_for_redis_urls_only(settings):
    expected = "helpdesk_project.broker:Transport" if settings.CELERY_BROKER_URL.startswith("redis://") else None
    chosen = settings.CELERY_BROKER_TRANSPORT
    assert chosen == expected


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server not installed")
def test_messages_are_published_through_one_client_until_the_pool_is_replaced(monkeypatch):
    built = []
    original = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    port = _free_port()
    server = _start_redis(port)
    queue = Queue("transport-test", Exchange("transport-test", type="direct"), routing_key="transport-test")
    try:
        with Connection(f"redis://127.0.0.1:{port}/0", transport=broker.Transport) as connection:
            channel = connection.default_channel
            assert isinstance(channel, broker.Channel)
            producer = connection.Producer(channel)
            producer.publish({"n": 0}, exchange=queue.exchange, routing_key="transport-test", declare=[queue])
            monkeypatch.setattr(redis.Redis, "__init__", counting_init)

            for n in range(1, 4):
                producer.publish({"n": n}, exchange=queue.exchange, routing_key="transport-test", declare=[queue])
            assert built == []  # kombu's channel built one per message

            channel._disconnect_pools()  # as after a lost connection: a new pool, a new client
            producer.publish({"n": 4}, exchange=queue.exchange, routing_key="transport-test", declare=[queue])
            assert len(built) == 1

            received = []
            consumer = queue(channel)
            while (message := consumer.get(no_ack=True)) is not None:
                received.append(message.payload["n"])
            assert received == [0, 1, 2, 3, 4]
    finally:
        server.kill()
        server.wait(timeout=10)
