"""Stock ledger, orders, returns, purchasing and alerts, through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification
from accounts.tests.factories import CustomerFactory
from inventory import services
from inventory.models import (
    BackInStockSubscription,
    BudgetAlert,
    Order,
    OrderLine,
    Product,
    PurchaseOrder,
    PurchaseSpend,
    ReturnRequest,
    StockAlert,
    StockMovement,
)

from .factories import (
    DELIVERY,
    ProductFactory,
    PurchaseOrderFactory,
    PurchaseOrderLineFactory,
    place_order,
    with_stock,
)

pytestmark = pytest.mark.django_db


def ledger_sum(product) -> int:
    return sum(StockMovement.objects.filter(product=product).values_list("quantity", flat=True))


# --- Ledger -------------------------------------------------------------------------


def test_receive_writes_one_movement_and_raises_on_hand(store):
    product = ProductFactory(store=store)

    services.stock_receive(product=product, quantity=7, unit_cost=Decimal("4.50"), reference="opening")

    product.refresh_from_db()
    assert product.on_hand == 7
    movement = StockMovement.objects.get(product=product)
    assert (movement.kind, movement.quantity, movement.unit_cost) == ("receipt", 7, Decimal("4.50"))


@pytest.mark.parametrize("quantity", [0, -3, "x", 2.5])
def test_receive_rejects_non_positive_or_non_integer_quantity(store, quantity):
    product = ProductFactory(store=store)

    with pytest.raises(services.StockError):
        services.stock_receive(product=product, quantity=quantity, unit_cost=Decimal(1))

    product.refresh_from_db()
    assert product.on_hand == 0
    assert not StockMovement.objects.exists()


def test_adjust_needs_reason_and_cannot_go_below_zero(store, retailer):
    product = with_stock(ProductFactory(store=store), 3)

    with pytest.raises(services.StockError, match="Say why"):
        services.stock_adjust(product=product, quantity=-1, reason=" ", actor=retailer)
    with pytest.raises(services.StockError, match="only 3 in stock"):
        services.stock_adjust(product=product, quantity=-4, reason="count", actor=retailer)

    product.refresh_from_db()
    assert product.on_hand == 3
    assert StockMovement.objects.filter(kind="adjustment").count() == 0


def test_adjust_records_reason_and_actor(store, retailer):
    product = with_stock(ProductFactory(store=store, reorder_point=0), 3)

    movement = services.stock_adjust(product=product, quantity=-2, reason="Broken in transit", actor=retailer)

    product.refresh_from_db()
    assert product.on_hand == 1
    assert (movement.kind, movement.quantity, movement.reason, movement.actor) == (
        "adjustment",
        -2,
        "Broken in transit",
        retailer,
    )


def test_on_hand_check_constraint_is_the_last_guard(store):
    product = ProductFactory(store=store)

    with pytest.raises(IntegrityError), transaction.atomic():
        Product.objects.filter(pk=product.pk).update(on_hand=-1)


def test_check_stock_passes_when_ledger_matches(store, capsys):
    with_stock(ProductFactory(store=store), 5)

    call_command("check_stock")

    assert "consistent" in capsys.readouterr().out


def test_check_stock_names_each_mismatch_and_fixes_nothing(store, capsys):
    good = with_stock(ProductFactory(store=store), 5)
    bad = with_stock(ProductFactory(store=store, sku="DRIFT-1"), 5)
    Product.objects.filter(pk=bad.pk).update(on_hand=9)  # a write that bypassed the services

    with pytest.raises(CommandError, match="1 product"):
        call_command("check_stock")

    err = capsys.readouterr().err
    assert f"product {bad.pk} DRIFT-1" in err
    assert "on_hand=9 ledger=5" in err
    assert f"product {good.pk} " not in err
    bad.refresh_from_db()
    assert bad.on_hand == 9


# --- Orders -------------------------------------------------------------------------


def test_order_place_takes_stock_and_confirms_by_email(store, customer, django_capture_on_commit_callbacks):
    product = with_stock(ProductFactory(store=store, price=Decimal("12.50"), reorder_point=0), 5)

    with django_capture_on_commit_callbacks(execute=True):
        order = place_order(customer, (product, 2))

    product.refresh_from_db()
    assert product.on_hand == 3
    assert ledger_sum(product) == 3
    line = order.lines.get()
    assert (line.quantity, line.unit_price, order.total, order.store) == (2, Decimal("12.50"), Decimal("25.00"), store)
    assert StockMovement.objects.get(kind="sale").reference == f"order:{order.pk}"
    assert [m.to for m in mail.outbox] == [[customer.email]]
    assert order.number in mail.outbox[0].subject


def test_order_uses_sale_price(store, customer):
    product = with_stock(ProductFactory(store=store, price=Decimal(10), sale_price=Decimal(8)), 5)

    order = place_order(customer, (product, 1))

    assert order.total == Decimal("8.00")


def test_order_for_more_than_stock_fails_whole_and_changes_nothing(store, customer):
    plenty = with_stock(ProductFactory(store=store), 10)
    scarce = with_stock(ProductFactory(store=store), 1)
    movements = StockMovement.objects.count()

    with pytest.raises(services.OrderError, match=r"Only 1 of .* left; you asked for 2"):
        place_order(customer, (plenty, 3), (scarce, 2))

    plenty.refresh_from_db()
    scarce.refresh_from_db()
    assert (plenty.on_hand, scarce.on_hand) == (10, 1)
    assert not Order.objects.exists()
    assert StockMovement.objects.count() == movements
    assert not Notification.objects.filter(subject__contains="confirmed").exists()


def test_order_rejects_a_changed_price(store, customer):
    product = with_stock(ProductFactory(store=store, price=Decimal(10)), 5)
    items = [services.CartItem(product_id=product.pk, quantity=1, unit_price=Decimal("0.01"))]

    with pytest.raises(services.OrderError, match="price of"):
        services.order_place(customer=customer, items=items, delivery=DELIVERY, payment_method="cod")

    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1])
def test_order_rejects_bad_quantities(store, customer, quantity):
    product = with_stock(ProductFactory(store=store), 5)

    with pytest.raises(services.OrderError):
        place_order(customer, (product, quantity))

    product.refresh_from_db()
    assert product.on_hand == 5
    assert not Order.objects.exists()


def test_order_rejects_products_of_two_stores(store, other_store, customer):
    a = with_stock(ProductFactory(store=store), 5)
    b = with_stock(ProductFactory(store=other_store), 5)

    with pytest.raises(services.OrderError, match="one store"):
        place_order(customer, (a, 1), (b, 1))

    assert not Order.objects.exists()


def test_order_rejects_bad_payment_method(store, customer):
    product = with_stock(ProductFactory(store=store), 5)

    with pytest.raises(services.OrderError, match="cash on delivery"):
        place_order(customer, (product, 1), payment_method="card")


def test_cancel_restocks_once(store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    order = place_order(customer, (product, 2))

    services.order_cancel(order=order, actor=customer)
    with pytest.raises(services.OrderError, match="already cancelled"):
        services.order_cancel(order=order, actor=customer)

    product.refresh_from_db()
    order.refresh_from_db()
    assert product.on_hand == 5
    assert ledger_sum(product) == 5
    assert order.status == Order.Status.CANCELLED
    assert StockMovement.objects.filter(kind="cancellation").count() == 1
    assert set(order.lines.values_list("status", flat=True)) == {"cancelled"}


def test_cancel_after_shipping_is_refused(store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    order = place_order(customer, (product, 2))
    services.order_line_mark_shipped(line=order.lines.get())

    with pytest.raises(services.OrderError, match="shipped"):
        services.order_cancel(order=order, actor=customer)

    product.refresh_from_db()
    assert product.on_hand == 3


def test_mark_shipped_then_delivered(store, customer):
    product = with_stock(ProductFactory(store=store), 5)
    line = place_order(customer, (product, 1)).lines.get()

    assert services.order_line_mark_shipped(line=line) is True
    assert services.order_line_mark_shipped(line=line) is False
    assert services.order_line_mark_delivered(line=line) is True

    line.refresh_from_db()
    assert line.status == OrderLine.Status.DELIVERED
    assert line.shipped_at is not None
    assert line.delivered_at is not None


# --- Returns ------------------------------------------------------------------------


@pytest.fixture
def delivered_line(store, customer):
    product = with_stock(ProductFactory(store=store, reorder_point=0), 5)
    line = place_order(customer, (product, 3)).lines.get()
    services.order_line_mark_delivered(line=line)
    line.refresh_from_db()
    return line


def test_return_flow_restocks_and_tells_customer(delivered_line, customer, retailer):
    request = services.return_request_create(customer=customer, line=delivered_line, quantity=2, reason="Too small")

    services.return_request_approve(request=request, actor=retailer)
    services.return_request_receive(request=request, actor=retailer)

    product = Product.objects.get(pk=delivered_line.product_id)
    assert product.on_hand == 4
    assert ledger_sum(product) == 4
    request.refresh_from_db()
    assert request.status == ReturnRequest.Status.RECEIVED
    subjects = list(Notification.objects.filter(recipient=customer.email).values_list("subject", flat=True))
    assert any("approved" in s for s in subjects)
    assert any("received" in s for s in subjects)
    with pytest.raises(services.OrderError):
        services.return_request_receive(request=request, actor=retailer)
    assert Product.objects.get(pk=product.pk).on_hand == 4


def test_return_larger_than_delivered_is_refused(delivered_line, customer):
    services.return_request_create(customer=customer, line=delivered_line, quantity=2, reason="x")

    with pytest.raises(services.OrderError, match="at most 1"):
        services.return_request_create(customer=customer, line=delivered_line, quantity=2, reason="x")

    assert ReturnRequest.objects.count() == 1


@pytest.mark.parametrize("quantity", [0, -1, "abc"])
def test_return_rejects_bad_quantity(delivered_line, customer, quantity):
    with pytest.raises(services.OrderError):
        services.return_request_create(customer=customer, line=delivered_line, quantity=quantity, reason="x")
    assert not ReturnRequest.objects.exists()


def test_return_outside_window_or_undelivered_is_refused(store, customer, delivered_line):
    OrderLine.objects.filter(pk=delivered_line.pk).update(delivered_at=timezone.now() - timedelta(days=31))
    delivered_line.refresh_from_db()
    with pytest.raises(services.OrderError, match="window"):
        services.return_request_create(customer=customer, line=delivered_line, quantity=1, reason="x")

    pending = place_order(customer, (with_stock(ProductFactory(store=store), 1), 1)).lines.get()
    with pytest.raises(services.OrderError, match="delivered"):
        services.return_request_create(customer=customer, line=pending, quantity=1, reason="x")
    assert not ReturnRequest.objects.exists()


def test_return_of_another_customers_line_is_refused(delivered_line):
    with pytest.raises(services.OrderError, match="Unknown"):
        services.return_request_create(customer=CustomerFactory(), line=delivered_line, quantity=1, reason="x")


def test_rejected_return_frees_the_quantity(delivered_line, customer, retailer):
    request = services.return_request_create(customer=customer, line=delivered_line, quantity=3, reason="x")
    services.return_request_reject(request=request, actor=retailer, note="Used")

    assert services.returnable_quantity(line=delivered_line) == 3
    assert Product.objects.get(pk=delivered_line.product_id).on_hand == 2


# --- Low-stock alerts and back in stock ---------------------------------------------


def test_crossing_reorder_point_opens_one_alert_and_one_email_per_address(store, customer):
    store.alert_emails = "a@example.com, b@example.com"
    store.save()
    product = with_stock(ProductFactory(store=store, reorder_point=3), 5)

    place_order(customer, (product, 2))  # 5 -> 3: at the point
    place_order(customer, (product, 1))  # 3 -> 2: still low, no new alert

    alert = StockAlert.objects.get(product=product)
    assert alert.status == StockAlert.Status.OPEN
    assert alert.on_hand_at_open == 3
    assert sorted(Notification.objects.filter(subject__startswith="Low stock").values_list("recipient", flat=True)) == [
        "a@example.com",
        "b@example.com",
    ]


def test_restock_above_point_closes_alert_and_next_crossing_opens_a_new_one(store, customer):
    product = with_stock(ProductFactory(store=store, reorder_point=3), 4)
    place_order(customer, (product, 2))

    services.stock_receive(product=product, quantity=5, unit_cost=Decimal(1))
    place_order(customer, (product, 5))

    assert list(StockAlert.objects.filter(product=product).order_by("pk").values_list("status", flat=True)) == [
        "closed",
        "open",
    ]


def test_a_sale_above_a_lowered_reorder_point_closes_the_open_alert(store, customer):
    product = with_stock(ProductFactory(store=store, reorder_point=5), 6)
    place_order(customer, (product, 2))  # 6 -> 4: low
    Product.objects.filter(pk=product.pk).update(reorder_point=1)  # the retailer lowers the point
    product.refresh_from_db()

    place_order(customer, (product, 1))  # 4 -> 3, above the new point: the alert is stale

    assert list(StockAlert.objects.filter(product=product).values_list("status", flat=True)) == ["closed"]


def test_second_open_alert_is_impossible_by_constraint(store):
    product = ProductFactory(store=store)
    StockAlert.objects.create(product=product, on_hand_at_open=0, reorder_point_at_open=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        StockAlert.objects.create(product=product, on_hand_at_open=0, reorder_point_at_open=2)


def test_back_in_stock_notifies_confirmed_subscribers_once(store, customer, django_capture_on_commit_callbacks):
    product = ProductFactory(store=store)
    services.back_in_stock_subscribe(product=product, email=customer.email, user=customer)
    stranger = services.back_in_stock_subscribe(product=product, email="stranger@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        services.stock_receive(product=product, quantity=3, unit_cost=Decimal(1))
        services.stock_receive(product=product, quantity=3, unit_cost=Decimal(1))

    back = [m for m in mail.outbox if m.subject.startswith("Back in stock")]
    assert [m.to for m in back] == [[customer.email]]
    stranger.refresh_from_db()
    assert stranger.notified_at is None  # never confirmed the address


def test_back_in_stock_confirm_link(store, django_capture_on_commit_callbacks):
    product = ProductFactory(store=store)
    with django_capture_on_commit_callbacks(execute=True):
        subscription = services.back_in_stock_subscribe(product=product, email="Someone@Example.com")
    token = mail.outbox[0].body.split("/shop/notify/confirm/")[1].split("/")[0]

    with pytest.raises(ValidationError):
        services.back_in_stock_confirm(token=token + "x")
    services.back_in_stock_confirm(token=token)

    subscription.refresh_from_db()
    assert subscription.email == "someone@example.com"
    assert subscription.confirmed_at is not None


def test_subscribing_twice_while_waiting_keeps_one_row(store, customer):
    product = ProductFactory(store=store)
    services.back_in_stock_subscribe(product=product, email=customer.email, user=customer)
    services.back_in_stock_subscribe(product=product, email=customer.email, user=customer)

    assert BackInStockSubscription.objects.count() == 1


def test_digest_lists_open_alerts_per_store_once_a_day(store, other_store, customer):
    low = with_stock(ProductFactory(store=store, reorder_point=5), 3)
    with_stock(ProductFactory(store=other_store, reorder_point=5), 30)

    assert services.stock_alert_digest_send() == 1
    assert services.stock_alert_digest_send() == 1  # same key: no second row

    digest = Notification.objects.get(subject__contains="at or below reorder point")
    assert digest.recipient == store.alert_email_list[0]
    assert low.sku in digest.body


# --- Purchasing and budget ----------------------------------------------------------


def test_purchase_order_partial_then_full_receipt(store, retailer):
    line = PurchaseOrderLineFactory(purchase_order__store=store, quantity_ordered=10, unit_cost=Decimal("2.50"))
    po = line.purchase_order
    services.purchase_order_mark_ordered(purchase_order=po, expected_date=timezone.localdate())

    services.purchase_order_receive(purchase_order=po, quantities={line.pk: 4}, actor=retailer)
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.PARTIAL
    services.purchase_order_receive(purchase_order=po, actor=retailer)

    po.refresh_from_db()
    line.refresh_from_db()
    product = line.product
    product.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert line.quantity_received == 10
    assert product.on_hand == 10
    assert ledger_sum(product) == 10
    assert sum(PurchaseSpend.objects.filter(store=store).values_list("amount", flat=True)) == Decimal("25.00")


def test_receiving_more_than_outstanding_changes_nothing(store):
    line = PurchaseOrderLineFactory(purchase_order__store=store, quantity_ordered=5)
    po = line.purchase_order
    services.purchase_order_mark_ordered(purchase_order=po, expected_date=timezone.localdate())

    with pytest.raises(services.PurchaseOrderError, match="between 1 and 5"):
        services.purchase_order_receive(purchase_order=po, quantities={line.pk: 6})
    with pytest.raises(services.PurchaseOrderError, match="Unknown"):
        services.purchase_order_receive(purchase_order=po, quantities={line.pk + 999: 1})

    line.refresh_from_db()
    assert line.quantity_received == 0
    assert not StockMovement.objects.exists()
    assert not PurchaseSpend.objects.exists()


def test_draft_cannot_be_received(store):
    line = PurchaseOrderLineFactory(purchase_order__store=store)

    with pytest.raises(services.PurchaseOrderError, match="draft"):
        services.purchase_order_receive(purchase_order=line.purchase_order)


def test_budget_alert_once_per_store_per_month(store, other_store):
    store.monthly_budget = Decimal("100.00")
    store.save()

    def receive(target_store, quantity, cost):
        line = PurchaseOrderLineFactory(
            purchase_order__store=target_store, quantity_ordered=quantity, unit_cost=Decimal(cost)
        )
        services.purchase_order_mark_ordered(purchase_order=line.purchase_order, expected_date=timezone.localdate())
        services.purchase_order_receive(purchase_order=line.purchase_order)

    receive(store, 10, "9.00")  # 90: under budget
    assert not BudgetAlert.objects.exists()
    receive(store, 1, "20.00")  # 110: crosses
    receive(store, 5, "20.00")  # 210: crosses again, same month
    receive(other_store, 1, "5.00")  # other store under its own budget

    alert = BudgetAlert.objects.get()
    assert (alert.store, alert.spent, alert.month) == (store, Decimal("110.00"), timezone.localdate().replace(day=1))
    budget_mails = Notification.objects.filter(subject__contains="budget")
    assert list(budget_mails.values_list("recipient", flat=True)) == store.alert_email_list


def test_budget_alert_constraint(store):
    month = timezone.localdate().replace(day=1)
    BudgetAlert.objects.create(store=store, month=month, budget=1, spent=2)

    with pytest.raises(IntegrityError), transaction.atomic():
        BudgetAlert.objects.create(store=store, month=month, budget=1, spent=3)


def test_purchase_order_needs_lines_to_be_ordered(store):
    po = PurchaseOrderFactory(store=store)

    with pytest.raises(services.PurchaseOrderError, match="at least one line"):
        services.purchase_order_mark_ordered(purchase_order=po, expected_date=timezone.localdate())


# --- Reviews and launches -----------------------------------------------------------


def test_review_only_after_delivery_and_once(delivered_line, customer):
    product = delivered_line.product
    services.review_create(customer=customer, product=product, rating=4, comment="Nice")

    with pytest.raises(ValidationError, match="already"):
        services.review_create(customer=customer, product=product, rating=5)
    with pytest.raises(ValidationError, match="delivered"):
        services.review_create(customer=CustomerFactory(), product=product, rating=5)
    with pytest.raises(ValidationError, match="1 to 5"):
        services.review_create(customer=customer, product=product, rating=6)


def test_followers_get_one_new_arrival_email(store, customer):
    product = ProductFactory(store=store, launch_date=timezone.localdate())
    services.category_follow(user=customer, category=product.category)
    ProductFactory(store=store, category=product.category, launch_date=timezone.localdate() + timedelta(days=3))

    assert services.product_launches_announce() == 1
    assert services.product_launches_announce() == 0

    assert Notification.objects.filter(recipient=customer.email, subject__startswith="New in").count() == 1
