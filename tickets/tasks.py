from celery import shared_task

from . import services


@shared_task(name="tickets.mark_sla_breaches", time_limit=120, soft_time_limit=100)
def mark_sla_breaches() -> int:
    return services.tickets_mark_sla_breaches()


@shared_task(name="tickets.autoclose_resolved", time_limit=300, soft_time_limit=240)
def autoclose_resolved() -> int:
    return services.tickets_autoclose_resolved()


@shared_task(name="tickets.fetch_mail", time_limit=600, soft_time_limit=540)
def fetch_mail() -> str:
    """Poll the support mailbox when IMAP_URL is set (the command holds a lock, so overlaps are harmless)."""
    from django.conf import settings
    from django.core.management import call_command

    if not settings.IMAP_URL:
        return "IMAP_URL not set"
    call_command("fetch_mail")
    return "fetched"
