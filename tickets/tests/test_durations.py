"""Durations read as people say them: the dashboard never shows "6180 min"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.template import Context, Template
from django.utils import timezone

from tickets.models import SLAPolicy, Ticket
from tickets.templatetags.durations import human_duration


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (6180, "4 d 7 h"),
        (103, "1 h 43 min"),
        (60, "1 h"),
        (59.9, "59 min"),
        (12, "12 min"),
        (0, "0 min"),
        (0.4, "under 1 min"),
        (24 * 60, "1 d"),
        (24 * 60 + 59, "1 d"),
        (timedelta(days=2, hours=3, minutes=5), "2 d 3 h"),
        (timedelta(seconds=90), "1 min"),
        (-90, "-1 h 30 min"),
        (None, ""),
    ],
)
def test_human_duration(value, text):
    assert human_duration(value) == text


def test_the_filter_renders_and_leaves_nonsense_alone():
    template = Template("{% load durations %}[{{ a|duration }}] [{{ b|duration }}]")
    assert template.render(Context({"a": 6180, "b": "soon"})) == "[4 d 7 h] [soon]"


def test_sla_policy_names_its_targets_in_hours():
    policy = SLAPolicy(priority="normal", first_response_minutes=90, resolution_minutes=2880)
    assert str(policy) == "Normal: reply in 1 h 30 min, resolve in 2 d"


@pytest.mark.django_db
def test_dashboard_shows_first_reply_time_in_days_and_hours(client, ticket, agent):
    # Given a ticket answered 6180 minutes (4 days 7 hours) after it was opened
    Ticket.objects.filter(pk=ticket.pk).update(
        created_at=timezone.now() - timedelta(days=5),
        first_responded_at=timezone.now() - timedelta(days=5) + timedelta(minutes=6180),
    )
    client.force_login(agent)
    # When the agent opens the dashboard
    html = client.get("/desk/dashboard/").content.decode()
    # Then the median reads as days and hours
    assert "4 d 7 h" in html
    assert "6180" not in html


@pytest.mark.django_db
def test_sla_policy_admin_list_shows_targets_in_hours(client, ops_user, sla):
    ops_user.is_superuser = True
    ops_user.save()
    client.force_login(ops_user)
    html = client.get("/admin/tickets/slapolicy/").content.decode()
    # low priority: first reply in 240 min, resolve in 2880 min
    assert '<td class="field-first_response_target">4 h</td>' in html
    assert '<td class="field-resolution_target">2 d</td>' in html
