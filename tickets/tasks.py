from celery import shared_task

from . import services


@shared_task(name="tickets.mark_sla_breaches", time_limit=120, soft_time_limit=100)
def mark_sla_breaches() -> int:
    return services.tickets_mark_sla_breaches()


@shared_task(name="tickets.autoclose_resolved", time_limit=300, soft_time_limit=240)
def autoclose_resolved() -> int:
    return services.tickets_autoclose_resolved()
