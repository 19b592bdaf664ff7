"""The team leads' reports page and its CSV export (tickets/reports.py computes the figures)."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors
from .report_forms import ReportFilterForm
from .reports import DeskReport, can_view_reports, desk_report


def _report(request: HttpRequest) -> tuple[ReportFilterForm, DeskReport | None]:
    if not can_view_reports(request.user):
        raise PermissionDenied
    form = ReportFilterForm(request.GET, queues=selectors.queue_list_for_agent(request.user).only("pk", "name"))
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    return form, desk_report(user=request.user, start=data["start"], end=data["end"], queue=data["queue"])


def chart_data(report: DeskReport) -> dict:
    """What desk_reports.js draws; the page shows the same figures as tables."""
    return {
        "backlog": {
            "labels": [row["day"].isoformat() for row in report.backlog],
            "open": [r["open"] for r in report.backlog],
        },
        "rating_by_agent": {
            "labels": [row["name"] for row in report.rating_by_agent],
            "average": [row["average"] for row in report.rating_by_agent],
        },
    }


@login_required
def desk_reports(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    context = {"form": form, "report": report, "charts": chart_data(report) if report else None}
    return render(request, "tickets/reports/index.html", context, status=200 if report else 400)


def _safe(value) -> str:
    """CSV cells are data: a name starting with = + - @ would run as a spreadsheet formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_rows(report: DeskReport) -> list[tuple]:
    """The report as (section, name, value, count) rows: the CSV export and its test read this."""

    def minutes(value):
        return "" if value is None else round(value, 1)

    rows = [
        ("range", "start", report.start.isoformat(), ""),
        ("range", "end", report.end.isoformat(), ""),
        ("range", "queue", report.queue.name if report.queue else "all my queues", ""),
        ("tickets", "created", report.created, ""),
        ("tickets", "resolved", report.resolved, ""),
        ("sla", "breached", report.breached, report.created),
        ("sla", "breach rate", "" if report.breach_rate is None else round(report.breach_rate, 4), report.created),
        ("first reply minutes", "median", minutes(report.first_reply.median_minutes), report.first_reply.count),
        ("first reply minutes", "p90", minutes(report.first_reply.p90_minutes), report.first_reply.count),
        ("resolution minutes", "median", minutes(report.resolution.median_minutes), report.resolution.count),
        ("resolution minutes", "p90", minutes(report.resolution.p90_minutes), report.resolution.count),
    ]
    rows += [("backlog", row["day"].isoformat(), row["open"], "") for row in report.backlog]
    rows += [("rating by agent", row["name"], row["average"], row["count"]) for row in report.rating_by_agent]
    rows += [("rating by queue", row["name"], row["average"], row["count"]) for row in report.rating_by_queue]
    rows += [("tickets by queue", row["name"], row["count"], "") for row in report.by_queue]
    rows += [("tickets by product", row["name"], row["count"], "") for row in report.by_product]
    return rows


@login_required
def desk_reports_csv(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    if report is None:
        errors = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="desk-report-{report.start}-{report.end}.csv"'
    response["Cache-Control"] = "private, no-store"
    writer = csv.writer(response)
    writer.writerow(["section", "name", "value", "count"])
    writer.writerows([_safe(cell) for cell in row] for row in report_rows(report))
    return response
