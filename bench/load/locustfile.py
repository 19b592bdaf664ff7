"""The StockDesk load mix for locust (used by bench/load_bench.py; loopback only).

Anonymous browsing (home, catalogue pages, search, product pages), customers checking out,
chatting and raising tickets, and agents working their queue. ``TrivialUser`` alone measures
the ceiling: the same server answering /ping.
"""

from __future__ import annotations

import random
import re

from locust import HttpUser, between, task

PRODUCT_LINKS = re.compile(r'href="(/shop/product/\d+/[\w-]+/)"')
SEARCH_WORDS = ["lamp", "towel", "knife", "garden", "pen", "kettle", "mat", "saw", "bulb"]


def _csrf(client) -> str:
    return client.cookies.get("csrftoken", "")


class TrivialUser(HttpUser):
    wait_time = between(0, 0)

    @task
    def ping(self):
        self.client.get("/ping", name="trivial /ping")


class Browser(HttpUser):
    weight = 6
    wait_time = between(0.5, 1.5)
    products: list[str] = []

    def on_start(self):
        page = self.client.get("/shop/", name="catalogue")
        Browser.products = Browser.products or PRODUCT_LINKS.findall(page.text)

    @task(2)
    def home(self):
        self.client.get("/", name="home")

    @task(3)
    def catalogue(self):
        self.client.get(f"/shop/?page={random.randint(1, 5)}", name="catalogue")

    @task(2)
    def search(self):
        self.client.get(f"/shop/?q={random.choice(SEARCH_WORDS)}", name="search")

    @task(4)
    def product(self):
        if self.products:
            self.client.get(random.choice(self.products), name="product page")


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
        page = self.client.get("/shop/?sort=price", name="catalogue")
        self.products = PRODUCT_LINKS.findall(page.text)

    @task(3)
    def buy(self):
        if not self.products:
            return
        page = self.client.get(random.choice(self.products), name="product page")
        pk = re.search(r'name="product" value="(\d+)"', page.text)
        if pk is None:
            return
        self.client.post(
            "/shop/cart/add/",
            {"product": pk.group(1), "quantity": 1, "csrfmiddlewaretoken": _csrf(self.client)},
            name="cart add",
        )
        self.client.get("/shop/checkout/", name="checkout form")
        with self.client.post(
            "/shop/checkout/",
            {
                "delivery_name": "Load Tester",
                "delivery_address": "1 Bench Street",
                "delivery_postcode": "1000 AA",
                "delivery_city": "Amsterdam",
                "payment_method": "pickup",
                "csrfmiddlewaretoken": _csrf(self.client),
            },
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
                json={"text": "How much is shipping?"},
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
        self.client.get("/accounts/login/", name="login form")
        self.client.post(
            "/accounts/login/",
            {
                "username": "agent@stockdesk.local",
                "password": "stockdesk-agent",
                "csrfmiddlewaretoken": _csrf(self.client),
            },
            name="login",
        )

    @task
    def queue(self):
        page = self.client.get("/desk/?view=open", name="agent queue")
        tickets = re.findall(r'href="(/desk/tickets/\d+/)"', page.text)
        if tickets:
            self.client.get(random.choice(tickets), name="ticket page")
