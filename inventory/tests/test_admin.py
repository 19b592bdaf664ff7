"""Back office: store scoping, actions that call services, CSV import/export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone
from tablib import Dataset

from accounts.models import Notification
from inventory import services
from inventory.models import Product, PurchaseOrder, ReturnRequest, StockAlert, StockMovement
from inventory.resources import ProductResource

from .factories import (
    CategoryFactory,
    ProductFactory,
    PurchaseOrderLineFactory,
    SupplierFactory,
    place_order,
    with_stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def back_office(client, retailer):
    client.force_login(retailer)
    return client


@pytest.fixture
def theirs(other_store):
    """Another store's rows of every scoped kind."""
    from accounts.tests.factories import CustomerFactory

    product = with_stock(ProductFactory(store=other_store, reorder_point=5), 3)
    line = PurchaseOrderLineFactory(purchase_order__store=other_store, product=product)
    buyer = CustomerFactory()
    order = place_order(buyer, (product, 1))
    order_line = order.lines.get()
    services.order_line_mark_delivered(line=order_line)
    order_line.refresh_from_db()
    return {
        "product": product,
        "purchaseorder": line.purchase_order,
        "stockalert": StockAlert.objects.get(),
        "supplier": line.purchase_order.supplier,
        "order": order,
        "orderline": order_line,
        "returnrequest": services.return_request_create(customer=buyer, line=order_line, quantity=1, reason="x"),
        "stockmovement": StockMovement.objects.filter(product=product).first(),
    }


@pytest.mark.parametrize(
    "model",
    ["product", "purchaseorder", "stockalert", "supplier", "order", "orderline", "returnrequest", "stockmovement"],
)
def test_retailer_gets_404_for_another_stores_rows(back_office, theirs, model):
    url = reverse(f"admin:inventory_{model}_change", args=[theirs[model].pk])

    assert back_office.get(url).status_code == 404


def test_retailer_list_shows_only_own_store(back_office, store, theirs):
    mine = ProductFactory(store=store)

    response = back_office.get(reverse("admin:inventory_product_changelist"))

    assert list(response.context["cl"].result_list) == [mine]


def test_ops_sees_every_store(client, ops_user, store, theirs):
    ProductFactory(store=store)
    client.force_login(ops_user)

    response = client.get(reverse("admin:inventory_product_changelist"))

    assert response.context["cl"].result_count == 2


def test_admin_product_list_has_no_n_plus_one(back_office, store, django_assert_max_num_queries):
    for _ in range(25):
        ProductFactory(store=store, category=CategoryFactory(), supplier=SupplierFactory(store=store))

    with django_assert_max_num_queries(12):
        response = back_office.get(reverse("admin:inventory_product_changelist"))

    assert response.context["cl"].result_count == 25


def test_on_hand_is_read_only_in_the_change_form(back_office, store):
    product = with_stock(ProductFactory(store=store), 4)
    url = reverse("admin:inventory_product_change", args=[product.pk])
    response = back_office.get(url)
    data = {k: v for k, v in response.context["adminform"].form.initial.items() if v is not None}
    data.update(category=product.category_id, store=store.pk, on_hand=999, launch_date=str(product.launch_date))

    back_office.post(url, data)

    assert Product.objects.get(pk=product.pk).on_hand == 4


def test_the_history_says_what_changed_from_what(back_office, store):
    from django.contrib.admin.models import LogEntry

    product = with_stock(ProductFactory(store=store, name="Desk lamp", price=Decimal("10.00")), 4)
    url = reverse("admin:inventory_product_change", args=[product.pk])
    data = {k: v for k, v in back_office.get(url).context["adminform"].form.initial.items() if v is not None}
    data.update(category=product.category_id, store=store.pk, launch_date=str(product.launch_date))
    data.update(price="12.50", reorder_point=8)
    # The pictures inline, left empty.
    data.update({"images-TOTAL_FORMS": "0", "images-INITIAL_FORMS": "0", "images-MIN_NUM_FORMS": "0"})

    assert back_office.post(url, data).status_code == 302

    entry = LogEntry.objects.get(object_id=str(product.pk))
    assert entry.get_change_message() == "Changed Price: 10.00 → 12.50; Reorder point: 2 → 8."
    history = back_office.get(reverse("admin:inventory_product_history", args=[product.pk])).content.decode()
    assert "Price: 10.00 → 12.50" in history


def test_adjust_stock_action_calls_the_service(back_office, store, retailer):
    product = with_stock(ProductFactory(store=store, reorder_point=0), 4)
    url = reverse("admin:inventory_product_changelist")
    base = {"action": "adjust_stock", ACTION_CHECKBOX_NAME: [product.pk]}

    form_page = back_office.post(url, base)
    back_office.post(url, {**base, "apply": "1", "quantity": "-3", "reason": "Water damage"})
    refused = back_office.post(url, {**base, "apply": "1", "quantity": "-5", "reason": "Too many"}, follow=True)

    assert b"Adjust stock" in form_page.content
    product.refresh_from_db()
    assert product.on_hand == 1
    movement = StockMovement.objects.get(kind="adjustment")
    assert (movement.quantity, movement.reason, movement.actor) == (-3, "Water damage", retailer)
    assert "only 1 in stock" in refused.content.decode()


def test_adjust_stock_without_reason_changes_nothing(back_office, store):
    product = with_stock(ProductFactory(store=store), 4)
    url = reverse("admin:inventory_product_changelist")

    response = back_office.post(
        url, {"action": "adjust_stock", ACTION_CHECKBOX_NAME: [product.pk], "apply": "1", "quantity": "2", "reason": ""}
    )

    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert Product.objects.get(pk=product.pk).on_hand == 4


def test_stock_history_is_scoped(back_office, store, theirs):
    mine = with_stock(ProductFactory(store=store), 3)

    response = back_office.get(reverse("admin:inventory_stockmovement_changelist"))

    assert {m.product_id for m in response.context["cl"].result_list} == {mine.pk}


def test_mark_lines_shipped_and_approve_return_through_admin(back_office, store, customer):
    product = with_stock(ProductFactory(store=store, reorder_point=0), 5)
    line = place_order(customer, (product, 2)).lines.get()
    lines_url = reverse("admin:inventory_orderline_changelist")

    back_office.post(lines_url, {"action": "mark_shipped", ACTION_CHECKBOX_NAME: [line.pk]})
    back_office.post(lines_url, {"action": "mark_delivered", ACTION_CHECKBOX_NAME: [line.pk]})
    line.refresh_from_db()
    request = services.return_request_create(customer=customer, line=line, quantity=1, reason="Dented")
    returns_url = reverse("admin:inventory_returnrequest_changelist")
    back_office.post(returns_url, {"action": "approve", ACTION_CHECKBOX_NAME: [request.pk]})
    back_office.post(returns_url, {"action": "receive", ACTION_CHECKBOX_NAME: [request.pk]})

    request.refresh_from_db()
    assert line.status == "delivered"
    assert request.status == ReturnRequest.Status.RECEIVED
    assert Product.objects.get(pk=product.pk).on_hand == 4


def test_purchase_order_actions(back_office, store):
    line = PurchaseOrderLineFactory(purchase_order__store=store, quantity_ordered=6)
    po = line.purchase_order
    PurchaseOrder.objects.filter(pk=po.pk).update(expected_date=timezone.localdate())
    url = reverse("admin:inventory_purchaseorder_changelist")

    back_office.post(url, {"action": "mark_ordered", ACTION_CHECKBOX_NAME: [po.pk]})
    back_office.post(url, {"action": "receive_in_full", ACTION_CHECKBOX_NAME: [po.pk]})

    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.RECEIVED
    assert Product.objects.get(pk=line.product_id).on_hand == 6


def test_retailer_outbox_is_scoped(back_office, store, other_store, customer):
    with_stock(ProductFactory(store=store, reorder_point=5), 1)
    with_stock(ProductFactory(store=other_store, reorder_point=5), 1)

    response = back_office.get(reverse("admin:accounts_notification_changelist"))

    assert {n.store_id for n in response.context["cl"].result_list} == {store.pk}
    assert Notification.objects.count() == 2


# --- CSV ----------------------------------------------------------------------------

HEADER = "store,sku,name,slug,description,image_url,category,price,sale_price,cost,reorder_point,reorder_quantity,lead_time_days,launch_date,is_active\n"


def _import(user, text: str, dry_run: bool = False):
    dataset = Dataset().load(text, format="csv")
    return ProductResource(user=user).import_data(
        dataset, dry_run=dry_run, raise_errors=False, use_transactions=True, rollback_on_validation_errors=True
    )


def test_csv_import_good_file(retailer, store):
    category = CategoryFactory(slug="tools")
    text = HEADER + f"{store.slug},T-1,Hammer,hammer,,,tools,12.50,,6,3,10,5,2026-01-01,1\n"

    result = _import(retailer, text)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    product = Product.objects.get(sku="T-1")
    assert (product.store, product.category, product.price, product.on_hand) == (store, category, Decimal("12.50"), 0)


def test_csv_import_with_any_bad_row_imports_nothing_and_reports_each(retailer, store, other_store):
    CategoryFactory(slug="tools")
    text = HEADER + "".join(
        [
            f"{store.slug},OK-1,Good,good,,,tools,10,,5,1,1,1,2026-01-01,1\n",
            f"{store.slug},BAD-1,Negative,negative,,,tools,-4,,5,1,1,1,2026-01-01,1\n",
            f"{store.slug},BAD-2,Unknown cat,unknown-cat,,,nope,10,,5,1,1,1,2026-01-01,1\n",
            f"{other_store.slug},BAD-3,Not my store,not-mine,,,tools,10,,5,1,1,1,2026-01-01,1\n",
            f"{store.slug},BAD-4,Sale too high,sale-high,,,tools,10,12,5,1,1,1,2026-01-01,1\n",
        ]
    )

    result = _import(retailer, text)

    bad_rows = sorted([row.number for row in result.invalid_rows] + [n for n, _ in result.row_errors()])
    assert bad_rows == [2, 3, 4, 5]
    assert not Product.objects.exists()


def test_csv_import_through_admin_with_bad_row_changes_nothing(back_office, store):
    CategoryFactory(slug="tools")
    text = (
        HEADER + f"{store.slug},OK-1,Good,good,,,tools,10,,5,1,1,1,2026-01-01,1\n{store.slug},,,,,,tools,abc,,,,,,,\n"
    )
    upload = io.BytesIO(text.encode())
    upload.name = "products.csv"

    response = back_office.post(
        reverse("admin:inventory_product_import"), {"import_file": upload, "format": "0", "resource": "0"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Line number: 2" in content or "Row 2" in content
    assert "Traceback" not in content
    assert not Product.objects.exists()


def test_csv_import_books_a_new_products_on_hand_as_opening_stock_through_the_ledger(retailer, store):
    CategoryFactory(slug="tools")
    existing = with_stock(ProductFactory(store=store, sku="T-0", cost=Decimal("2.00")), 7)
    header = HEADER.replace("\n", ",on_hand\n")
    text = header + "".join(
        [
            f"{store.slug},T-1,Hammer,hammer,,,tools,12,,6,3,10,5,2026-01-01,1,40\n",
            f"{store.slug},T-0,{existing.name},{existing.slug},,,tools,12,,2,3,10,5,2026-01-01,1,500\n",
        ]
    )

    result = _import(retailer, text)

    assert not result.has_errors(), [e.traceback for e in result.base_errors] + [
        e.traceback for _n, errors in result.row_errors() for e in errors
    ]
    new = Product.objects.get(sku="T-1")
    assert new.on_hand == 40
    assert list(new.movements.values_list("kind", "quantity", "reference", "unit_cost")) == [
        (StockMovement.Kind.RECEIPT, 40, "opening balance", Decimal("6.00"))
    ]
    existing.refresh_from_db()
    assert existing.on_hand == 7  # ignored for an existing product: stock changes through adjustments
    assert services.stock_mismatches() == []


def test_csv_import_derives_a_missing_slug_and_explains_a_foreign_store(retailer, store, other_store):
    CategoryFactory(slug="tools")
    result = _import(retailer, HEADER + f"{store.slug},T-2,Claw Hammer XL,,,,tools,12,,6,3,10,5,2026-01-01,1\n")
    assert not result.has_errors()
    assert Product.objects.get(sku="T-2").slug == "claw-hammer-xl"

    result = _import(retailer, HEADER + f"{other_store.slug},T-3,Saw,saw,,,tools,12,,6,3,10,5,2026-01-01,1\n")
    messages = (
        [str(error.error) for row in result.invalid_rows for error in row.error.messages] if result.invalid_rows else []
    )
    messages += [str(e.error) for _n, errors in result.row_errors() for e in errors]
    assert any(f"Unknown store “{other_store.slug}”" in m and store.slug in m for m in messages), messages
    assert not Product.objects.filter(sku="T-3").exists()


def test_csv_import_refuses_a_negative_opening_stock(retailer, store):
    CategoryFactory(slug="tools")
    text = HEADER.replace("\n", ",on_hand\n") + f"{store.slug},T-4,Saw,saw,,,tools,12,,6,3,10,5,2026-01-01,1,-5\n"
    result = _import(retailer, text)
    assert result.has_errors() or result.has_validation_errors()
    assert not Product.objects.filter(sku="T-4").exists()


def test_csv_export_neutralises_formulas_and_is_scoped(retailer, store, other_store):
    ProductFactory(store=store, name='=HYPERLINK("http://evil")', description="+1", slug="evil")
    ProductFactory(store=other_store, name="Theirs")

    dataset = ProductResource(user=retailer).export()
    rows = list(csv.DictReader(io.StringIO(dataset.csv)))

    assert len(rows) == 1
    assert rows[0]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["description"] == "'+1"
    assert rows[0]["store"] == store.slug


@pytest.mark.parametrize(
    "name", ["product", "supplier", "purchaseorder", "stockalert", "stockmovement", "returnrequest", "review", "order"]
)
def test_retailer_back_office_pages_render(back_office, store, customer, name):
    product = with_stock(ProductFactory(store=store, reorder_point=5), 3)
    place_order(customer, (product, 1))

    assert back_office.get(reverse(f"admin:inventory_{name}_changelist")).status_code == 200
    if name in ("product", "supplier", "purchaseorder"):
        assert back_office.get(reverse(f"admin:inventory_{name}_add")).status_code == 200


def test_purchase_order_cannot_mix_stores_for_a_two_store_retailer(back_office, retailer, store, other_store):
    from accounts.tests.factories import StoreMembershipFactory

    StoreMembershipFactory(user=retailer, store=other_store)
    supplier = SupplierFactory(store=store)
    foreign = ProductFactory(store=other_store)
    data = {
        "store": store.pk,
        "supplier": supplier.pk,
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": foreign.pk,
        "lines-0-quantity_ordered": "3",
        "lines-0-unit_cost": "2.00",
    }

    response = back_office.post(reverse("admin:inventory_purchaseorder_add"), data)

    assert response.status_code == 200
    assert "not a product of this purchase order" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_receive_part_of_a_purchase_order_in_admin(back_office, store):
    line = PurchaseOrderLineFactory(purchase_order__store=store, quantity_ordered=6)
    po = line.purchase_order
    services.purchase_order_mark_ordered(purchase_order=po, expected_date=timezone.localdate())
    url = reverse("admin:inventory_purchaseorder_changelist")
    base = {"action": "receive_some", ACTION_CHECKBOX_NAME: [po.pk]}

    form_page = back_office.post(url, base)
    too_many = back_office.post(url, {**base, "apply": "1", f"line-{line.pk}": "7"})
    not_number = back_office.post(url, {**base, "apply": "1", f"line-{line.pk}": "two"})
    back_office.post(url, {**base, "apply": "1", f"line-{line.pk}": "4"})

    assert f"line-{line.pk}" in form_page.content.decode()
    assert "between 1 and 6" in too_many.content.decode()
    assert "not a whole number" in not_number.content.decode()
    po.refresh_from_db()
    assert po.status == PurchaseOrder.Status.PARTIAL
    assert Product.objects.get(pk=line.product_id).on_hand == 4


def test_hide_review_in_admin(back_office, store, customer):
    product = with_stock(ProductFactory(store=store), 3)
    line = place_order(customer, (product, 1)).lines.get()
    services.order_line_mark_delivered(line=line)
    review = services.review_create(customer=customer, product=product, rating=1, comment="spam")

    back_office.post(
        reverse("admin:inventory_review_changelist"), {"action": "hide", ACTION_CHECKBOX_NAME: [review.pk]}
    )

    review.refresh_from_db()
    assert review.is_hidden is True


def test_malformed_csv_without_required_columns_imports_nothing(back_office, store):
    upload = io.BytesIO(b"this is not,a product file\n\x00\x01,2\n")
    upload.name = "products.csv"

    response = back_office.post(
        reverse("admin:inventory_product_import"), {"import_file": upload, "format": "0", "resource": "0"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "not present in the file headers: store, sku" in content
    assert "Traceback" not in content
    assert not Product.objects.exists()


def test_product_form_refuses_sale_price_above_price_and_foreign_supplier(client, ops_user, store, other_store):
    client.force_login(ops_user)
    category = CategoryFactory()
    data = {
        "store": store.pk,
        "sku": "X-1",
        "name": "X",
        "slug": "x",
        "category": category.pk,
        "supplier": SupplierFactory(store=other_store).pk,
        "price": "10.00",
        "sale_price": "12.00",
        "cost": "5",
        "reorder_point": 1,
        "reorder_quantity": 1,
        "lead_time_days": 1,
        "launch_date": "2026-01-01",
        "is_active": "on",
    }

    response = client.post(reverse("admin:inventory_product_add"), data)

    content = response.content.decode()
    assert "The sale price must be below the price." in content
    assert "Choose a supplier of this product" in content
    assert not Product.objects.exists()


def test_stock_history_link_lists_one_products_movements(back_office, store):
    product = with_stock(ProductFactory(store=store), 3)
    other = with_stock(ProductFactory(store=store), 2)
    page = back_office.get(reverse("admin:inventory_product_change", args=[product.pk])).content.decode()
    url = reverse("admin:inventory_stockmovement_changelist") + f"?product__id__exact={product.pk}"

    response = back_office.get(url)

    assert url.replace("&", "&amp;") in page
    assert response.status_code == 200
    assert {m.product_id for m in response.context["cl"].result_list} == {product.pk}
    assert other.pk != product.pk


def test_mark_whole_orders_shipped_and_delivered(back_office, store, other_store, customer):
    product = with_stock(ProductFactory(store=store, reorder_point=0), 5)
    order = place_order(customer, (product, 1))
    url = reverse("admin:inventory_order_changelist")

    back_office.post(url, {"action": "mark_shipped", ACTION_CHECKBOX_NAME: [order.pk]})
    shipped = order.lines.get().status
    back_office.post(url, {"action": "mark_delivered", ACTION_CHECKBOX_NAME: [order.pk]})

    assert shipped == "shipped"
    assert order.lines.get().status == "delivered"


def test_store_list_filters_never_name_another_store(client, retailer, store, other_store):
    from django.urls import reverse

    from inventory.tests.factories import ProductFactory, PurchaseOrderFactory

    other_store.name = "Rival Goods Ltd"
    other_store.save()
    ProductFactory(store=store)
    ProductFactory(store=other_store)
    PurchaseOrderFactory(store=other_store)
    client.force_login(retailer)
    for name in ("product", "purchaseorder", "stockmovement", "order", "stockalert"):
        page = client.get(reverse(f"admin:inventory_{name}_changelist")).content.decode()
        assert "Rival Goods Ltd" not in page, name
    assert "Rival Goods Ltd" not in client.get(reverse("admin:accounts_notification_changelist")).content.decode()
