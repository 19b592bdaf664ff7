"""Figures for the desk dashboard, computed in a handful of aggregate queries."""

from __future__ import annotations

import statistics
from datetime import timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from .models import Queue, Ticket
from .selectors import OPEN_STATUSES


def desk_stats(*, queues: QuerySet[Queue], days: int = 30) -> dict:
    now = timezone.now()
    since = now - timedelta(days=days)
    tickets = Ticket.objects.filter(queue__in=queues)
    by_queue = list(
        queues.annotate(open_count=Count("tickets", filter=Q(tickets__status__in=OPEN_STATUSES)))
        .order_by("position", "name")
        .values("name", "open_count")
    )
    overdue = (
        tickets.filter(status__in=OPEN_STATUSES, paused_at__isnull=True)
        .filter(Q(first_responded_at__isnull=True, first_response_due_at__lt=now) | Q(resolution_due_at__lt=now))
        .count()
    )
    pairs = tickets.filter(created_at__gte=since, first_responded_at__isnull=False).values_list(
        "created_at", "first_responded_at"
    )
    minutes = [(responded - created).total_seconds() / 60 for created, responded in pairs]
    csat = tickets.filter(csat_at__gte=since).aggregate(avg=Avg("csat_score"), n=Count("pk"))
    return {
        "days": days,
        "by_queue": by_queue,
        "open_total": sum(row["open_count"] for row in by_queue),
        "overdue": overdue,
        "median_first_response_minutes": round(statistics.median(minutes)) if minutes else None,
        "csat_average": round(csat["avg"], 2) if csat["avg"] is not None else None,
        "csat_count": csat["n"],
    }
