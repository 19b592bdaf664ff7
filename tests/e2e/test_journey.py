"""The whole StockDesk day in one real headless Chromium, with screenshots of every main page.

A retailer lowers stock and the low-stock email appears in the outbox; a customer signs up,
buys, asks the bot, hands over and rates the ticket; an agent answers. Screenshots of the
main pages at phone and desktop width land in ``output/screenshots/`` (ignored by git; CI
keeps the folder as its artefact).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from playwright.sync_api import expect

from accounts.models import Notification, User
from accounts.tests.factories import PASSWORD
from conftest import DESKTOP, PHONE, browser_login
from inventory.models import Order, StoreShipping
from inventory.tests.factories import ProductFactory, with_stock
from tickets.models import Queue, Status, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("help_centre")]

SHOTS = Path(settings.BASE_DIR) / "output" / "screenshots"


def shoot(page, name: str) -> None:
    width = page.viewport_size["width"]
    folder = SHOTS / ("phone" if width < 600 else "desktop")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_a_day_at_the_shop(new_page, retailer, store, agent):
    # The help centre quotes the store's delivery fee from its settings (chatbot/facts.py).
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"), free_delivery_threshold=Decimal("50"))
    Queue.objects.get_or_create(slug="orders", defaults={"name": "Orders & delivery"})[0].agents.add(agent)
    lantern = with_stock(
        ProductFactory(store=store, name="Garden Lantern", price="19.95", reorder_point=3, reorder_quantity=10), 10
    )

    # 1. The retailer counts 8 broken lanterns: stock falls under the reorder point.
    back_office = new_page(DESKTOP)
    browser_login(back_office, retailer.email, PASSWORD)
    back_office.goto("/admin/inventory/product/")
    back_office.locator(f"input[name=_selected_action][value='{lantern.pk}']").check()
    back_office.locator("select[name=action]").select_option("adjust_stock")
    back_office.get_by_role("button", name="Run").or_(back_office.get_by_role("button", name="Go")).first.click()
    back_office.fill("#id_quantity", "-8")
    back_office.fill("#id_reason", "Counted: 8 broken in the storm")
    back_office.get_by_role("button", name="Adjust stock").click()
    expect(back_office.locator(".messagelist")).to_contain_text("Stock adjusted for 1 product")
    alert = Notification.objects.get(store=store, idempotency_key__startswith="low-stock:")
    assert "Garden Lantern" in alert.subject + alert.body
    back_office.goto("/admin/accounts/notification/")
    expect(back_office.locator("#result_list")).to_contain_text(alert.recipient)
    shoot(back_office, "retailer-outbox")

    # 2. A customer signs up and buys one of the two lanterns left.
    shop = new_page(DESKTOP)
    shop.goto("/accounts/signup/")
    shop.fill("#id_email", "robin@example.com")
    shop.fill("#id_name", "Robin Shopper")
    shop.fill("#id_password1", "lanterns-in-the-garden")
    shop.fill("#id_password2", "lanterns-in-the-garden")
    shop.get_by_role("button", name="Create account").click()
    expect(shop.locator("main")).to_contain_text("Your account is ready")
    shop.goto(lantern.get_absolute_url())
    expect(shop.get_by_test_id("stock-status")).to_have_text("Only 2 left")
    shop.get_by_role("button", name="Add to cart").click()
    shop.locator("main").get_by_role("link", name="Checkout").click()
    shop.fill("#id_delivery_address", "5 Orchard Lane")
    shop.fill("#id_delivery_postcode", "1000 AB")
    shop.fill("#id_delivery_city", "Amsterdam")
    shop.get_by_label("Pay at pickup").check()
    shop.get_by_role("button", name="Place order").click()
    expect(shop.get_by_test_id("order-status")).to_have_text("Placed")
    customer = User.objects.get(email="robin@example.com")
    order = Order.objects.get(customer=customer)

    # 3. They ask the bot about shipping in the help centre, then want a person.
    shop.goto("/help/")
    shop.get_by_role("button", name="Chat with us").click()
    shop.get_by_label("Your message").fill("How much is shipping?")
    shop.keyboard.press("Enter")
    dialog = shop.get_by_role("dialog", name="Help assistant")
    expect(dialog.locator(".chat-msg-bot").last).to_contain_text("€4.95")
    shop.get_by_role("button", name="Talk to a person").click()
    expect(dialog).to_contain_text(re.compile(r"TCK-\d{5}"))
    ticket = Ticket.objects.get(requester=customer)
    assert ticket.channel == "chat"
    shoot(shop, "customer-chat-handover")

    # 4. The agent answers from the desk and resolves the ticket.
    desk = new_page(DESKTOP)
    browser_login(desk, agent.email, PASSWORD)
    desk.goto(f"/desk/tickets/{ticket.pk}/")
    expect(desk.locator("main")).to_contain_text("How much is shipping?")  # the transcript
    expect(desk.locator("main")).to_contain_text(order.number)  # the customer's recent order
    desk.locator("textarea[name=body]").fill("Shipping is €4.95, free from €50. Your lantern is on its way!")
    desk.get_by_label("Then set status").select_option("resolved")
    desk.get_by_role("button", name="Send", exact=True).click()
    expect(desk.locator("main")).to_contain_text("Reply sent to the customer")
    shoot(desk, "agent-ticket")

    # 5. The customer rates the help from the link in the resolution email.
    resolution = next(m for m in mail.outbox if m.to == [customer.email] and "Resolved" in m.subject)
    link = re.search(r"https?://\S+(/support/rate/\S+/)", resolution.body).group(1)
    shop.goto(link)
    shop.locator("input[name=score][value='5']").check()
    shop.get_by_role("button", name="Send rating").click()
    expect(shop.locator("main")).to_contain_text("Thank you for your rating")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.csat_score) == (Status.RESOLVED, 5)

    # 6. Screenshots of every main page at both widths.
    pages = {
        None: {"home": "/", "catalogue": "/shop/", "product": lantern.get_absolute_url(), "help": "/help/"},
        customer: {
            "my-orders": "/shop/orders/",
            "my-requests": "/support/tickets/",
            "ticket": f"/support/tickets/{ticket.reference}/",
        },
        agent: {"desk": "/desk/?view=open", "dashboard": "/desk/dashboard/"},
        retailer: {
            "admin-products": "/admin/inventory/product/",
            "admin-forecasts": "/admin/inventory/demandforecast/",
        },
    }
    for viewport in (PHONE, DESKTOP):
        for user, paths in pages.items():
            page = new_page(viewport)
            if user is not None:
                password = "lanterns-in-the-garden" if user == customer else PASSWORD
                browser_login(page, user.email, password)
            for name, path in paths.items():
                response = page.goto(path)
                assert response.status == 200, path
                shoot(page, name)
    assert len(list(SHOTS.glob("*/*.png"))) >= 2 * 11
