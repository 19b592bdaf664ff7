"""The agent desk's hot spots, rendered in Python.

The queue page shows 25 rows on every refresh. As a template loop (an include, two date filters
and a URL per row) they cost more than all the page's queries together, and even ``format_html``
per cell spent most of its time in Django's lazy-string checks. These helpers build the same
markup with f-strings; **every value that is not a constant goes through ``_e``**, the standard
library's ``html.escape`` (which is exactly what ``django.utils.html.escape`` calls), and the
result is marked safe once. ``tickets/tests/test_views.py`` checks the escaping.
"""

from __future__ import annotations

import functools
import re
from html import escape
from urllib.parse import quote

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, localtime

from accounts.models import full_name, short_name
from inventory.models import Order, OrderLine
from tickets.models import Channel, Message, Priority, Status, TicketEvent

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
    requester = _e(full_name(ticket.requester_name, ticket.requester_email))
    assignee = _e(short_name(ticket.assignee_name, ticket.assignee_email)) if ticket.assignee_id else "—"
    return (
        f'<tr><td><a href="{_e(url)}">{_e(ticket.subject)}</a><br><small class="text-body-secondary">'
        f'{_e(ticket.reference)}<span class="d-md-none"> · {requester}</span></small></td>'
        f'<td class="d-none d-md-table-cell">{requester}</td>'
        f'<td class="d-none d-lg-table-cell">{_e(ticket.queue_name)}</td>'
        f"<td>{_priority(ticket)}</td><td>{_status_badge(ticket)}</td>"
        f'<td class="d-none d-md-table-cell">{assignee}</td>'
        f'<td class="d-none d-sm-table-cell">{_due(ticket, now)}</td></tr>'
    )


def _ticket_url_prefix() -> str:
    # One reverse() per page instead of one per row (each costs about 25 µs): the ticket page's
    # URL is this prefix, the id and a slash.
    url = reverse("tickets:desk_ticket", args=[0])
    if not url.endswith("/0/"):
        raise ValueError(f"unexpected desk ticket URL {url!r}")
    return url[:-2]


@register.simple_tag
def desk_rows(tickets, now) -> SafeString:
    """The queue page's rows: ``tickets.selectors.DeskRow`` rows."""
    prefix = _ticket_url_prefix()
    rows = [_row(t, now, f"{prefix}{int(t.pk)}/") for t in tickets]
    if not rows:
        return mark_safe('<tr><td colspan="7" class="text-body-secondary">No tickets here.</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 - every row is built from escaped values


# The helpers below take the current time zone as an argument: each tag looks it up once, where
# ``localtime()`` looked it up for every date (a thread-local read, 8 µs of its 10).


def _day(value, tz) -> str:
    if not value:
        return ""
    value = value.astimezone(tz)
    return f"{value.day} {value:%b}"


def _order_line(line, tz) -> str:
    when = _day(line.delivered_at, tz) or _day(line.shipped_at, tz)
    return (
        f"<li>{int(line.quantity)} &times; {_e(line.product_name)} · "
        f"{_e(_label(OrderLine.Status, line.status).lower())}"
        f"{' ' + when if when else ''} · {int(line.product_on_hand)} in stock</li>"
    )


@register.simple_tag
def recent_orders_panel(orders) -> SafeString:
    """The requester's latest orders beside a ticket (a nested template loop with date filters
    cost a third of the ticket page): ``inventory.selectors.RecentOrder`` rows."""
    if not orders:
        return mark_safe('<p class="text-body-secondary mb-0">No orders.</p>')
    blocks = []
    tz = get_current_timezone()
    for order in orders:
        lines = "".join(_order_line(line, tz) for line in order.lines)
        blocks.append(
            f'<div class="mb-2"><strong>{_e(order.number)}</strong> · {_e(order.store_name)} · '
            f"{_e(_label(Order.Status, order.status))} · {_day(order.created_at, tz)} {order.created_at.astimezone(tz).year}"
            f'<ul class="mb-0 ps-3">{lines}</ul></div>'
        )
    return mark_safe("\n".join(blocks))  # noqa: S308 - built from escaped values only


# Month abbreviations as Django's "M" date format writes them in English (the site's language),
# whatever the process's C locale says.
_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NEWLINES = re.compile(r"\r\n|\r")


def _stamp(value, *, year: bool) -> str:
    """``<time>`` content as the templates wrote it ("j M Y, H:i" or "j M H:i"); ``value`` is local."""
    if year:
        return f"{value.day} {_MONTHS[value.month]} {value.year}, {value:%H:%M}"
    return f"{value.day} {_MONTHS[value.month]} {value:%H:%M}"


def _author(message) -> str:
    kind = message.author_kind
    has_author = message.author_name is not None
    if kind == Message.AuthorKind.CUSTOMER:
        return _e(full_name(message.author_name, message.author_email) if has_author else "") or "Customer"
    if kind == Message.AuthorKind.AGENT:
        name = short_name(message.author_name, message.author_email) if has_author else ""
        return f"{_e(name) or 'Support'} (support)"
    return "Assistant" if kind == Message.AuthorKind.BOT else "System"


@functools.cache
def _attachment_url_prefix() -> str:
    # One reverse() per process: the download URL is this prefix, the key and a slash.
    url = reverse("tickets:attachment", args=["0"])
    if not url.endswith("/0/"):
        raise ValueError(f"unexpected attachment URL {url!r}")
    return url[:-2]


def _attachment(attachment) -> str:
    url = f"{_attachment_url_prefix()}{quote(attachment.storage_key, safe=RFC3986_SUBDELIMS + '~:@')}/"
    return (
        f'<li>📎 <a href="{_e(url)}" download>{_e(attachment.original_name)}</a> '
        f'<span class="text-body-secondary">({_e(filesizeformat(attachment.size))})</span></li>'
    )


def _message(message, tz) -> str:
    # Spaces stand where the template had line breaks and indentation (the same to a browser).
    if message.is_internal:
        css = "border-warning bg-warning-subtle"
    elif message.author_kind == Message.AuthorKind.AGENT:
        css = "border-primary-subtle"
    else:
        css = ""
    badges = '<span class="badge text-bg-warning">Internal note</span> ' if message.is_internal else ""
    if message.channel != Channel.WEB:
        badges += f'<span class="badge text-bg-light border">{_e(_label(Channel, message.channel))}</span>'
    created = message.created_at.astimezone(tz)
    body = _e(_NEWLINES.sub("\n", message.body)).replace("\n", "<br>")
    attachments = message.attachments
    files = (
        f'<ul class="list-unstyled mt-2 mb-0 small"> {"".join(_attachment(a) for a in attachments)} </ul> '
        if attachments
        else ""
    )
    return (
        f'<article class="card mb-3 {css}" id="message-{message.pk}">'
        f' <div class="card-header small d-flex flex-wrap justify-content-between gap-2">'
        f" <span><strong>{_author(message)}</strong> {badges}</span>"
        f' <time datetime="{_e(created.isoformat())}">{_stamp(created, year=True)}</time> </div>'
        f' <div class="card-body"> <div class="message-body">{body}</div> {files}</div> </article>'
    )


@register.simple_tag
def message_thread(messages) -> SafeString:
    """A ticket's messages for the desk, as ``tickets/_messages.html`` renders them (a template loop
    with an include, date and size filters and a URL per attachment was a third of the ticket page).
    ``messages``: ``tickets.selectors.DeskMessage`` rows (``thread_for_desk``)."""
    tz = get_current_timezone()
    return mark_safe("\n".join(_message(m, tz) for m in messages))  # noqa: S308 - escaped values only


def _event(event, tz) -> str:
    created = event.created_at.astimezone(tz)
    actor = (_e(short_name(event.actor_name, event.actor_email)) if event.actor_name is not None else "") or "System"
    change = (
        f' <span class="text-body-secondary">{_e(event.old_value or "—")} → {_e(event.new_value or "—")}</span>'
        if event.old_value or event.new_value
        else ""
    )
    return (
        f'<li class="mb-1"><time class="text-body-secondary" datetime="{_e(created.isoformat())}">'
        f"{_stamp(created, year=False)}</time> {actor}: {_e(_label(TicketEvent.Kind, event.kind).lower())}{change}</li>"
    )


@register.simple_tag
def ticket_history(events) -> SafeString:
    """A ticket's history list items for the desk (the template loop it replaces cost as much as a query).
    ``events``: ``tickets.selectors.DeskEvent`` rows (``history_for_desk``)."""
    tz = get_current_timezone()
    return mark_safe("\n".join(_event(e, tz) for e in events))  # noqa: S308 - escaped values only


@register.filter
def desk_time(value) -> str:
    """``value|date:"j M H:i"`` in the current time zone ("" for no date), without the ``date``
    filter's general format parser (48 µs a date against 6 here)."""
    if not value:
        return ""
    return _stamp(localtime(value), year=False)


@register.simple_tag
def assignee_options(agents, assignee_id) -> SafeString:
    """The assign form's ``<option>`` per agent of the ticket's queue (``tickets.selectors.DeskAgent``),
    the current assignee selected, as the template loop wrote them."""
    return mark_safe(  # noqa: S308 - escaped values only
        "".join(
            f'<option value="{int(a.pk)}" {"selected" if a.pk == assignee_id else ""}>'
            f"{_e(a.full_name)}{' (away)' if a.is_away else ''}</option>"
            for a in agents
        )
    )


@register.simple_tag
def status_options(statuses) -> SafeString:
    """The status form's ``<option>`` per allowed (value, label) pair."""
    return mark_safe("".join(f'<option value="{_e(v)}">{_e(label)}</option>' for v, label in statuses))  # noqa: S308
