"""The agent desk's hot spots, rendered in Python.

The queue page shows 25 rows on every refresh. As a template loop (an include, two date filters
and a URL per row) they cost more than all the page's queries together, and even ``format_html``
per cell spent most of its time in Django's lazy-string checks. These helpers build the same
markup with f-strings; **every value that is not a constant goes through ``_e``**, the standard
library's ``html.escape`` (which is exactly what ``django.utils.html.escape`` calls), and the
result is marked safe once. ``tickets/tests/test_views.py`` checks the escaping.
"""

from __future__ import annotations

from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import localtime

from tickets.models import Priority, Status

register = template.Library()

STATUS_BADGE = {
    Status.NEW: "text-bg-primary",
    Status.OPEN: "text-bg-info",
    Status.WAITING: "text-bg-warning",
    Status.ON_HOLD: "text-bg-secondary",
    Status.RESOLVED: "text-bg-success",
}
PRIORITY_BADGE = {Priority.URGENT: "text-bg-danger", Priority.HIGH: "text-bg-warning"}


def _e(value) -> str:
    return escape(str(value), quote=True)


def _label(choices, value: str) -> str:
    # Not get_FOO_display(): that rebuilds the field's whole choices dict on every call.
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _status_badge(ticket) -> str:
    css = STATUS_BADGE.get(ticket.status, "text-bg-light border")
    return f'<span class="badge rounded-pill {css}">{_e(_label(Status, ticket.status))}</span>'


@register.filter
def status_badge(ticket) -> SafeString:
    return mark_safe(_status_badge(ticket))  # noqa: S308 - built from escaped values only


def _priority(ticket) -> str:
    label = _e(_label(Priority, ticket.priority))
    css = PRIORITY_BADGE.get(ticket.priority)
    return f'<span class="badge {css}">{label}</span>' if css else label


def _due(ticket, now) -> str:
    if ticket.paused_at:
        return '<span class="text-body-secondary">paused</span>'
    if not ticket.resolution_due_at:
        return ""
    due = localtime(ticket.resolution_due_at)
    css = ' class="text-danger fw-semibold"' if ticket.resolution_due_at < now else ""
    return f'<time datetime="{_e(due.isoformat())}"{css}>{due.day} {due:%b %H:%M}</time>'


def _row(ticket, now, url: str) -> str:
    requester = _e(ticket.requester.get_full_name())
    assignee = _e(ticket.assignee.get_short_name()) if ticket.assignee_id else "—"
    return (
        f'<tr><td><a href="{_e(url)}">{_e(ticket.subject)}</a><br><small class="text-body-secondary">'
        f'{_e(ticket.reference)}<span class="d-md-none"> · {requester}</span></small></td>'
        f'<td class="d-none d-md-table-cell">{requester}</td>'
        f'<td class="d-none d-lg-table-cell">{_e(ticket.queue.name)}</td>'
        f"<td>{_priority(ticket)}</td><td>{_status_badge(ticket)}</td>"
        f'<td class="d-none d-md-table-cell">{assignee}</td>'
        f'<td class="d-none d-sm-table-cell">{_due(ticket, now)}</td></tr>'
    )


@register.simple_tag
def desk_rows(tickets, now) -> SafeString:
    rows = [_row(t, now, reverse("tickets:desk_ticket", args=[t.pk])) for t in tickets]
    if not rows:
        return mark_safe('<tr><td colspan="7" class="text-body-secondary">No tickets here.</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - every row is built from escaped values


def _day(value) -> str:
    if not value:
        return ""
    value = localtime(value)
    return f"{value.day} {value:%b}"


def _order_line(line) -> str:
    when = _day(line.delivered_at) or _day(line.shipped_at)
    return (
        f"<li>{line.quantity} &times; {_e(line.product.name)} · {_e(line.get_status_display().lower())}"
        f"{' ' + when if when else ''} · {line.product.on_hand} in stock</li>"
    )


@register.simple_tag
def recent_orders_panel(orders) -> SafeString:
    """The requester's latest orders beside a ticket (a nested template loop with date filters
    cost a third of the ticket page)."""
    if not orders:
        return mark_safe('<p class="text-body-secondary mb-0">No orders.</p>')
    blocks = []
    for order in orders:
        lines = "".join(_order_line(line) for line in order.lines.all())
        blocks.append(
            f'<div class="mb-2"><strong>{_e(order.number)}</strong> · {_e(order.store.name)} · '
            f"{_e(order.get_status_display())} · {_day(order.created_at)} {localtime(order.created_at).year}"
            f'<ul class="mb-0 ps-3">{lines}</ul></div>'
        )
    return mark_safe("\n".join(blocks))  # noqa: S308 - built from escaped values only
