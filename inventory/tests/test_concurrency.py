"""Races on real connections: each thread has its own database connection.

These tests commit for real (``django_db(transaction=True)``; the root conftest puts back
what the data migrations created after the final flush). On SQLite the test database is a file
(settings/test.py) so threads share it through WAL and the busy timeout; on PostgreSQL
each thread holds its own server connection and row locks do the serialising.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from accounts.models import Notification
from accounts.tests.factories import CustomerFactory, StoreFactory
from inventory import services
from inventory.models import Order, Product, StockAlert, StockMovement

from .factories import ProductFactory, place_order, with_stock

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs DATABASE_URL=postgres://...")
on_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant of the race")


def race(target, count: int) -> list:
    """Run ``target(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each buyer got
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a buyer hung"
    return results


def fifty_buyers_for_last_ten_units():
    store = StoreFactory()
    product = with_stock(ProductFactory(store=store, reorder_point=0), 10)
    buyers = [CustomerFactory() for _ in range(50)]

    results = race(lambda i: place_order(buyers[i], (product, 1)), 50)

    orders = [r for r in results if isinstance(r, Order)]
    failures = [r for r in results if not isinstance(r, Order)]
    product.refresh_from_db()
    assert len(orders) == 10
    assert len(failures) == 40
    assert all(isinstance(f, services.OrderError) and "Only 0" in str(f) for f in failures), failures[:3]
    assert product.on_hand == 0
    assert Order.objects.filter(lines__product=product).count() == 10
    assert sum(StockMovement.objects.filter(product=product).values_list("quantity", flat=True)) == 0
    assert StockMovement.objects.filter(product=product, kind="sale").count() == 10
    assert services.stock_mismatches() == []


@on_postgresql
@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_race_for_ten_units_on_postgresql():
    fifty_buyers_for_last_ten_units()


@on_sqlite
@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_race_for_ten_units_on_sqlite():
    assert "memory" not in connection.settings_dict["NAME"], "threads need a file database"
    fifty_buyers_for_last_ten_units()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sales_crossing_reorder_point_open_one_alert_and_one_email():
    store = StoreFactory(alert_emails="owner@example.com")
    product = with_stock(ProductFactory(store=store, reorder_point=5), 7)
    buyers = [CustomerFactory(), CustomerFactory()]
    mail.outbox.clear()

    results = race(lambda i: place_order(buyers[i], (product, 2)), 2)  # 7 -> 5 -> 3: both at/below

    assert all(isinstance(r, Order) for r in results), results
    assert StockAlert.objects.filter(product=product, status="open").count() == 1
    low_mails = [m for m in mail.outbox if m.subject.startswith("Low stock")]
    assert [m.to for m in low_mails] == [["owner@example.com"]]
    assert Notification.objects.filter(subject__startswith="Low stock").count() == 1

    # Restock above the point: the alert closes and the waiting subscriber hears once.
    product.refresh_from_db()
    services.stock_adjust(product=product, quantity=-3, reason="damaged", actor=None)
    services.back_in_stock_subscribe(product=product, email=buyers[0].email, user=buyers[0])
    mail.outbox.clear()

    race(lambda i: services.stock_receive(product=product, quantity=10, unit_cost=Decimal(1)), 2)

    assert StockAlert.objects.get(product=product).status == "closed"
    assert [m.to for m in mail.outbox if m.subject.startswith("Back in stock")] == [[buyers[0].email]]
    assert Product.objects.get(pk=product.pk).on_hand == 20
    assert services.stock_mismatches() == []


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_receipts_crossing_the_budget_together_alert_exactly_once():
    from django.utils import timezone

    from inventory.models import BudgetAlert

    from .factories import PurchaseOrderLineFactory

    store = StoreFactory(monthly_budget=Decimal("100.00"), alert_emails="owner@example.com")
    pos = []
    for _ in range(2):
        line = PurchaseOrderLineFactory(purchase_order__store=store, quantity_ordered=6, unit_cost=Decimal("10.00"))
        services.purchase_order_mark_ordered(purchase_order=line.purchase_order, expected_date=timezone.localdate())
        pos.append(line.purchase_order)

    results = race(lambda i: services.purchase_order_receive(purchase_order=pos[i]), 2)  # 60 + 60 > 100

    assert not [r for r in results if isinstance(r, Exception)], results
    alert = BudgetAlert.objects.get(store=store)
    assert alert.spent == Decimal("120.00")
    assert Notification.objects.filter(subject__contains="budget").count() == 1
