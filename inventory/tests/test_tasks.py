"""Periodic tasks are scheduled, thin and safe to run twice."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import Notification
from inventory import services, tasks

from .factories import CategoryFactory, ProductFactory, with_stock

pytestmark = pytest.mark.django_db


def test_beat_schedules_the_digest_and_launch_announcements():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"inventory.low_stock_digest", "inventory.announce_launches"} <= scheduled


def test_digest_task_sends_one_per_store_even_when_run_twice(store):
    with_stock(ProductFactory(store=store, reorder_point=5), 2)

    assert tasks.low_stock_digest.delay().get() == 1
    tasks.low_stock_digest.delay()

    assert Notification.objects.filter(subject__contains="reorder point").count() == 1


def test_announce_task_emails_followers_once(store, customer):
    category = CategoryFactory()
    services.category_follow(user=customer, category=category)
    ProductFactory(store=store, category=category, launch_date=timezone.localdate())

    tasks.announce_launches.delay()
    tasks.announce_launches.delay()

    assert Notification.objects.filter(recipient=customer.email, subject__startswith="New in").count() == 1
