"""Thin periodic tasks; each is safe to run twice (idempotency keys and conditional claims)."""

from celery import shared_task

from . import services


@shared_task(name="inventory.low_stock_digest", time_limit=300)
def low_stock_digest() -> int:
    return services.stock_alert_digest_send()


@shared_task(name="inventory.announce_launches", time_limit=300)
def announce_launches() -> int:
    return services.product_launches_announce()
