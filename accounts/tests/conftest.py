from __future__ import annotations

import contextlib

import kombu.pools
import pytest

from helpdesk_project.celery import app as celery_app


@contextlib.contextmanager
def celery_publishing_to(broker_url: str):
    """Publish tasks to ``broker_url`` for real (not eagerly) inside the block.

    Celery caches its connection and producer pools; drop them on the way in and out so
    the URL change takes effect and nothing leaks into other tests.
    """
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.broker_url

    def reset_pools():
        # kombu keeps pools in a process-wide registry keyed by connection URL: clear it.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.task_always_eager = False
    conf.broker_url = broker_url
    reset_pools()
    try:
        yield
    finally:
        conf.task_always_eager, conf.broker_url = saved
        reset_pools()


DEAD_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def broker_down():
    with celery_publishing_to(DEAD_BROKER_URL):
        yield
