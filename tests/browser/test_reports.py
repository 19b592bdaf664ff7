"""The reports page draws its charts from the locally served Chart.js under the CSP, and fits a phone."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import PASSWORD, AgentFactory
from conftest import PHONE, browser_login
from tickets import services as ticket_services
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reports_page_charts_and_fits_390px(new_page, customer):
    sla_policies()
    lead = AgentFactory(name="Lee Lead")
    lead.user_permissions.add(Permission.objects.get(codename="view_desk_reports"))
    queue = QueueFactory(agents=[lead])
    for i in range(3):
        ticket_services.ticket_create(requester=customer, queue=queue, subject=f"Lamp {i}", description="?")
    page = new_page(PHONE)
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    browser_login(page, lead.email, PASSWORD)
    response = page.goto("/desk/reports/")
    page.wait_for_load_state("networkidle")
    assert response.status == 200
    assert problems == []
    # Chart.js drew the backlog (it sizes the canvas and marks it as its own)
    assert page.evaluate("Chart.getChart(document.getElementById('backlog-chart')) !== undefined")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_text("Backlog as a table").click()
    assert page.get_by_role("columnheader", name="Open").is_visible()
