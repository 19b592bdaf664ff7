"""The StockDesk load mix for locust (driven by bench/load_bench.py; loopback only).

Two kinds of user classes:

- **Saturation** (no think time, one page each): ``Ping`` (the trivial view: the ceiling),
  ``CataloguePages``, ``ProductPages``, ``AgentQueue``, ``TicketPages`` and ``Checkout`` (orders
  through the API, one request per order). Run one class at a time to get that page's
  requests/s at saturation, comparable with the ceiling measured in the same run.
- **Realistic mix** (think time): ``Browser`` (anonymous: home, catalogue pages, search, product
  pages), ``Customer`` (signs up, adds to cart and checks out, chats, raises a ticket) and
  ``Agent`` (works the queue).

The benchmark writes a fixture file (``BENCH_FIXTURES``, JSON) with product URLs and ids, open
ticket URLs, API tokens of load customers and an agent's session cookie, so saturation users
need no log-in (password hashing would dominate their first seconds).
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task
from locust.contrib.fasthttp import FastHttpUser

FIXTURES = json.loads(Path(os.environ["BENCH_FIXTURES"]).read_text()) if os.environ.get("BENCH_FIXTURES") else {}
PRODUCT_LINKS = re.compile(r'href="(/shop/product/\d+/[\w-]+/)"')
SEARCH_WORDS = ["lamp", "towel", "knife", "garden", "pen", "kettle", "mat", "saw", "bulb", "teapot", "compact"]
CATEGORIES = ["", "kitchen", "stationery", "bathroom", "toys"]
DELIVERY = {
    "delivery_name": "Bench Buyer",
    "delivery_address": "1 Bench Street",
    "delivery_postcode": "1000 AA",
    "delivery_city": "Amsterdam",
    "payment_method": "pickup",
}


def _csrf(client) -> str:
    return client.cookies.get("csrftoken", "")


# --- saturation: one page each, no think time ---------------------------------------------------


class Ping(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def ping(self):
        self.client.get("/ping", name="trivial /ping")


class CataloguePages(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def catalogue(self):
        category = random.choice(CATEGORIES)
        query = f"category={category}&" if category else ""
        self.client.get(f"/shop/?{query}page={random.randint(1, 20)}", name="catalogue")


class ProductPages(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def product(self):
        self.client.get(random.choice(FIXTURES["product_urls"]), name="product page")


class AgentQueue(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def queue(self):
        self.client.get("/desk/?view=open", name="agent queue", headers={"Cookie": FIXTURES["agent_cookie"]})


class TicketPages(FastHttpUser):
    wait_time = between(0, 0)

    @task
    def ticket(self):
        self.client.get(
            random.choice(FIXTURES["ticket_urls"]), name="ticket page", headers={"Cookie": FIXTURES["agent_cookie"]}
        )


class Checkout(FastHttpUser):
    """Places one-line orders through the API as load customers; "sold out" is a correct answer."""

    wait_time = between(0, 0)

    @task
    def order(self):
        product = random.choice(FIXTURES["products"])
        with self.client.post(
            "/api/v1/orders/",
            json={"items": [{"product": product["id"], "quantity": 1, "unit_price": product["price"]}], **DELIVERY},
            headers={"Authorization": f"Token {random.choice(FIXTURES['tokens'])}"},
            name="checkout (API order)",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                response.success()
            elif response.status_code == 400 and "left" in response.text:
                response.success()  # sold out: refused cleanly, nothing oversold
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


# --- the realistic mix ---------------------------------------------------------------------------


class Browser(HttpUser):
    weight = 6
    wait_time = between(0.5, 1.5)

    @task(2)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def catalogue(self):
        self.client.get(f"/shop/?page={random.randint(1, 20)}", name="catalogue")

    @task(2)
    def search(self):
        self.client.get(f"/shop/?q={random.choice(SEARCH_WORDS)}", name="search")

    @task(4)
    def product(self):
        self.client.get(random.choice(FIXTURES["product_urls"]), name="product page")


class Customer(HttpUser):
    weight = 2
    wait_time = between(1, 2)

    def on_start(self):
        self.client.get("/accounts/signup/", name="signup form")
        n = random.randint(0, 10**9)
        self.client.post(
            "/accounts/signup/",
            {
                "email": f"load{n}@example.com",
                "name": "Load Tester",
                "password1": "load-test-passphrase",
                "password2": "load-test-passphrase",
                "csrfmiddlewaretoken": _csrf(self.client),
            },
            name="signup",
        )

    @task(3)
    def buy(self):
        page = self.client.get(random.choice(FIXTURES["product_urls"]), name="product page")
        pk = re.search(r'name="product" value="(\d+)"', page.text)
        if pk is None:
            return  # sold out meanwhile: the page offers "notify me" instead
        self.client.post(
            "/shop/cart/add/",
            {"product": pk.group(1), "quantity": 1, "csrfmiddlewaretoken": _csrf(self.client)},
            name="cart add",
        )
        self.client.get("/shop/checkout/", name="checkout form")
        with self.client.post(
            "/shop/checkout/",
            {**DELIVERY, "csrfmiddlewaretoken": _csrf(self.client)},
            name="checkout",
            catch_response=True,
        ) as response:
            # Sold out is a correct answer under load, not an error.
            if response.status_code in (200, 302):
                response.success()

    @task(1)
    def chat(self):
        headers = {"X-CSRFToken": _csrf(self.client)}
        conversation = self.client.post("/api/v1/chat/conversations/", json={}, headers=headers, name="chat start")
        if conversation.status_code == 201:
            self.client.post(
                f"/api/v1/chat/conversations/{conversation.json()['id']}/messages/",
                json={
                    "text": random.choice(
                        ["How much is shipping?", "Can I return a lamp?", "Do you deliver on Sunday?"]
                    )
                },
                headers=headers,
                name="chat message",
            )

    @task(1)
    def raise_ticket(self):
        page = self.client.get("/support/tickets/new/", name="ticket form")
        queue = re.search(r'<option value="(\d+)"', page.text)
        if queue:
            self.client.post(
                "/support/tickets/new/",
                {
                    "queue": queue.group(1),
                    "subject": "Load test",
                    "description": "Where is my parcel?",
                    "csrfmiddlewaretoken": _csrf(self.client),
                },
                name="ticket create",
            )


class Agent(HttpUser):
    weight = 1
    wait_time = between(1, 2)

    def on_start(self):
        self.client.headers["Cookie"] = FIXTURES["agent_cookie"]

    @task
    def queue(self):
        page = self.client.get("/desk/?view=open", name="agent queue")
        tickets = re.findall(r'href="(/desk/tickets/\d+/)"', page.text)
        if tickets:
            self.client.get(random.choice(tickets), name="ticket page")
