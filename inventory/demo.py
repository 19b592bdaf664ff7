"""Demo catalogue and a year of sales history for `manage.py seed_demo`.

Idempotent: stores, categories, suppliers and products are keyed on slug/SKU, and a
product's history is only written when it has no ledger yet. The history is simulated
day by day (weekly seasonality, a trend per product, slow movers, replenishment after the
lead time) and written in bulk through ``services.stock_history_load`` so the ledger sums
to on_hand. Randomness is seeded: every fresh database gets the same demo.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.text import slugify

from accounts.demo import SeedReport
from accounts.models import Role, Store, User

from . import services
from .models import (
    Category,
    DiscountCode,
    Order,
    OrderLine,
    Product,
    ProductImage,
    PurchaseOrder,
    StockMovement,
    StoreShipping,
    StoreTax,
    Supplier,
    TaxRate,
)

HISTORY_DAYS = 365
WEEKLY = [0.85, 0.8, 0.9, 1.0, 1.15, 1.45, 1.1]  # Monday .. Sunday
CUSTOMER_PASSWORD = "stockdesk-customer"

CATEGORIES = {
    "kitchen": (
        "Kitchen",
        ["Kettle", "Chef's Knife", "Cutting Board", "Saucepan", "Frying Pan", "Mixing Bowl", "Teapot", "Colander"],
    ),
    "stationery": (
        "Stationery",
        ["Notebook", "Fountain Pen", "Desk Organiser", "Sketchbook", "Marker Set", "Paper Tray"],
    ),
    "bathroom": ("Bathroom", ["Bath Towel", "Soap Dish", "Shower Caddy", "Bath Mat", "Toothbrush Holder"]),
    "toys": ("Toys", ["Wooden Blocks", "Puzzle", "Kite", "Plush Bear", "Marble Run", "Toy Train"]),
    "garden": (
        "Garden",
        ["Watering Can", "Trowel", "Seed Tray", "Plant Pot", "Hose Reel", "Pruning Shears", "Compost Bin"],
    ),
    "tools": ("Tools", ["Hammer", "Screwdriver Set", "Tape Measure", "Spirit Level", "Hand Saw", "Socket Set"]),
    "outdoor": ("Outdoor", ["Camping Chair", "Picnic Blanket", "Lantern", "Cool Box", "Hammock"]),
    "pets": ("Pet supplies", ["Dog Bowl", "Cat Scratcher", "Leash", "Pet Bed", "Chew Toy"]),
    "electronics": (
        "Electronics",
        ["USB-C Charger", "Power Bank", "Bluetooth Speaker", "Headphones", "HDMI Cable", "Webcam", "Keyboard", "Mouse"],
    ),
    "lighting": ("Lighting", ["Desk Lamp", "LED Bulb", "Floor Lamp", "String Lights", "Night Light", "Reading Light"]),
}
VARIANTS = ["Classic", "Compact", "Deluxe", "Eco", "Pro", "Mini", "Large", "Essential", "Premium", "Travel"]

STORES = {
    # slug: (categories, product count, SKU prefix)
    "corner-shop": (["kitchen", "stationery", "bathroom", "toys"], 67, "CS"),
    "garden-goods": (["garden", "tools", "outdoor", "pets"], 67, "GG"),
    "bright-electronics": (["electronics", "lighting"], 66, "BE"),
}
SUPPLIERS = {
    "corner-shop": ["HomeWare Wholesale", "PaperCo Distribution"],
    "garden-goods": ["GreenThumb Supply", "ToolMasters BV"],
    "bright-electronics": ["Voltage Trading", "LumenWorks"],
}
# slug: (delivery fee, free delivery from, pickup opening hours)
DELIVERY = {
    "corner-shop": (Decimal("4.95"), Decimal("50.00"), "Monday to Saturday, 9:00-18:00"),
    "garden-goods": (Decimal("6.95"), Decimal("75.00"), "Tuesday to Sunday, 8:30-17:30"),
    "bright-electronics": (Decimal("3.95"), None, "Monday to Friday, 10:00-19:00"),
}
# slug: (prices include tax, rounding, default rate %, {category slug: rate %})
TAX = {
    "corner-shop": (True, StoreTax.Rounding.LINE, Decimal("21"), {"stationery": Decimal("9")}),
    "garden-goods": (True, StoreTax.Rounding.ORDER, Decimal("21"), {"garden": Decimal("9")}),
    "bright-electronics": (False, StoreTax.Rounding.LINE, Decimal("21"), {}),
}
THIRD_STORE = ("bright-electronics", "Bright Electronics", "retailer3@stockdesk.local", "12000.00")


def seed_inventory(report: SeedReport, *, today: date | None = None) -> None:
    today = today or timezone.localdate()
    rng = random.Random(20260101)
    _seed_third_store(report)
    categories = _seed_categories(report)
    customers = _seed_customers(report)
    for slug, (category_slugs, count, prefix) in STORES.items():
        store = Store.objects.get(slug=slug)
        _seed_checkout_terms(report, store)
        suppliers = _seed_suppliers(report, store)
        products = _seed_products(
            report, rng, store, [categories[c] for c in category_slugs], suppliers, count, prefix, today
        )
        _seed_images(report, products)
        _seed_history(report, rng, products, today)
        _seed_purchase_orders(report, store, suppliers, today)
    _seed_orders(report, customers, today)


@transaction.atomic
def _seed_third_store(report: SeedReport) -> None:
    from accounts.models import StoreMembership

    slug, name, owner_email, budget = THIRD_STORE
    owner, created = User.objects.get_or_create(email=owner_email, defaults={"name": "Remy Retailer", "is_staff": True})
    if created:
        owner.set_password("stockdesk-retailer3")
        owner.save(update_fields=["password"])
        report.count("users")
    owner.groups.add(Group.objects.get(name=Role.RETAILER))
    store, created = Store.objects.get_or_create(
        slug=slug, defaults={"name": name, "alert_emails": owner_email, "monthly_budget": budget}
    )
    if created:
        report.count("stores")
    StoreMembership.objects.get_or_create(user=owner, store=store, defaults={"role": StoreMembership.Role.OWNER})
    report.logins.append(
        (
            Role.RETAILER,
            owner_email,
            "stockdesk-retailer3" if owner.check_password("stockdesk-retailer3") else "(changed)",
        )
    )


@transaction.atomic
def _seed_categories(report: SeedReport) -> dict[str, Category]:
    result = {}
    for slug, (name, _) in CATEGORIES.items():
        category, created = Category.objects.get_or_create(slug=slug, defaults={"name": name})
        if created:
            report.count("categories")
        result[slug] = category
    return result


@transaction.atomic
def _seed_customers(report: SeedReport) -> list[User]:
    group = Group.objects.get(name=Role.CUSTOMER)
    password = make_password(CUSTOMER_PASSWORD)  # hashed once, shared by the demo customers
    customers = []
    for i in range(1, 21):
        user, created = User.objects.get_or_create(
            email=f"customer{i:02d}@stockdesk.local", defaults={"name": f"Demo Customer {i:02d}", "password": password}
        )
        if created:
            user.groups.add(group)
            report.count("customers")
        customers.append(user)
    return customers


@transaction.atomic
def _seed_checkout_terms(report: SeedReport, store: Store) -> None:
    """Delivery fees, tax and a discount code (WELCOME10 at Corner Shop); kept if changed since."""
    fee, free_from, hours = DELIVERY[store.slug]
    _, created = StoreShipping.objects.get_or_create(
        store=store, defaults={"delivery_fee": fee, "free_delivery_threshold": free_from, "pickup_hours": hours}
    )
    if created:
        report.count("delivery settings")
    include, rounding, default, by_category = TAX[store.slug]
    _, created = StoreTax.objects.get_or_create(
        store=store, defaults={"prices_include_tax": include, "rounding": rounding}
    )
    if store.slug == "corner-shop":
        _, code_created = DiscountCode.objects.get_or_create(
            store=store,
            code="WELCOME10",
            defaults={
                "kind": DiscountCode.Kind.PERCENT,
                "value": Decimal("10"),
                "minimum_basket": Decimal("20.00"),
                "valid_until": timezone.now() + timedelta(days=365),
                "max_uses": 500,
                "max_uses_per_customer": 1,
            },
        )
        if code_created:
            report.count("discount codes")
    if created:
        TaxRate.objects.create(store=store, category=None, rate=default)
        for slug, rate in by_category.items():
            TaxRate.objects.create(store=store, category=Category.objects.get(slug=slug), rate=rate)
        report.count("tax rates", 1 + len(by_category))


@transaction.atomic
def _seed_suppliers(report: SeedReport, store: Store) -> list[Supplier]:
    suppliers = []
    for name in SUPPLIERS[store.slug]:
        supplier, created = Supplier.objects.get_or_create(
            store=store, name=name, defaults={"email": f"orders@{name.split()[0].lower()}.example.com"}
        )
        if created:
            report.count("suppliers")
        suppliers.append(supplier)
    return suppliers


@transaction.atomic
def _seed_products(report, rng, store, categories, suppliers, count, prefix, today) -> list[Product]:
    products = []
    for i in range(count):
        category = categories[i % len(categories)]
        nouns = CATEGORIES[category.slug][1]
        idx = i // len(categories)
        # Every (variant, noun) pair once per store: no two products share a name.
        noun = nouns[idx % len(nouns)]
        variant = VARIANTS[(idx // len(nouns)) % len(VARIANTS)]
        name = f"{variant} {noun}"
        sku = f"{prefix}-{i + 1:04d}"
        price = Decimal(str(round(rng.uniform(3, 160), 2))).quantize(Decimal("0.01"))
        kind = rng.random()
        if i % 25 == 3:
            launch = today + timedelta(days=rng.randint(3, 20))  # coming soon: not shown yet
        elif i % 12 == 5:
            launch = today - timedelta(days=rng.randint(0, 20))  # new arrival
        else:
            launch = today - timedelta(days=HISTORY_DAYS + 10)
        product, created = Product.objects.get_or_create(
            store=store,
            sku=sku,
            defaults={
                "name": name,
                "slug": slugify(f"{sku} {name}"),
                "description": f"{name} from {store.name}. A dependable {noun.lower()} for everyday use.",
                "category": category,
                "supplier": suppliers[i % len(suppliers)],
                "price": price,
                "sale_price": (price * Decimal("0.8")).quantize(Decimal("0.01")) if kind < 0.15 else None,
                "cost": (price * Decimal(str(round(rng.uniform(0.5, 0.7), 2)))).quantize(Decimal("0.01")),
                "reorder_point": 2,  # products with history get theirs from simulated demand
                "reorder_quantity": 10,
                "lead_time_days": rng.choice([3, 5, 7, 10, 14]),
                "launch_date": launch,
                # Launched demo products count as announced: seeding must not email followers.
                "announced_at": timezone.now(),
            },
        )
        if created:
            report.count("products")
        products.append(product)
    return products


# Tile colours of the demo pictures (dark enough for a white letter at 4.5:1).
TILE_COLOURS = ["#1d4e89", "#7a1f5c", "#20603d", "#8a3b12", "#4b3f8f", "#0f5e6b", "#6b4e16", "#8f1d2c"]


def demo_picture(product: Product) -> ContentFile:
    """A simple, deterministic 800 x 600 PNG: a coloured tile, a disc and the product's initial."""
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(product.sku.encode()).digest()
    colour = TILE_COLOURS[digest[0] % len(TILE_COLOURS)]
    image = Image.new("RGB", (800, 600), colour)
    draw = ImageDraw.Draw(image)
    x, y, r = 250 + digest[1] % 300, 180 + digest[2] % 240, 150 + digest[3] % 90
    draw.ellipse((x - r, y - r, x + r, y + r), outline="white", width=8)
    font = ImageFont.load_default(size=300)
    draw.text((400, 300), product.name[:1].upper(), fill="white", font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{product.sku}.png")


def _seed_images(report: SeedReport, products: list[Product]) -> None:
    """One picture per product that has none (a second run adds nothing)."""
    having = set(ProductImage.objects.filter(product__in=products).values_list("product_id", flat=True))
    for product in products:
        if product.pk in having:
            continue
        services.product_image_add(
            product=product, file=demo_picture(product), alt_text=f"{product.name} (illustration)"
        )
        report.count("product images")


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _at(day: date, rng: random.Random) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(rng.randint(9, 18), rng.randint(0, 59))))


def _seed_history(report, rng, products, today) -> None:
    for index, product in enumerate(products):
        if product.launch_date > today or StockMovement.objects.filter(product=product).exists():
            continue
        slow = index % 5 == 0
        base = rng.uniform(0.05, 0.4) if slow else rng.uniform(1.0, 9.0)
        trend = rng.uniform(-0.4, 0.6)  # relative change over the year
        reorder_point = max(2, math.ceil(base * (product.lead_time_days + 2)))
        reorder_qty = max(5, math.ceil(base * 45))
        # Some products stop being replenished for the last weeks: they end low.
        starve_from = HISTORY_DAYS - rng.randint(20, 45) if index % 7 == 2 else HISTORY_DAYS + 1
        start = max(product.launch_date, today - timedelta(days=HISTORY_DAYS))
        days = (today - start).days
        level = reorder_point + reorder_qty
        rows = [
            StockMovement(
                product=product,
                kind=StockMovement.Kind.RECEIPT,
                quantity=level,
                unit_cost=product.cost,
                reference="demo:opening",
                created_at=timezone.make_aware(datetime.combine(start, time(7, 0))),
            )
        ]
        arriving: dict[int, int] = {}
        for offset in range(days):
            day = start + timedelta(days=offset)
            if arriving.get(offset):
                qty = arriving.pop(offset)
                level += qty
                rows.append(
                    StockMovement(
                        product=product,
                        kind=StockMovement.Kind.RECEIPT,
                        quantity=qty,
                        unit_cost=product.cost,
                        reference="demo:replenishment",
                        created_at=timezone.make_aware(datetime.combine(day, time(8, 0))),
                    )
                )
            progress = offset / max(days, 1)
            lam = base * WEEKLY[day.weekday()] * (1 + trend * progress)
            sold = min(level, _poisson(rng, lam))
            if sold:
                level -= sold
                rows.append(
                    StockMovement(
                        product=product,
                        kind=StockMovement.Kind.SALE,
                        quantity=-sold,
                        unit_cost=product.cost,
                        reference=f"demo:sales:{day.isoformat()}",
                        created_at=_at(day, rng),
                    )
                )
            pending = sum(arriving.values())
            if level + pending <= reorder_point and offset < starve_from:
                arriving[offset + product.lead_time_days] = reorder_qty
        Product.objects.filter(pk=product.pk).update(reorder_point=reorder_point, reorder_quantity=reorder_qty)
        product.reorder_point, product.reorder_quantity = reorder_point, reorder_qty
        written = services.stock_history_load(product=product, movements=rows)
        if written:
            report.count("stock movements", written)


def _seed_purchase_orders(report, store, suppliers, today) -> None:
    if PurchaseOrder.objects.filter(store=store).exists():
        return
    low = list(
        Product.objects.filter(store=store, on_hand__lte=F("reorder_point"), launch_date__lte=today).order_by("sku")[:6]
    )
    if low:
        supplier = low[0].supplier or suppliers[0]
        po = services.purchase_order_create(
            supplier=supplier,
            lines=[
                services.PurchaseLineInput(product_id=p.pk, quantity=p.reorder_quantity, unit_cost=p.cost)
                for p in low[:3]
            ],
            actor=None,
            notes="Restock of low items (demo).",
        )
        services.purchase_order_mark_ordered(purchase_order=po, expected_date=today + timedelta(days=5))
        report.count("purchase orders")
    if len(low) > 3:
        services.purchase_order_create(
            supplier=suppliers[-1],
            lines=[
                services.PurchaseLineInput(product_id=p.pk, quantity=p.reorder_quantity, unit_cost=p.cost)
                for p in low[3:]
            ],
            actor=None,
            notes="Draft for next week (demo).",
        )
        report.count("purchase orders")
    healthy = list(Product.objects.filter(store=store, on_hand__gt=F("reorder_point")).order_by("sku")[:2])
    if healthy:
        po = services.purchase_order_create(
            supplier=suppliers[0],
            lines=[services.PurchaseLineInput(product_id=p.pk, quantity=5, unit_cost=p.cost) for p in healthy],
            actor=None,
            notes="Received top-up (demo).",
        )
        services.purchase_order_mark_ordered(purchase_order=po, expected_date=today)
        services.purchase_order_receive(purchase_order=po)
        report.count("purchase orders")


def _seed_orders(report, customers, today) -> None:
    demo = User.objects.filter(email="customer@stockdesk.local").first()
    if demo is None or Order.objects.filter(customer=demo).exists():
        return
    picks = list(Product.objects.filter(store__slug="corner-shop", on_hand__gte=10, launch_date__lte=today)[:3])
    if len(picks) < 3:
        return
    delivery = services.DeliveryDetails(
        name=demo.name or "Demo", address="1 Demo Street", postcode="1011 AB", city="Amsterdam"
    )
    # A small delivered order (below the free-delivery threshold: it pays the delivery fee) and a
    # pickup order with the demo discount code, so both show on "My orders".
    cheap = (
        Product.objects.filter(store__slug="corner-shop", on_hand__gte=10, launch_date__lte=today, price__lt=20)
        .order_by("price", "pk")
        .first()
    )
    first = cheap or picks[0]
    delivered = services.order_place(
        customer=demo,
        items=[services.CartItem(product_id=first.pk, quantity=1, unit_price=first.current_price)],
        delivery=delivery,
        payment_method=Order.PaymentMethod.CASH_ON_DELIVERY,
    )
    for line in delivered.lines.all():
        services.order_line_mark_delivered(line=line)
    services.order_place(
        customer=demo,
        items=[services.CartItem(product_id=p.pk, quantity=1, unit_price=p.current_price) for p in picks[1:]],
        delivery=delivery,
        payment_method=Order.PaymentMethod.PAY_AT_PICKUP,
        discount_code="WELCOME10" if sum(p.current_price for p in picks[1:]) >= Decimal("20") else "",
    )
    report.count("orders", 2)


# -- scaled data for the load benchmark (`manage.py seed_scaled`) ---------------------------------

SCALED_SKU_PREFIX = "LD"
SCALED_CUSTOMER_DOMAIN = "load.stockdesk.local"


def seed_scaled_customers(report: SeedReport, *, count: int) -> list[int]:
    """``count`` customers ``shopper00001@load.stockdesk.local`` … (password: the demo customers')."""
    group = Group.objects.get(name=Role.CUSTOMER)
    existing = set(User.objects.filter(email__endswith=f"@{SCALED_CUSTOMER_DOMAIN}").values_list("email", flat=True))
    password = make_password(CUSTOMER_PASSWORD)
    new = [
        User(email=email, name=f"Shopper {i:05d}", password=password)
        for i in range(1, count + 1)
        if (email := f"shopper{i:05d}@{SCALED_CUSTOMER_DOMAIN}") not in existing
    ]
    with transaction.atomic():
        User.objects.bulk_create(new, batch_size=2000)
        created = User.objects.filter(email__in=[u.email for u in new]).values_list("pk", flat=True)
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=pk, group_id=group.pk) for pk in created], batch_size=2000
        )
    report.count("load customers", len(new))
    return list(User.objects.filter(email__endswith=f"@{SCALED_CUSTOMER_DOMAIN}").values_list("pk", flat=True))


def seed_scaled_catalogue(
    report: SeedReport, *, store_slug: str, products: int, orders: int, customer_ids: list[int], seed: int = 7
) -> None:
    """Top the store up to ``products`` active products and the shop to ``orders`` orders, in bulk.

    Every product gets an opening receipt large enough for the orders written here, and every
    order line a sale movement, so the ledger still sums to ``on_hand`` (``check_stock`` clean).
    Orders are spread over the last year and mostly delivered. Idempotent: counts are targets.
    """
    rng = random.Random(seed)
    today = timezone.localdate()
    store = Store.objects.get(slug=store_slug)
    categories = list(Category.objects.filter(slug__in=STORES[store_slug][0]))
    suppliers = list(Supplier.objects.filter(store=store))
    have = Product.objects.filter(store=store).count()
    start = Product.objects.filter(store=store, sku__startswith=f"{SCALED_SKU_PREFIX}-").count()
    new_products = []
    for i in range(start, start + max(products - have, 0)):
        category = categories[i % len(categories)]
        nouns = CATEGORIES[category.slug][1]
        name = f"{VARIANTS[(i // len(categories)) % len(VARIANTS)]} {nouns[i % len(nouns)]} {i + 1:05d}"
        sku = f"{SCALED_SKU_PREFIX}-{i + 1:05d}"
        price = Decimal(str(round(rng.uniform(3, 160), 2)))
        new_products.append(
            Product(
                store=store,
                sku=sku,
                name=name,
                slug=slugify(f"{sku} {name}"),
                description=f"{name}: a dependable {nouns[i % len(nouns)].lower()} for everyday use.",
                category=category,
                supplier=suppliers[i % len(suppliers)] if suppliers else None,
                price=price,
                sale_price=(price * Decimal("0.8")).quantize(Decimal("0.01")) if i % 9 == 0 else None,
                cost=(price * Decimal("0.6")).quantize(Decimal("0.01")),
                reorder_point=5,
                reorder_quantity=40,
                # One in 40 is a new arrival; the rest were on sale for the whole order history.
                launch_date=today - timedelta(days=rng.randint(0, 20) if i % 40 == 7 else rng.randint(370, 800)),
                announced_at=timezone.now(),
            )
        )
    with transaction.atomic():
        Product.objects.bulk_create(new_products, batch_size=2000)
    report.count("load products", len(new_products))

    missing = orders - Order.objects.filter(store=store).count()
    pool = list(
        Product.objects.filter(
            store=store,
            sku__startswith=f"{SCALED_SKU_PREFIX}-",
            movements__isnull=True,
            launch_date__lt=today - timedelta(days=365),
        )
        .values_list("pk", "price", "cost", "launch_date")
        .order_by("pk")
    )
    if not pool:
        return
    # Plan the orders first, so each product's opening receipt covers exactly what it sells.
    sold: dict[int, int] = {pk: 0 for pk, *_ in pool}
    planned = []
    for _ in range(max(missing, 0)):
        lines = rng.sample(pool, k=min(len(pool), rng.choice([1, 1, 1, 2, 2, 3])))
        created = timezone.make_aware(datetime.combine(today - timedelta(days=rng.randint(1, 365)), time(12, 0)))
        quantities = [rng.choice([1, 1, 1, 2, 3]) for _ in lines]
        for (pk, *_), qty in zip(lines, quantities, strict=True):
            sold[pk] += qty
        planned.append((created, lines, quantities))
    with transaction.atomic():
        openings = [
            StockMovement(
                product_id=pk,
                kind=StockMovement.Kind.RECEIPT,
                quantity=sold[pk] + rng.randint(0, 60) + 1,
                unit_cost=cost,
                reference="load:opening",
                created_at=timezone.make_aware(datetime.combine(today - timedelta(days=400), time(7, 0))),
            )
            for pk, _price, cost, _launch in pool
        ]
        StockMovement.objects.bulk_create(openings, batch_size=5000)
        order_rows = [
            Order(
                store=store,
                customer_id=customer_ids[n % len(customer_ids)],
                payment_method=Order.PaymentMethod.CASH_ON_DELIVERY if n % 3 else Order.PaymentMethod.PAY_AT_PICKUP,
                delivery_name=f"Shopper {n % len(customer_ids) + 1:05d}",
                delivery_address=f"{n % 300 + 1} Load Street",
                delivery_postcode="1000 AA",
                delivery_city="Amsterdam",
                # Load orders carry no delivery fee: their total is their goods.
                subtotal=goods,
                total=goods,
                created_at=created,
            )
            for n, (created, lines, qty) in enumerate(planned)
            for goods in [sum((price * q for (_pk, price, *_), q in zip(lines, qty, strict=True)), Decimal("0"))]
        ]
        Order.objects.bulk_create(order_rows, batch_size=5000)
        line_rows, sales = [], []
        for order, (created, lines, qty) in zip(order_rows, planned, strict=True):
            for (pk, price, cost, _launch), q in zip(lines, qty, strict=True):
                delivered = created + timedelta(days=2)
                line_rows.append(
                    OrderLine(
                        order_id=order.pk,
                        product_id=pk,
                        quantity=q,
                        unit_price=price,
                        status=OrderLine.Status.DELIVERED,
                        shipped_at=created + timedelta(days=1),
                        delivered_at=delivered,
                    )
                )
                sales.append(
                    StockMovement(
                        product_id=pk,
                        kind=StockMovement.Kind.SALE,
                        quantity=-q,
                        unit_cost=cost,
                        reference=f"order:{order.pk}",
                        created_at=created,
                    )
                )
        OrderLine.objects.bulk_create(line_rows, batch_size=5000)
        StockMovement.objects.bulk_create(sales, batch_size=5000)
        # on_hand = the ledger's sum, set in one statement from the rows just written.
        Product.objects.filter(pk__in=[pk for pk, *_ in pool]).update(
            on_hand=Subquery(
                StockMovement.objects.filter(product=OuterRef("pk"))
                .values("product")
                .annotate(total=Sum("quantity"))
                .values("total")
            )
        )
    report.count("load orders", len(order_rows))
    report.count("load order lines", len(line_rows))
