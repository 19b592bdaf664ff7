"""Team leads' reports: figures checked against hand-computed ones on fixed data, scoped to the
agent's queues, permission-gated, a fixed number of queries, and the same figures in the CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import AgentFactory, CustomerFactory
from inventory.tests.factories import ProductFactory
from tickets import services
from tickets.models import Status, Ticket, TicketRating
from tickets.reports import desk_report, percentile

from .factories import QueueFactory

pytestmark = pytest.mark.django_db

START, END = date(2026, 3, 1), date(2026, 3, 5)


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


def _lead(agent):
    agent.user_permissions.add(Permission.objects.get(codename="view_desk_reports"))
    return type(agent).objects.get(pk=agent.pk)  # a fresh instance: permissions are cached per instance


def _ticket(queue, *, created, assignee=None, rating=None, **fields) -> Ticket:
    ticket = services.ticket_create(requester=CustomerFactory(), queue=queue, subject="s", description="d")
    Ticket.objects.filter(pk=ticket.pk).update(created_at=created, assignee=assignee, **fields)
    if rating is not None:
        row = TicketRating.objects.create(ticket=ticket, score=rating, resolved_at=fields["resolved_at"])
        TicketRating.objects.filter(pk=row.pk).update(created_at=fields["resolved_at"] + timedelta(hours=1))
    return ticket


@pytest.fixture
def fixed(queue, agent, other_queue, store):
    """Five tickets created 1-5 March in the agent's queue, one before, one in another queue."""
    colleague = AgentFactory(name="Col League")
    queue.agents.add(colleague)
    agent.name = "Ann Agent"
    agent.save()
    lamp = ProductFactory(store=store, name="Lamp")
    vase = ProductFactory(store=store, name="Vase")
    minutes = timedelta(minutes=1)
    t1 = at(1, 9)
    _ticket(queue, created=t1, assignee=agent, first_responded_at=t1 + 30 * minutes, resolved_at=t1 + 120 * minutes,
            status=Status.RESOLVED, rating=5)  # fmt: skip
    t2 = at(1, 12)
    _ticket(queue, created=t2, assignee=agent, first_responded_at=t2 + 90 * minutes, resolved_at=at(3, 12),
            first_response_breached_at=t2 + 60 * minutes, status=Status.RESOLVED, rating=3)  # fmt: skip
    t3 = at(2, 8)
    _ticket(queue, created=t3, first_responded_at=t3 + 10 * minutes, product=lamp, status=Status.OPEN)
    _ticket(queue, created=at(3, 9), resolution_breached_at=at(3, 17), closed_at=at(4, 9), product=lamp,
            status=Status.CLOSED)  # fmt: skip
    t5 = at(4, 10)
    _ticket(queue, created=t5, assignee=colleague, first_responded_at=t5 + 60 * minutes, resolved_at=at(4, 14),
            product=vase, status=Status.RESOLVED, rating=4)  # fmt: skip
    # before the range: open at the end of 1 March, resolved on the 2nd
    _ticket(queue, created=at(27, 9, month=2), resolved_at=at(2, 10), status=Status.RESOLVED)
    # another queue's ticket, which this agent does not work
    _ticket(other_queue, created=at(2, 9), first_responded_at=at(2, 9, 5), resolved_at=at(2, 10),
            status=Status.RESOLVED, rating=1, first_response_breached_at=at(2, 9, 1))  # fmt: skip
    return {"colleague": colleague}


def test_percentile_interpolates_between_ranks():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.9) == 7
    assert percentile([10, 30, 60, 90], 0.5) == 45
    assert percentile([90, 10, 60, 30], 0.9) == pytest.approx(81)


def test_report_figures_match_the_hand_computed_ones(fixed, agent, queue):
    report = desk_report(user=agent, start=START, end=END)
    assert (report.created, report.resolved, report.breached) == (5, 3, 2)
    assert report.breach_rate == pytest.approx(0.4)
    # first replies after 30, 90, 10, 60 min: sorted 10 30 60 90
    assert report.first_reply.count == 4
    assert report.first_reply.median_minutes == pytest.approx(45)
    assert report.first_reply.p90_minutes == pytest.approx(60 + 0.7 * 30)
    # resolved after 120, 2880, 240 min: sorted 120 240 2880
    assert report.resolution.count == 3
    assert report.resolution.median_minutes == pytest.approx(240)
    assert report.resolution.p90_minutes == pytest.approx(240 + 0.8 * (2880 - 240))
    assert [(row["day"].day, row["open"]) for row in report.backlog] == [(1, 2), (2, 2), (3, 2), (4, 1), (5, 1)]
    assert report.rating_by_agent == [
        {"name": "Ann Agent", "average": 4.0, "count": 2},
        {"name": "Col League", "average": 4.0, "count": 1},
    ]
    assert report.rating_by_queue == [{"name": queue.name, "average": 4.0, "count": 3}]
    assert report.by_queue == [{"name": queue.name, "count": 5}]
    assert report.by_product == [{"name": "Lamp", "count": 2}, {"name": "Vase", "count": 1}]


def test_report_covers_only_the_agents_queues(fixed, other_queue):
    outsider = other_queue.agents.get()
    report = desk_report(user=outsider, start=START, end=END)
    assert (report.created, report.breached) == (1, 1)
    assert report.rating_by_queue == [{"name": other_queue.name, "average": 1.0, "count": 1}]
    assert [row["open"] for row in report.backlog] == [0, 0, 0, 0, 0]


def test_one_queue_filter(fixed, agent, queue):
    second = QueueFactory(name="Second", agents=[agent])
    assert desk_report(user=agent, start=START, end=END, queue=queue).created == 5
    assert desk_report(user=agent, start=START, end=END, queue=second).created == 0


def test_bad_ranges_are_refused(agent):
    with pytest.raises(ValueError, match="on or before"):
        desk_report(user=agent, start=END, end=START)
    with pytest.raises(ValueError, match="at most 366 days"):
        desk_report(user=agent, start=date(2025, 1, 1), end=date(2026, 1, 2))


def _get(client, name, **params):
    return client.get(reverse(f"tickets:{name}"), params)


def test_page_needs_the_team_lead_permission(client, agent, customer, queue):
    client.force_login(agent)
    assert _get(client, "desk_reports").status_code == 403
    assert _get(client, "desk_reports_csv").status_code == 403
    client.force_login(customer)
    assert _get(client, "desk_reports").status_code == 403
    _lead(agent)
    client.force_login(agent)
    assert _get(client, "desk_reports").status_code == 200


def test_page_shows_the_figures_as_tables_with_charts(client, fixed, agent):
    client.force_login(_lead(agent))
    page = _get(client, "desk_reports", start="2026-03-01", end="2026-03-05").content.decode()
    assert "vendor/chartjs/chart.umd.min.js" in page
    assert 'id="backlog-chart"' in page
    assert '<td>Ann Agent</td><td class="text-end">4.0</td><td class="text-end">2</td>' in page
    # medians and 90th percentiles as people read them: 2352 min is 1 d 15 h
    assert '<td class="text-end">4 h</td><td class="text-end">1 d 15 h</td>' in page
    assert "40%" in page


def test_another_agents_queue_answers_404_and_bad_dates_a_form_error(client, fixed, agent, other_queue):
    client.force_login(_lead(agent))
    assert _get(client, "desk_reports", queue=str(other_queue.pk)).status_code == 404
    assert _get(client, "desk_reports_csv", queue=str(other_queue.pk)).status_code == 404
    response = _get(client, "desk_reports", start="2026-03-05", end="2026-03-01")
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
    response = _get(client, "desk_reports_csv", start="2026-13-01")
    assert response.status_code == 400
    assert "start: Enter a valid date." in response.content.decode()


def test_csv_export_has_the_same_figures(client, fixed, agent):
    client.force_login(_lead(agent))
    response = _get(client, "desk_reports_csv", start="2026-03-01", end="2026-03-05")
    assert response["Content-Disposition"] == 'attachment; filename="desk-report-2026-03-01-2026-03-05.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "name", "value", "count"]
    assert ["sla", "breach rate", "0.4", "5"] in rows
    assert ["first reply minutes", "median", "45.0", "4"] in rows
    assert ["first reply minutes", "p90", "81.0", "4"] in rows
    assert ["resolution minutes", "p90", "2352.0", "3"] in rows
    assert ["backlog", "2026-03-04", "1", ""] in rows
    assert ["rating by agent", "Col League", "4.0", "1"] in rows
    assert ["tickets by product", "Lamp", "2", ""] in rows


def test_csv_cells_never_run_as_formulas(client, agent, queue, store):
    ProductFactory(store=store, name="=HYPERLINK(1)")
    product = ProductFactory(store=store, name="=cmd|calc")
    _ticket(queue, created=at(2, 9), product=product)
    client.force_login(_lead(agent))
    text = _get(client, "desk_reports_csv", start="2026-03-01", end="2026-03-05").content.decode()
    assert "'=cmd|calc" in text
    assert "\n=cmd" not in text
    assert ",=cmd" not in text


def test_report_takes_the_same_queries_for_more_tickets(client, fixed, agent, queue, store):
    client.force_login(_lead(agent))
    params = {"start": "2026-03-01", "end": "2026-03-05"}
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert _get(client, "desk_reports", **params).status_code == 200
        counts.append(len(captured))
        for i in range(10):
            product = ProductFactory(store=store)
            _ticket(queue, created=at(2, 9 + i), first_responded_at=at(2, 10 + i), product=product)
    # session, user, its roles (navbar), permissions (user's, groups'), the figures: summary, first
    # replies, resolutions, backlog, ratings by agent and queue, tickets by queue and product; then
    # the filter's queues (count and list)
    assert counts == [15, 15]


def test_the_longest_range_runs_in_one_backlog_query(fixed, agent):
    report = desk_report(user=agent, start=date(2025, 3, 5), end=END)
    assert len(report.backlog) == 366
    assert report.created == 6  # the five of March and the one of 27 February
    assert report.backlog[-1] == {"day": END, "open": 1}
