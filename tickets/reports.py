"""Figures for the desk dashboard and the team leads' reports, computed in a handful of queries."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User, full_name

from .models import Queue, Ticket, TicketRating
from .selectors import OPEN_STATUSES, is_agent, ticket_scope_for_agent


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


# --- team leads' reports ---------------------------------------------------------------------

# The longest range one report covers: it bounds the rows read for the medians and the number of
# per-day counts in the backlog query.
REPORT_MAX_DAYS = 366
# The longest breakdown lists (agents, queues, products): the largest ones are shown.
BREAKDOWN_LIMIT = 20


def can_view_reports(user: User) -> bool:
    """Team leads: desk agents (or ops) holding ``tickets.view_desk_reports``; superusers have it."""
    return is_agent(user) and user.has_perm("tickets.view_desk_reports")


def percentile(values: list[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, Excel's PERCENTILE.INC):
    position ``(n - 1) * fraction`` in the sorted values. None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


@dataclass(frozen=True)
class Times:
    """Minutes from a ticket's creation to an event, over the tickets that reached it."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None

    @classmethod
    def of(cls, pairs) -> Times:
        minutes = [(end - start).total_seconds() / 60 for start, end in pairs]
        return cls(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


@dataclass(frozen=True)
class DeskReport:
    start: date
    end: date
    queue: Queue | None
    created: int
    resolved: int
    breached: int
    first_reply: Times
    resolution: Times
    backlog: list[dict]  # {"day": date, "open": int}: open at the end of each day
    rating_by_agent: list[dict]  # {"name", "average", "count"}
    rating_by_queue: list[dict]
    by_queue: list[dict]  # {"name", "count"}: tickets created
    by_product: list[dict]

    @property
    def breach_rate(self) -> float | None:
        """Share of the tickets created in the range that missed a first-reply or resolution target."""
        return self.breached / self.created if self.created else None


def _day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The range as aware datetimes in the site's time zone: [start 00:00, day after end 00:00)."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _ratings(ratings: QuerySet[TicketRating], *, group: str) -> list[dict]:
    """Average rating and count per ``group`` ("agent": the ticket's assignee, or "queue")."""
    fields = ("ticket__assignee", "ticket__assignee__name", "ticket__assignee__email")
    if group == "queue":
        fields = ("ticket__queue", "ticket__queue__name")
    rows = ratings.values(*fields).annotate(average=Avg("score"), count=Count("pk")).order_by("-count", fields[0])
    result = []
    for row in rows[:BREAKDOWN_LIMIT]:
        if group == "queue":
            name = row["ticket__queue__name"]
        elif row["ticket__assignee"] is None:
            name = "Unassigned"
        else:
            name = full_name(row["ticket__assignee__name"], row["ticket__assignee__email"])
        result.append({"name": name, "average": round(row["average"], 2), "count": row["count"]})
    return result


def _counts(tickets: QuerySet[Ticket], *, id_field: str, name_field: str) -> list[dict]:
    """Tickets per value of a field, largest first. A new breakdown (tags, when tickets have them)
    is one more call: ``_counts(created, id_field="tags__id", name_field="tags__name")``."""
    rows = (
        tickets.filter(**{f"{id_field}__isnull": False})
        .values(id_field, name_field)
        .annotate(count=Count("pk"))
        .order_by("-count", name_field)[:BREAKDOWN_LIMIT]
    )
    return [{"name": row[name_field], "count": row["count"]} for row in rows]


def desk_report(*, user: User, start: date, end: date, queue: Queue | None = None) -> DeskReport:
    """The team lead's figures over tickets **created** from ``start`` to ``end`` (whole days, site
    time zone) in the queues ``user`` works (``ticket_scope_for_agent``), or in one of them.

    A fixed number of queries whatever the data: counts, averages and the daily backlog are
    aggregated in the database; medians and 90th percentiles are taken in Python over the
    (created, replied) and (created, resolved) pairs of the range, which ``REPORT_MAX_DAYS`` bounds.
    Ratings are those given in the range (``TicketRating``), by the ticket's assignee and queue.
    """
    if end < start:
        raise ValueError("The start date must be on or before the end date.")
    if (end - start).days + 1 > REPORT_MAX_DAYS:
        raise ValueError(f"A report covers at most {REPORT_MAX_DAYS} days.")
    since, until = _day_bounds(start, end)
    scope = ticket_scope_for_agent(user)
    if queue is not None:
        scope = scope.filter(queue=queue)
    created = scope.filter(created_at__gte=since, created_at__lt=until)
    summary = created.aggregate(
        created=Count("pk"),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
        breached=Count(
            "pk", filter=Q(first_response_breached_at__isnull=False) | Q(resolution_breached_at__isnull=False)
        ),
    )
    first_reply = Times.of(
        created.filter(first_responded_at__isnull=False).values_list("created_at", "first_responded_at")
    )
    resolution = Times.of(created.filter(resolved_at__isnull=False).values_list("created_at", "resolved_at"))

    # Open at the end of each day: created before it, neither resolved nor closed by then. One
    # aggregate with a filtered count per day (at most REPORT_MAX_DAYS of them).
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    counts = {}
    for i, day in enumerate(days):
        edge = _day_bounds(day, day)[1]
        counts[f"d{i}"] = Count(
            "pk",
            filter=Q(created_at__lt=edge)
            & (Q(resolved_at__isnull=True) | Q(resolved_at__gte=edge))
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=edge)),
        )
    open_by_day = scope.filter(created_at__lt=until).aggregate(**counts)
    backlog = [{"day": day, "open": open_by_day[f"d{i}"]} for i, day in enumerate(days)]

    ratings = TicketRating.objects.filter(ticket__in=scope, created_at__gte=since, created_at__lt=until)
    return DeskReport(
        start=start,
        end=end,
        queue=queue,
        created=summary["created"],
        resolved=summary["resolved"],
        breached=summary["breached"],
        first_reply=first_reply,
        resolution=resolution,
        backlog=backlog,
        rating_by_agent=_ratings(ratings, group="agent"),
        rating_by_queue=_ratings(ratings, group="queue"),
        by_queue=_counts(created, id_field="queue_id", name_field="queue__name"),
        by_product=_counts(created, id_field="product_id", name_field="product__name"),
    )
