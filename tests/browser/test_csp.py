"""Every main page works under the Content-Security-Policy: no script is blocked.

A real headless Chromium reports each CSP violation on the console; the main pages of
every role must load without one (inline scripts would be blocked and show up here).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from accounts.tests.factories import PASSWORD, AgentFactory, OpsFactory
from chatbot.demo import seed_articles
from chatbot.models import Article
from conftest import DESKTOP, browser_login
from inventory import services_forecast
from inventory.models import DemandForecast
from inventory.tests.factories import ProductFactory, with_stock
from inventory.tests.forecast_helpers import AS_OF, load_sales
from tickets import services as ticket_services
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


def test_main_pages_run_under_the_csp(new_page, customer, store):
    sla_policies()
    agent = AgentFactory()
    queue = QueueFactory(agents=[agent])
    product = with_stock(ProductFactory(store=store, name="Desk lamp"), 10)
    ticket = ticket_services.ticket_create(requester=customer, queue=queue, subject="Lamp", description="Flickers")
    kettle = load_sales(
        ProductFactory(store=store, name="Kettle", lead_time_days=7, launch_date=AS_OF - timedelta(60)), [3] * 60
    )
    services_forecast.demand_forecast_run(products=[kettle], as_of=AS_OF)
    forecast = DemandForecast.objects.get(product=kettle)
    ops = OpsFactory(is_superuser=True)
    seed_articles()
    article = Article.objects.filter(is_published=True).first()

    visits = [
        (
            None,
            [
                "/",
                "/shop/",
                product.get_absolute_url(),
                "/accounts/login/",
                "/accounts/signup/",
                "/api/docs/",
                "/help/",
                f"/help/{article.slug}/",
            ],
        ),
        (customer, ["/support/tickets/", "/support/tickets/new/", f"/support/tickets/{ticket.reference}/"]),
        (agent, ["/desk/", f"/desk/tickets/{ticket.pk}/", "/desk/dashboard/"]),
        (
            ops,
            [
                "/admin/",
                "/admin/inventory/product/",
                f"/admin/inventory/product/{product.pk}/change/",
                f"/admin/inventory/demandforecast/{forecast.pk}/change/",
                "/admin/tickets/ticket/",
            ],
        ),
    ]
    for user, paths in visits:
        page = new_page(DESKTOP)
        problems = _watch(page)
        if user is not None:
            browser_login(page, user.email, PASSWORD)
        for path in paths:
            response = page.goto(path)
            page.wait_for_load_state("networkidle")
            assert response.status == 200, path
            assert "content-security-policy" in response.headers, path
            assert problems == [], (path, problems)
