"""Write the load benchmark's fixture file: product URLs, open tickets, API tokens, an agent session.

    DJANGO_SETTINGS_MODULE=helpdesk_project.settings.base python bench/load/make_fixtures.py out.json

Run by bench/load_bench.py after seeding. The agent's session is created the way Django's test
client does it (``force_login``), so the load users skip the password hash a real log-in costs.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_project.settings.base")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from accounts.models import User  # noqa: E402
from inventory import selectors as inventory_selectors  # noqa: E402
from inventory.demo import SCALED_CUSTOMER_DOMAIN  # noqa: E402
from tickets import selectors as ticket_selectors  # noqa: E402


def main(out: str) -> None:
    rng = random.Random(5)
    products = list(
        inventory_selectors.product_list_for_storefront()
        .filter(on_hand__gt=0)
        .order_by("pk")
        .values_list("pk", "slug", "sale_price", "price")
    )
    products = rng.sample(products, k=min(len(products), 1000))
    agent = User.objects.get(email="agent@stockdesk.local")
    tickets = list(ticket_selectors.ticket_list_for_agent(agent, view="open").values_list("pk", flat=True)[:5000])
    buyers = User.objects.filter(email__endswith=f"@{SCALED_CUSTOMER_DOMAIN}").order_by("pk")[:50]
    client = Client()
    client.force_login(agent)
    fixtures = {
        "products": [{"id": pk, "price": str(sale if sale is not None else price)} for pk, _s, sale, price in products],
        "product_urls": [f"/shop/product/{pk}/{slug}/" for pk, slug, *_ in products],
        "ticket_urls": [f"/desk/tickets/{pk}/" for pk in rng.sample(tickets, k=min(len(tickets), 1000))],
        "tokens": [Token.objects.get_or_create(user=user)[0].key for user in buyers],
        "agent_cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}",
    }
    Path(out).write_text(json.dumps(fixtures))
    print(
        f"fixtures: {len(fixtures['products'])} products, {len(fixtures['ticket_urls'])} open tickets, "
        f"{len(fixtures['tokens'])} buyer tokens"
    )


if __name__ == "__main__":
    main(sys.argv[1])
