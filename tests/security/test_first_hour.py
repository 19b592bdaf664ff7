"""Escapes found by probing StockDesk as an attacker would on its first hour (issue 21).

Each test failed before its fix: a lockout sidestepped by capital letters, ops making itself a
superuser, an uncapped cart line, a forged sender writing into a customer's ticket, and agents
browsing every staff account.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import SESSION_KEY
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Notification, User
from accounts.tests.factories import PASSWORD, AgentFactory, CustomerFactory, OpsFactory, RetailerFactory
from inventory import services as inventory_services
from inventory.models import Order
from inventory.tests.factories import ProductFactory, with_stock
from tickets import services as ticket_services
from tickets.email_in import email_ingest, email_release
from tickets.models import InboundEmail, Message, Ticket
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = pytest.mark.django_db


# --- 1. The lockout counts an address however it is capitalised ------------------------------------


def _capitalisations(email: str, count: int) -> list[str]:
    local, domain = email.split("@")
    return [local[: i + 1].upper() + local[i + 1 :] + "@" + domain for i in range(count)]


def test_the_login_lockout_counts_the_address_whatever_its_capitals(client, settings):
    customer = CustomerFactory(email="customer06@example.com")
    url = reverse("accounts:login")
    # Given the limit of wrong passwords, each time with other capitals
    for spelling in _capitalisations(customer.email, settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": spelling, "password": "wrong-password"})
    # Then the right password with yet other capitals is refused too
    response = client.post(url, {"username": "CUSTOMER06@EXAMPLE.COM", "password": PASSWORD})
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_the_api_token_lockout_counts_the_address_whatever_its_capitals(settings):
    customer = CustomerFactory(email="customer07@example.com")
    api = APIClient()
    for spelling in _capitalisations(customer.email, settings.AXES_FAILURE_LIMIT):
        assert (
            api.post("/api/v1/auth/token/", {"username": spelling, "password": "wrong"}, format="json").status_code
            == 400
        )
    response = api.post(
        "/api/v1/auth/token/", {"username": "Customer07@Example.com", "password": PASSWORD}, format="json"
    )
    assert response.status_code in (400, 403, 429)
    assert "token" not in response.json()
    # While an address nobody hammered still gets its token with other capitals
    other = CustomerFactory(email="customer08@example.com")
    assert (
        "token"
        in api.post(
            "/api/v1/auth/token/", {"username": "Customer08@example.COM", "password": PASSWORD}, format="json"
        ).json()
    )
    assert other.auth_token.key


# --- 2. Only a superuser changes who may do what ---------------------------------------------------


def _user_change_form(user: User, **changes) -> dict:
    data = {
        "email": user.email,
        "name": user.name,
        "phone": user.phone,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_ops_cannot_make_itself_a_superuser_or_grant_rights(client):
    ops = OpsFactory()
    customer = CustomerFactory()
    client.force_login(ops)
    escalate = {"is_superuser": "on", "is_staff": "on", "groups": [g.pk for g in ops.groups.all()]}

    page = client.get(reverse("admin:accounts_user_change", args=[ops.pk])).content.decode()
    assert 'name="is_superuser"' not in page  # shown, not editable
    for target in (ops, customer):
        client.post(reverse("admin:accounts_user_change", args=[target.pk]), _user_change_form(target, **escalate))

    ops.refresh_from_db()
    customer.refresh_from_db()
    assert (ops.is_superuser, customer.is_superuser, customer.is_staff) == (False, False, False)
    assert list(customer.groups.values_list("name", flat=True)) == ["customer"]


def test_ops_cannot_change_another_staff_account(client):
    ops, agent = OpsFactory(), AgentFactory()
    client.force_login(ops)
    response = client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]), _user_change_form(agent, email="mine@example.com")
    )
    assert response.status_code == 403
    agent.refresh_from_db()
    assert agent.email != "mine@example.com"
    assert client.get(reverse("admin:auth_user_password_change", args=[agent.pk])).status_code == 403


def test_a_superuser_still_grants_rights(client):
    admin = User.objects.create_superuser(email="root@example.com", password=PASSWORD)
    customer = CustomerFactory()
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_change", args=[customer.pk]), _user_change_form(customer, is_staff="on")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.is_staff is True


# --- 3. A cart line stops at the line maximum, however it is reached -------------------------------


def test_adding_to_a_cart_line_stops_at_the_maximum(client, customer, store):
    product = with_stock(ProductFactory(store=store, price=Decimal("3.00")), 500)
    client.force_login(customer)
    for _ in range(3):
        client.post(reverse("storefront:cart_add"), {"product": product.pk, "quantity": 99})
    cart = client.get(reverse("storefront:cart"))
    assert [line.quantity for line in cart.context["lines"]] == [99]
    assert "At most 99 of one product per order" in cart.content.decode()


def test_order_place_refuses_a_line_above_the_maximum(customer, store):
    product = with_stock(ProductFactory(store=store, price=Decimal("3.00")), 500)
    with pytest.raises(inventory_services.OrderError, match="At most 99"):
        inventory_services.order_place(
            customer=customer,
            items=[inventory_services.CartItem(product_id=product.pk, quantity=297, unit_price=Decimal("3.00"))],
            delivery=inventory_services.DeliveryDetails(name="C", address="1 St", postcode="1000", city="A"),
            payment_method=Order.PaymentMethod.CASH_ON_DELIVERY,
        )
    assert not Order.objects.exists()
    product.refresh_from_db()
    assert product.on_hand == 500


# --- 4. Inbound email: From: is not proof of who wrote it -------------------------------------------


@pytest.fixture
def victim_ticket():
    sla_policies()
    QueueFactory(slug="general", name="General", agents=[AgentFactory()])
    customer = CustomerFactory(email="ann@example.com", name="Ann")
    return ticket_services.ticket_create(
        requester=customer,
        queue=QueueFactory(slug="orders"),
        subject="My order",
        description="Where is it?",
    )


def _email(sender: str, *, body: str, subject: str = "Hello", headers: str = "", message_id: str = "<m1@x>") -> bytes:
    return (
        f"{headers}From: {sender}\r\nTo: support@stockdesk.local\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def test_a_forged_sender_with_a_leaked_reply_token_is_held_not_added(victim_ticket, settings):
    settings.INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS = ["mx.stockdesk.local"]
    token = ticket_services.reply_token(victim_ticket)
    forged = _email(
        "Ann <ann@example.com>",
        subject=f"Re: [{token}]",
        body="Please send the refund to my new account",
        # The attacker's own header (another authserv-id) is not believed; ours says DMARC failed.
        headers="Authentication-Results: mx.stockdesk.local; spf=fail; dkim=none; dmarc=fail header.from=example.com\r\n"
        "Authentication-Results: evil.example; dmarc=pass header.from=example.com\r\n",
    )
    messages_before, notifications_before = Message.objects.count(), Notification.objects.count()

    inbound = email_ingest(raw=forged)

    assert inbound.outcome == InboundEmail.Outcome.HELD
    assert "DMARC fail" in inbound.reason
    assert (Message.objects.count(), Notification.objects.count()) == (messages_before, notifications_before)


def test_mail_with_no_verdict_opens_no_ticket_in_a_customers_name(victim_ticket):
    inbound = email_ingest(raw=_email("ann@example.com", body="Cancel all my orders", message_id="<m2@x>"))
    assert inbound.outcome == InboundEmail.Outcome.HELD
    assert Ticket.objects.count() == 1


def test_a_verified_sender_is_threaded_and_an_agent_may_release_a_held_one(victim_ticket, settings):
    settings.INBOUND_EMAIL_TRUSTED_AUTHSERV_IDS = ["mx.stockdesk.local"]
    token = ticket_services.reply_token(victim_ticket)
    verified = _email(
        "ann@example.com",
        subject=f"Re: [{token}]",
        body="It arrived, thanks",
        headers="Authentication-Results: mx.stockdesk.local; dkim=pass header.d=example.com; dmarc=none\r\n",
        message_id="<m3@x>",
    )
    assert email_ingest(raw=verified).outcome == InboundEmail.Outcome.THREADED

    held = email_ingest(raw=_email("ann@example.com", subject=f"Re: [{token}]", body="One more", message_id="<m4@x>"))
    assert held.outcome == InboundEmail.Outcome.HELD
    released = email_release(inbound=held, actor=AgentFactory())
    assert released.outcome == InboundEmail.Outcome.THREADED
    assert released.ticket_id == victim_ticket.pk
    assert "released by" in released.reason
    with pytest.raises(ticket_services.TicketError):
        email_release(inbound=released, actor=AgentFactory())


# --- 5. Agents look up customers, not the staff ----------------------------------------------------


def test_agents_see_only_customers_in_the_user_admin_and_its_autocomplete(client, store):
    agent = AgentFactory()
    customer = CustomerFactory(email="findme-customer@example.com")
    others = [
        RetailerFactory(email="findme-retailer@example.com"),
        OpsFactory(email="findme-ops@example.com"),
        AgentFactory(email="findme-agent@example.com"),
    ]
    client.force_login(agent)
    listing = client.get(reverse("admin:accounts_user_changelist"), {"q": "findme"}).content.decode()
    assert customer.email in listing
    assert not [u.email for u in others if u.email in listing]
    for other in others:
        assert client.get(reverse("admin:accounts_user_change", args=[other.pk])).status_code == 404
    found = client.get(
        reverse("admin:autocomplete"),
        {"term": "findme", "app_label": "accounts", "model_name": "storemembership", "field_name": "user"},
    )
    assert found.status_code == 200
    assert [r["text"] for r in found.json()["results"]] == [customer.email]
