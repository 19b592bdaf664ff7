"""WCAG 2.2 AA scan: axe-core over every role's main pages, at desktop and phone width.

axe-core is installed from the npm registry by the project's own set-up (`make browser-deps`
runs `npm ci` from package-lock.json) and read from ``node_modules``: nothing is fetched
while the tests run. It is evaluated in each page through the browser's debugging protocol,
which the Content-Security-Policy does not govern, so the pages are scanned with their real
CSP on. Any serious or critical violation fails the test; the full list of findings (every
impact) is written to ``output/accessibility/`` for people to read.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from accounts.tests.factories import PASSWORD
from conftest import browser_login
from inventory import services
from inventory.models import DiscountCode
from inventory.tests.factories import (
    CategoryFactory,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    place_order,
    with_stock,
)
from tickets import services as ticket_services
from tickets.tests.factories import QueueFactory, sla_policies

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("help_centre")]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = Path(settings.BASE_DIR) / "output" / "accessibility"
# WCAG 2.0, 2.1 and 2.2 success criteria at levels A and AA (axe's own tags).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
BLOCKING = {"serious", "critical"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}


def axe_source() -> str:
    if not AXE.exists():
        message = f"{AXE} is missing: `make browser-deps` installs it (npm ci)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def scan(page, source: str) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations (every impact)."""
    page.wait_for_load_state("networkidle")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(source)
    result = page.evaluate(
        "options => window.axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]},
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [" ".join(map(str, n["target"])) for n in v["nodes"]][:5],
            "count": len(v["nodes"]),
        }
        for v in result["violations"]
    ]


@pytest.fixture
def shop_data(customer, store, retailer, agent):
    """A small shop: products with stock, an order, a ticket, a purchase order to receive."""
    sla_policies()
    queue = QueueFactory(agents=[agent])
    category = CategoryFactory(name="Lighting", slug="lighting")
    lamp = with_stock(ProductFactory(store=store, name="Desk lamp", category=category), 10)
    for n in range(5):
        with_stock(ProductFactory(store=store, name=f"Garden lantern {n}", category=category), 5 + n)
    order = place_order(customer, (lamp, 1))
    services.address_create(
        customer=customer,
        data=services.AddressInput(name="Casey", address="1 Main Street", postcode="1000 AA", city="Amsterdam"),
    )
    code = DiscountCode.objects.create(store=store, code="SPRING10", kind="percent", value=Decimal(10))
    ticket = ticket_services.ticket_create(
        requester=customer, queue=queue, subject="Lamp flickers", description="It flickers after an hour."
    )
    ticket_services.ticket_reply_agent(ticket=ticket, agent=agent, body="Sorry to hear that: is the bulb tight?")
    po = PurchaseOrderFactory(store=store)
    PurchaseOrderLineFactory(purchase_order=po, product=lamp, quantity_ordered=12)
    return {"product": lamp, "order": order, "ticket": ticket, "po": po, "code": code}


def walk(new_page, viewport, data, customer, retailer, agent):
    """Yield (name, page) at each page to scan, in the state a person would see it."""
    product, order, ticket, po = data["product"], data["order"], data["ticket"], data["po"]

    page = new_page(viewport)
    for name, path in [
        ("home", "/"),
        ("shop", "/shop/"),
        ("product", product.get_absolute_url()),
        ("help centre", "/help/"),
        ("help article", "/help/delivery-times/"),
        ("login", "/accounts/login/"),
        ("signup", "/accounts/signup/"),
    ]:
        assert page.goto(path).status == 200, path
        yield name, page
    page.goto("/help/")
    page.get_by_role("button", name="Chat with us").click()
    page.get_by_label("Your message").fill("How much is delivery?")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Help assistant")
    expect(dialog.locator(".chat-msg-bot")).to_have_count(2)
    yield "chat (open, answered)", page

    # A guest: the cart's discount preview (refused, then applied), checkout, the signed order page.
    page = new_page(viewport)
    page.goto(product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url("**/shop/cart/")
    page.get_by_label("Discount code").fill("NOPE")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("discount-error")).to_be_visible()
    yield "cart (code refused)", page
    page.get_by_label("Discount code").fill(data["code"].code)
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("summary-discount")).to_be_visible()
    yield "cart (code applied)", page
    page.get_by_role("link", name="Checkout").click()
    yield "guest checkout", page
    page.get_by_label("Email").fill("guest@example.com")
    page.get_by_label("Name").fill("Gale Guest")
    page.get_by_label("Address").fill("3 Side Street")
    page.get_by_label("Postcode").fill("1012 AB")
    page.get_by_label("City").fill("Amsterdam")
    page.get_by_role("button", name="Place order").click()
    page.wait_for_url("**/shop/orders/guest/**")
    yield "guest order (signed link)", page

    page = new_page(viewport)
    browser_login(page, customer.email, PASSWORD)
    assert page.goto("/shop/addresses/").status == 200
    yield "addresses", page
    page.get_by_role("link", name="Edit").first.click()
    yield "address edit", page
    page.goto(product.get_absolute_url())
    page.get_by_role("button", name="Add to cart").click()
    assert page.goto("/shop/cart/").status == 200
    yield "cart", page
    assert page.goto("/shop/checkout/").status == 200
    yield "checkout", page
    page.get_by_label("A new address (below)").check()  # not the saved one: the form shows its errors
    page.get_by_role("button", name="Place order").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    yield "checkout (with errors)", page
    for name, path in [
        ("orders", "/shop/orders/"),
        ("order detail", f"/shop/orders/{order.pk}/"),
        ("my requests", "/support/tickets/"),
        ("new request", "/support/tickets/new/"),
        ("request detail", f"/support/tickets/{ticket.reference}/"),
    ]:
        assert page.goto(path).status == 200, path
        yield name, page

    agent.user_permissions.add(Permission.objects.get(codename="view_desk_reports"))
    page = new_page(viewport)
    browser_login(page, agent.email, PASSWORD)
    for name, path in [
        ("desk queue", "/desk/"),
        ("desk ticket", f"/desk/tickets/{ticket.pk}/"),
        ("desk reports", "/desk/reports/"),
    ]:
        assert page.goto(path).status == 200, path
        yield name, page

    page = new_page(viewport)
    browser_login(page, retailer.email, PASSWORD)
    for name, path in [("admin index", "/admin/"), ("admin product list", "/admin/inventory/product/")]:
        assert page.goto(path).status == 200, path
        yield name, page
    page.goto("/admin/inventory/purchaseorder/")
    page.locator(f"input[name=_selected_action][value='{po.pk}']").check()
    page.locator("select[name=action]").select_option("receive_some")
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).first.click()
    expect(page.get_by_role("button", name="Book receipt")).to_be_visible()
    yield "admin receive purchase order", page


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_no_serious_or_critical_wcag_violations(width, new_page, shop_data, customer, retailer, agent):
    source = axe_source()
    findings: dict[str, list[dict]] = {}
    for name, page in walk(new_page, VIEWPORTS[width], shop_data, customer, retailer, agent):
        findings[name] = scan(page, source)

    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"axe-{width}.json").write_text(json.dumps(findings, indent=2), encoding="utf-8")
    blocking = {
        name: [f"{v['rule']} ({v['impact']}, {v['count']}x): {v['help']} -> {v['nodes']}" for v in found]
        for name, violations in findings.items()
        if (found := [v for v in violations if v["impact"] in BLOCKING])
    }
    total = sum(len(v) for v in blocking.values())
    assert len(findings) == 28
    assert blocking == {}, f"{total} serious/critical rule violations at {width}:\n" + json.dumps(blocking, indent=1)


# Every element on the page whose box overlaps the launcher's, other than the launcher's own
# navbar and what is inside it: a fixed or floating launcher over content would show up here.
OVERLAPS = """() => {
  const launcher = document.getElementById('chat-launcher');
  const nav = launcher.closest('nav');
  const a = launcher.getBoundingClientRect();
  return Array.from(document.querySelectorAll('body *'))
    .filter(el => !nav.contains(el) && !el.contains(launcher) && el.getClientRects().length > 0)
    .filter(el => { const b = el.getBoundingClientRect();
                    return b.left < a.right && a.left < b.right && b.top < a.bottom && a.top < b.bottom; })
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className);
}"""
FIXED_ANCESTORS = """() => { const out = []; let el = document.getElementById('chat-launcher');
  for (; el; el = el.parentElement) { const p = getComputedStyle(el).position;
    if (p === 'fixed' || p === 'sticky') out.push(el.tagName + ' ' + p); } return out; }"""


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_the_chat_launcher_never_covers_content(width, new_page, shop_data):
    # Issue 21: the floating "Chat with us" button covered product titles and hints at 390 px.
    page = new_page(VIEWPORTS[width])
    for path in ["/", "/shop/", shop_data["product"].get_absolute_url(), "/help/"]:
        page.goto(path)
        expect(page.get_by_role("button", name="Chat with us")).to_be_visible()
        assert page.evaluate(FIXED_ANCESTORS) == [], path
        for scroll in (0, 400, 10_000):  # top, middle and bottom of the page
            page.evaluate("y => window.scrollTo(0, y)", scroll)
            assert page.evaluate(OVERLAPS) == [], (path, scroll)
