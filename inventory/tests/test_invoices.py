"""Invoices: numbering per store, idempotent issue, pages/PDF/API scoped to the customer, totals to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from accounts.tests.factories import CustomerFactory, StoreFactory
from inventory import services
from inventory.models import Invoice, InvoiceSeries, StoreShipping, StoreTax, TaxRate
from inventory.tests.factories import CategoryFactory, ProductFactory, place_order, with_stock
from inventory.tests.test_api import api
from inventory.tests.test_concurrency import race

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL=postgres://...")


def _taxed_order(store, customer):
    books = CategoryFactory(slug="books", name="Books")
    StoreTax.objects.create(store=store, prices_include_tax=False, rounding=StoreTax.Rounding.LINE)
    TaxRate.objects.create(store=store, category=None, rate=Decimal("21"))
    TaxRate.objects.create(store=store, category=books, rate=Decimal("9"))
    StoreShipping.objects.create(store=store, delivery_fee=Decimal("4.95"))
    lamp = with_stock(ProductFactory(store=store, name="Lamp", price=Decimal("19.99")), 5)
    novel = with_stock(ProductFactory(store=store, name="Novel", price=Decimal("7.45"), category=books), 5)
    return place_order(customer, (lamp, 2), (novel, 3))


@pytest.mark.django_db
def test_numbers_are_sequential_per_store_and_issuing_twice_gives_the_same_invoice(store, other_store, customer):
    InvoiceSeries.objects.create(store=store, prefix="CS-", legal_name="Corner Shop BV", address="Main St 1")
    product = with_stock(ProductFactory(store=store), 10)
    theirs = with_stock(ProductFactory(store=other_store), 10)
    first, second = place_order(customer, (product, 1)), place_order(customer, (product, 1))
    elsewhere = place_order(customer, (theirs, 1))

    a = services.invoice_issue(order=second)
    b = services.invoice_issue(order=first)
    again = services.invoice_issue(order=second)
    c = services.invoice_issue(order=elsewhere)

    assert (a.number, b.number, again.pk) == ("CS-000001", "CS-000002", a.pk)
    assert (a.seller_name, a.seller_address) == ("Corner Shop BV", "Main St 1")
    assert (c.number, c.seller_name) == ("INV-000001", other_store.name)
    assert Invoice.objects.count() == 3


@pytest.mark.django_db
def test_a_cancelled_order_never_invoiced_gets_no_number(store, customer):
    order = place_order(customer, (with_stock(ProductFactory(store=store), 3), 1))
    services.order_cancel(order=order, actor=customer)

    with pytest.raises(services.OrderError):
        services.invoice_issue(order=order)

    assert not Invoice.objects.exists()
    assert not InvoiceSeries.objects.filter(last_number__gt=0).exists()


@pytest.mark.django_db
def test_invoice_page_shows_lines_tax_per_rate_and_the_orders_totals(client, store, customer):
    order = _taxed_order(store, customer)
    client.force_login(customer)

    assert (
        reverse("storefront:invoice", args=[order.pk])
        in client.get(reverse("storefront:order_detail", args=[order.pk])).content.decode()
    )
    page = client.get(reverse("storefront:invoice", args=[order.pk])).content.decode()

    doc = services.invoice_document(invoice=Invoice.objects.get(order=order))
    # 2 x 19.99 at 21 % = 8.40 (rounded per line), 3 x 7.45 at 9 % = 2.01
    assert [(b.rate, b.tax) for b in doc.tax_bands] == [
        (Decimal("9.00"), Decimal("2.01")),
        (Decimal("21.00"), Decimal("8.40")),
    ]
    assert sum((b.tax for b in doc.tax_bands), Decimal(0)) == order.tax_total
    assert order.subtotal + order.tax_total - order.discount_total + order.shipping_total == order.total
    assert order.total == Decimal("39.98") + Decimal("22.35") + Decimal("10.41") + Decimal("4.95")
    assert "Invoice INV-000001" in page
    assert '<td class="text-end fw-semibold" data-testid="invoice-total">€77.69</td>' in page
    assert "Tax 9%" in page
    assert "Tax 21%" in page
    assert '<td class="text-end" data-testid="invoice-shipping">€4.95</td>' in page


@pytest.mark.django_db
def test_pdf_from_the_page_the_api_and_the_admin(client, store, customer, retailer):
    order = _taxed_order(store, customer)
    client.force_login(customer)

    pdf = client.get(reverse("storefront:invoice_pdf", args=[order.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")

    data = api(customer).get(f"/api/v1/orders/{order.pk}/invoice/").json()
    assert data["number"] == "INV-000001"
    assert data["total"] == "77.69"
    assert [band["tax"] for band in data["tax_bands"]] == ["2.01", "8.40"]
    assert api(customer).get(f"/api/v1/orders/{order.pk}/invoice/pdf/").content.startswith(b"%PDF-")

    client.force_login(retailer)
    admin_pdf = client.get(reverse("admin:inventory_order_invoice", args=[order.pk]))
    assert admin_pdf.content.startswith(b"%PDF-")
    assert Invoice.objects.count() == 1


@pytest.mark.django_db
def test_another_customers_or_stores_invoice_answers_404(client, store, customer, other_retailer):
    order = place_order(customer, (with_stock(ProductFactory(store=store), 3), 1))
    stranger = CustomerFactory()
    client.force_login(stranger)

    assert client.get(reverse("storefront:invoice", args=[order.pk])).status_code == 404
    assert client.get(reverse("storefront:invoice_pdf", args=[order.pk])).status_code == 404
    assert api(stranger).get(f"/api/v1/orders/{order.pk}/invoice/").status_code == 404
    client.force_login(other_retailer)
    assert client.get(reverse("admin:inventory_order_invoice", args=[order.pk])).status_code == 404
    assert not Invoice.objects.exists()


def _race_for_numbers():
    store = StoreFactory()
    product = with_stock(ProductFactory(store=store, reorder_point=0), 40)
    customer = CustomerFactory()
    orders = [place_order(customer, (product, 1)) for _ in range(8)]

    # 8 orders at once, plus 4 requests for the first order's invoice at the same time.
    targets = [*orders, *[orders[0]] * 4]
    results = race(lambda i: services.invoice_issue(order=targets[i]), len(targets))

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = sorted(Invoice.objects.filter(store=store).values_list("sequence_number", flat=True))
    assert numbers == list(range(1, 9))
    assert len({r.pk for r in results[8:]} | {results[0].pk}) == 1
    assert InvoiceSeries.objects.get(store=store).last_number == 8


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_get_consecutive_numbers_on_postgresql():
    _race_for_numbers()


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant of the race")
@pytest.mark.django_db(transaction=True)
def test_concurrent_invoices_get_consecutive_numbers_on_sqlite():
    _race_for_numbers()


@pytest.mark.django_db
def test_tax_per_rate_adds_up_to_the_orders_tax_when_the_store_rounds_once(store, customer):
    books = CategoryFactory(slug="books", name="Books")
    StoreTax.objects.create(store=store, prices_include_tax=True, rounding=StoreTax.Rounding.ORDER)
    TaxRate.objects.create(store=store, category=None, rate=Decimal("21"))
    TaxRate.objects.create(store=store, category=books, rate=Decimal("9"))
    lamp = with_stock(ProductFactory(store=store, price=Decimal("1.00")), 5)
    novel = with_stock(ProductFactory(store=store, price=Decimal("1.00"), category=books), 5)
    # Exact tax 0.1736 + 0.0826 = 0.2562: the order charges 0.26, the rates alone round to 0.25.
    order = place_order(customer, (lamp, 1), (novel, 1))

    doc = services.invoice_document(invoice=services.invoice_issue(order=order))

    assert order.tax_total == Decimal("0.26")
    assert [(b.rate, b.tax) for b in doc.tax_bands] == [
        (Decimal("9.00"), Decimal("0.08")),
        (Decimal("21.00"), Decimal("0.18")),
    ]
    assert (
        order.subtotal + order.tax_total - order.discount_total + order.shipping_total == order.total == Decimal("2.00")
    )
