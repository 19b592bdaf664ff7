"""Thin periodic tasks; each is safe to run twice (idempotency keys and conditional claims)."""

from celery import shared_task

from . import services


@shared_task(name="inventory.low_stock_digest", time_limit=300)
def low_stock_digest() -> int:
    return services.stock_alert_digest_send()


@shared_task(name="inventory.announce_launches", time_limit=300)
def announce_launches() -> int:
    return services.product_launches_announce()


# --- Forecasting (routed to the "forecasting" queue by the inventory.forecast* route) -------


@shared_task(name="inventory.forecast_demand_nightly", time_limit=3600, soft_time_limit=3300)
def forecast_demand_nightly() -> int:
    """Forecast every active product; rerunning replaces the rows, so a retry is harmless."""
    from . import services_forecast

    # n_jobs=1: a prefork worker's child is daemonic and cannot start its own processes.
    summary = services_forecast.demand_forecast_run(n_jobs=1)
    return summary.stored
