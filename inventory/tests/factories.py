"""Factories for inventory. Stock is only ever given through the services (``with_stock``)."""

from __future__ import annotations

from decimal import Decimal

import factory

from accounts.tests.factories import CustomerFactory, StoreFactory
from inventory import services
from inventory.models import Category, Product, PurchaseOrder, PurchaseOrderLine, Supplier


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    store = factory.SubFactory(StoreFactory)
    name = factory.Sequence(lambda n: f"Supplier {n}")
    email = factory.Sequence(lambda n: f"supplier{n}@example.com")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    store = factory.SubFactory(StoreFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("10.00")
    cost = Decimal("6.00")
    reorder_point = 2
    reorder_quantity = 10
    lead_time_days = 5


def with_stock(product: Product, quantity: int) -> Product:
    """Give a product opening stock through the ledger, the only way stock exists."""
    if quantity:
        services.stock_receive(product=product, quantity=quantity, unit_cost=product.cost, reference="opening")
    product.refresh_from_db()
    return product


class PurchaseOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrder

    store = factory.SubFactory(StoreFactory)
    supplier = factory.SubFactory(SupplierFactory, store=factory.SelfAttribute("..store"))


class PurchaseOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PurchaseOrderLine

    purchase_order = factory.SubFactory(PurchaseOrderFactory)
    product = factory.SubFactory(ProductFactory, store=factory.SelfAttribute("..purchase_order.store"))
    quantity_ordered = 10
    unit_cost = Decimal("5.00")


DELIVERY = services.DeliveryDetails(name="Casey", address="1 Main Street", postcode="1000 AA", city="Amsterdam")


def place_order(customer, *pairs, payment_method="cod"):
    """Place an order of (product, quantity) pairs at the products' current prices."""
    items = [services.CartItem(product_id=p.pk, quantity=q, unit_price=p.current_price) for p, q in pairs]
    return services.order_place(customer=customer, items=items, delivery=DELIVERY, payment_method=payment_method)


__all__ = ["CustomerFactory", "StoreFactory"]
