"""Catalogue, stock ledger, orders, returns, purchasing and alerts.

Invariants live here as named database constraints; the rules that change rows live in
``inventory/services.py``. In particular ``Product.on_hand`` is written by the stock
services only, always together with a ``StockMovement`` row, so the ledger sums to it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone

from accounts.models import Store

ZERO = Decimal("0.00")
HALF_CENT = Decimal("0.005")


class Category(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Supplier(models.Model):
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="suppliers")
    name = models.CharField(max_length=120)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    notes = models.TextField(blank=True)
    # Used by the replenishment suggestions (forecasting): per product line on a purchase order.
    min_order_qty = models.PositiveIntegerField(
        "minimum order quantity", default=0, help_text="Fewest units of one product per order; 0 = no minimum."
    )
    pack_size = models.PositiveIntegerField(
        default=1, help_text="Units per pack; suggested quantities are rounded up to whole packs."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["store", "name"], name="inventory_supplier_store_name_unique"),
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="inventory_supplier_pack_size_gte_1"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField("SKU", max_length=40)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    description = models.TextField(blank=True)
    # An external picture, shown only when the product has no uploaded ``ProductImage``.
    image_url = models.URLField("image URL", blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    sale_price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Optional; must be below the price.",
    )
    cost = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO, validators=[MinValueValidator(ZERO)])
    # Changed only by inventory.services (conditional F() updates with a ledger row).
    on_hand = models.IntegerField(default=0, editable=False)
    reorder_point = models.PositiveIntegerField(default=5)
    reorder_quantity = models.PositiveIntegerField(default=20)
    lead_time_days = models.PositiveIntegerField(default=7)
    launch_date = models.DateField(default=timezone.localdate)
    is_active = models.BooleanField("active", default=True)
    # Set when followers of the category were told about the launch (once).
    announced_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["is_active", "launch_date"], name="inv_product_active_launch"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "sku"],
                name="inventory_product_store_sku_unique",
                violation_error_message="This store already has a product with this SKU.",
            ),
            models.UniqueConstraint(
                fields=["store", "slug"],
                name="inventory_product_store_slug_unique",
                violation_error_message="This store already has a product with this slug.",
            ),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="inventory_product_on_hand_gte_0"),
            models.CheckConstraint(condition=Q(price__gt=0), name="inventory_product_price_gt_0"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="inventory_product_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(sale_price__isnull=True) | (Q(sale_price__gt=0) & Q(sale_price__lt=models.F("price"))),
                name="inventory_product_sale_below_price",
                violation_error_message="The sale price must be below the price.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def get_absolute_url(self) -> str:
        return reverse("storefront:product", args=[self.pk, self.slug])

    def clean(self) -> None:
        if self.supplier_id and self.store_id and self.supplier.store_id != self.store_id:
            raise ValidationError({"supplier": "Choose a supplier of this product's store."})

    @property
    def current_price(self) -> Decimal:
        return self.sale_price if self.sale_price is not None else self.price

    @property
    def on_sale(self) -> bool:
        return self.sale_price is not None

    @property
    def discount_percent(self) -> int:
        if self.sale_price is None:
            return 0
        return int(((self.price - self.sale_price) / self.price * 100).quantize(Decimal("1")))

    @property
    def is_low(self) -> bool:
        return self.on_hand <= self.reorder_point


class StockMovement(models.Model):
    """One append-only ledger row. The sum of ``quantity`` per product equals its on_hand."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        SALE = "sale", "Sale"
        RETURN = "return", "Return"
        ADJUSTMENT = "adjustment", "Adjustment"
        CANCELLATION = "cancellation", "Cancellation"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    quantity = models.IntegerField(help_text="Signed: positive adds stock, negative takes it.")
    unit_cost = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Not auto_now_add: demo history is written with past times in bulk.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["product", "created_at"], name="inv_move_product_time")]
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="inventory_movement_quantity_nonzero"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="inventory_movement_unit_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(kind__in=["receipt", "sale", "return", "adjustment", "cancellation"]),
                name="inventory_movement_kind_valid",
            ),
            models.CheckConstraint(
                condition=~Q(kind="sale") | Q(quantity__lt=0), name="inventory_movement_sale_negative"
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["receipt", "return", "cancellation"]) | Q(quantity__gt=0),
                name="inventory_movement_inbound_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="inventory_movement_adjustment_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} of {self.product_id}"


ORDER_SUM = models.F("subtotal") + models.F("tax_total") - models.F("discount_total") + models.F("shipping_total")


class Order(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        CANCELLED = "cancelled", "Cancelled"

    class PaymentMethod(models.TextChoices):
        CASH_ON_DELIVERY = "cod", "Cash on delivery"
        PAY_AT_PICKUP = "pickup", "Pay at pickup"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    # The buyer: a customer's account, or (guest checkout) only an email address; never both,
    # never neither (CHECK below). A guest who later claims the order through the signed link
    # of its confirmation email becomes its customer and the guest email is cleared.
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    guest_email = models.EmailField(blank=True, help_text="Who bought as a guest (no account).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLACED)
    payment_method = models.CharField(max_length=6, choices=PaymentMethod.choices)
    delivery_name = models.CharField(max_length=150)
    delivery_address = models.TextField()
    delivery_postcode = models.CharField(max_length=16)
    delivery_city = models.CharField(max_length=80)
    delivery_phone = models.CharField(max_length=32, blank=True)
    # Money of the order, fixed when it is placed (inventory/services/pricing.py computes it):
    # total = subtotal + tax_total - discount_total + shipping_total, checked by the database.
    # ``subtotal`` is the goods without tax (in a store whose prices include tax: the lines minus
    # their tax after discount, the discount then being the amount taken off the shown prices).
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    tax_total = models.DecimalField("tax", max_digits=12, decimal_places=2, default=ZERO)
    discount_total = models.DecimalField("discount", max_digits=12, decimal_places=2, default=ZERO)
    discount_code = models.ForeignKey(
        "DiscountCode", null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    shipping_total = models.DecimalField("delivery fee", max_digits=10, decimal_places=2, default=ZERO)
    prices_include_tax = models.BooleanField(default=False, help_text="How the store showed its prices.")
    total = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="inventory_order_total_gte_0"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, shipping_total__gte=0, tax_total__gte=0, discount_total__gte=0),
                name="inventory_order_amounts_gte_0",
            ),
            # Equal to the cent: within half a cent, because SQLite adds decimals as floats
            # (all four amounts have two places, so on PostgreSQL this is exact equality).
            models.CheckConstraint(
                condition=Q(total__gt=ORDER_SUM - HALF_CENT, total__lt=ORDER_SUM + HALF_CENT),
                name="inventory_order_total_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["placed", "cancelled"]), name="inventory_order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(payment_method__in=["cod", "pickup"]), name="inventory_order_payment_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="inventory_order_cancelled_has_time",
            ),
            models.CheckConstraint(
                condition=Q(customer__isnull=False, guest_email="") | (Q(customer__isnull=True) & ~Q(guest_email="")),
                name="inventory_order_customer_or_guest",
            ),
        ]
        indexes = [
            # Per-customer discount limits count a guest's orders by email (services/discounts.py).
            models.Index(Upper("guest_email"), name="inventory_order_guest_email_up"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}" if self.pk else "New order"

    @property
    def buyer_email(self) -> str:
        """Where the order's emails go: the customer's address, or the guest's."""
        return self.customer.email if self.customer_id else self.guest_email

    @property
    def is_guest(self) -> bool:
        return self.customer_id is None

    @property
    def number(self) -> str:
        return f"SD-{self.pk:06d}"

    @property
    def goods(self) -> Decimal:
        """The lines as the store showed them, before discount (with tax if its prices include tax)."""
        if self.prices_include_tax:
            return self.subtotal + self.tax_total
        return self.subtotal

    @property
    def is_pickup(self) -> bool:
        """Pay at pickup means collect at the shop: no delivery, no delivery fee."""
        return self.payment_method == self.PaymentMethod.PAY_AT_PICKUP


class Address(models.Model):
    """A delivery address a customer saved; at most one is their default (partial UNIQUE).

    An order copies the address into its own ``delivery_*`` fields when it is placed, so
    editing or deleting an address later never rewrites an order.
    """

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=40, blank=True, help_text="Home, work… (optional).")
    name = models.CharField(max_length=150)
    address = models.TextField()
    postcode = models.CharField(max_length=16)
    city = models.CharField(max_length=80)
    phone = models.CharField(max_length=32, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["-is_default", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(is_default=True), name="inventory_address_one_default"
            ),
            models.CheckConstraint(
                condition=~Q(name="") & ~Q(address="") & ~Q(postcode="") & ~Q(city=""),
                name="inventory_address_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.one_line

    @property
    def one_line(self) -> str:
        street = " ".join(self.address.split())
        prefix = f"{self.label}: " if self.label else ""
        return f"{prefix}{self.name}, {street}, {self.postcode} {self.city}"


class OrderLine(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SHIPPED = "shipped", "Shipped"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    # The rate (percent) and the tax of this line; four places because a store that rounds
    # the order's tax once keeps each line's share unrounded.
    # This line's share of the order's discount (as shown, to the cent); tax is on the rest.
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=ZERO)
    tax = models.DecimalField(max_digits=12, decimal_places=4, default=ZERO)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="inventory_orderline_order_product_unique"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_orderline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="inventory_orderline_price_gte_0"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "shipped", "delivered", "cancelled"]),
                name="inventory_orderline_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="delivered") | Q(delivered_at__isnull=False),
                name="inventory_orderline_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.product_id} on order {self.order_id}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


# --- Commerce: delivery fees, tax, discount codes, images (issue 24) ----------------------


class StoreShipping(models.Model):
    """A store's delivery fee rules and pickup counter; a store without a row delivers free.

    The fee applies to delivered orders (cash on delivery); collecting at the shop (pay at
    pickup) is always free. The help centre renders these values (chatbot/facts.py).
    """

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="shipping")
    delivery_fee = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text="Flat fee per delivered order. 0 = delivery is free.",
    )
    free_delivery_threshold = models.DecimalField(
        "free delivery from",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(ZERO)],
        help_text="Orders whose goods (after any discount) reach this amount are delivered free. Empty = never.",
    )
    pickup_hours = models.CharField(
        "pickup opening hours",
        max_length=120,
        blank=True,
        help_text="When customers can collect and pay at the shop, e.g. 'Monday to Saturday, 9:00-18:00'.",
    )

    class Meta:
        verbose_name = "delivery settings"
        verbose_name_plural = "delivery settings"
        constraints = [
            models.CheckConstraint(condition=Q(delivery_fee__gte=0), name="inventory_shipping_fee_gte_0"),
            models.CheckConstraint(
                condition=Q(free_delivery_threshold__isnull=True) | Q(free_delivery_threshold__gte=0),
                name="inventory_shipping_threshold_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"Delivery settings of {self.store}"


class StoreTax(models.Model):
    """How a store shows and rounds tax; a store without a row shows prices without tax, 0%."""

    class Rounding(models.TextChoices):
        LINE = "line", "Round each line's tax"
        ORDER = "order", "Round the order's tax once"

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="tax")
    prices_include_tax = models.BooleanField(
        default=True, help_text="Prices in the catalogue include tax (shown as 'incl. tax')."
    )
    rounding = models.CharField(max_length=5, choices=Rounding.choices, default=Rounding.LINE)

    class Meta:
        verbose_name = "tax settings"
        verbose_name_plural = "tax settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(rounding__in=["line", "order"]), name="inventory_storetax_rounding_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Tax settings of {self.store}"


class TaxRate(models.Model):
    """A store's tax rate for one category, or its default rate (no category)."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="tax_rates")
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Empty = every other category.",
    )
    rate = models.DecimalField(
        "rate (%)",
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(ZERO), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["store", "category__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "category"],
                name="inventory_taxrate_store_category_unique",
                violation_error_message="This store already has a rate for this category.",
            ),
            models.UniqueConstraint(
                fields=["store"],
                condition=Q(category__isnull=True),
                name="inventory_taxrate_one_default_per_store",
                violation_error_message="This store already has a default rate.",
            ),
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=100), name="inventory_taxrate_rate_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.rate}% on {self.category or 'everything else'} at {self.store}"


class DiscountCode(models.Model):
    """A code a customer types at checkout: a percentage or an amount off one store's goods.

    ``times_used`` is counted up only by ``services.discounts`` with a conditional UPDATE, so
    a code with one use left is used once even when two checkouts race for it.
    """

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Amount off"

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="discount_codes")
    code = models.CharField(max_length=32, help_text="What customers type; letters and digits, not case-sensitive.")
    kind = models.CharField(max_length=7, choices=Kind.choices, default=Kind.PERCENT)
    value = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Percent (1-100) or amount off the goods, as prices are shown.",
    )
    minimum_basket = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(ZERO)]
    )
    valid_from = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty = unlimited.")
    max_uses_per_customer = models.PositiveIntegerField(null=True, blank=True, default=1)
    times_used = models.PositiveIntegerField(default=0, editable=False)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["store", "code"]
        constraints = [
            models.UniqueConstraint(
                Upper("code"),
                "store",
                name="inventory_discountcode_store_code_unique",
                violation_error_message="This store already has this code.",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="inventory_discountcode_value_gt_0"),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(value__lte=100), name="inventory_discountcode_percent_lte_100"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["percent", "fixed"]), name="inventory_discountcode_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(times_used__lte=models.F("max_uses")),
                name="inventory_discountcode_uses_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gt=models.F("valid_from")),
                name="inventory_discountcode_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.kind == self.Kind.PERCENT and self.value is not None and self.value > 100:
            raise ValidationError({"value": "A percentage can be at most 100."})
        if self.valid_until and self.valid_from and self.valid_until <= self.valid_from:
            raise ValidationError({"valid_until": "The end must be after the start."})


class ProductImage(models.Model):
    """One picture of a product, shown in ``position`` order (the first on the catalogue card).

    Files are checked as real images by ``inventory.images.image_check`` (Pillow, size and
    pixel limits) before they are saved; thumbnails are made from them by sorl-thumbnail, in
    whichever storage ``STORAGES["default"]`` names.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(upload_to="products/%Y/%m/", width_field="width", height_field="height")
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    alt_text = models.CharField(
        "alt text", max_length=200, help_text="What the picture shows, for people who cannot see it."
    )
    position = models.PositiveSmallIntegerField(default=0, help_text="Lower first; the first is the main picture.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(alt_text=""), name="inventory_productimage_alt_text_required"),
        ]

    def __str__(self) -> str:
        return self.alt_text


class InvoiceSeries(models.Model):
    """A store's invoicing details and the counter its invoice numbers come from.

    ``last_number`` is raised only by ``services.invoices.invoice_issue`` while it holds this
    row's lock, so numbers are sequential per store and never handed out twice.
    """

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="invoice_series")
    legal_name = models.CharField(max_length=200, blank=True, help_text="Empty = the store's name.")
    address = models.TextField(blank=True, help_text="The seller's address printed on invoices.")
    tax_number = models.CharField("VAT / tax number", max_length=40, blank=True)
    prefix = models.CharField(max_length=12, default="INV-", blank=True, help_text="Printed before the number.")
    last_number = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "invoice settings"
        verbose_name_plural = "invoice settings"

    def __str__(self) -> str:
        return f"Invoice settings of {self.store}"


class Invoice(models.Model):
    """The invoice of one order: its number and the seller's details as they were when issued.

    The money comes from the order (fixed when it was placed), so the invoice always adds up to
    the order's total to the cent.
    """

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="invoices")
    sequence_number = models.PositiveIntegerField()
    number = models.CharField(max_length=40)
    seller_name = models.CharField(max_length=200)
    seller_address = models.TextField(blank=True)
    seller_tax_number = models.CharField(max_length=40, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["store", "sequence_number"], name="inventory_invoice_store_sequence_unique"
            ),
            models.CheckConstraint(condition=Q(sequence_number__gt=0), name="inventory_invoice_sequence_gt_0"),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.number}"


class ReturnRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        RECEIVED = "received", "Received"

    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="return_requests")
    quantity = models.PositiveIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="inventory_return_quantity_gt_0"),
            models.CheckConstraint(
                condition=Q(status__in=["requested", "approved", "rejected", "received"]),
                name="inventory_return_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Return #{self.pk} ({self.get_status_display()})"


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ORDERED = "ordered", "Ordered"
        PARTIAL = "partial", "Partly received"
        RECEIVED = "received", "Received"

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="purchase_orders")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchase_orders")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    expected_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ordered_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "ordered", "partial", "received"]), name="inventory_po_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(expected_date__isnull=False), name="inventory_po_ordered_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"PO-{self.pk:05d}" if self.pk else "New purchase order"


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="purchase_lines")
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0, editable=False)
    unit_cost = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(ZERO)])

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "product"], name="inventory_poline_po_product_unique"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="inventory_poline_ordered_gt_0"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=models.F("quantity_ordered")),
                name="inventory_poline_received_lte_ordered",
            ),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="inventory_poline_cost_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity_ordered} x {self.product_id}"

    @property
    def quantity_outstanding(self) -> int:
        return self.quantity_ordered - self.quantity_received


class PurchaseSpend(models.Model):
    """What a receipt cost, booked to the store's calendar month (first day of the month)."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="purchase_spend")
    purchase_order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="spend")
    month = models.DateField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["store", "month"], name="inv_spend_store_month")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="inventory_spend_amount_gte_0"),
            models.CheckConstraint(condition=Q(month__day=1), name="inventory_spend_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} on {self.purchase_order} ({self.month:%B %Y})"


class BudgetAlert(models.Model):
    """At most one per store and month: the constraint makes a second alert impossible."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="budget_alerts")
    month = models.DateField()
    budget = models.DecimalField(max_digits=12, decimal_places=2)
    spent = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["store", "month"], name="inventory_budgetalert_store_month_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.store} over budget in {self.month:%B %Y}"


class StockAlert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="alerts")
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    on_hand_at_open = models.IntegerField()
    reorder_point_at_open = models.PositiveIntegerField()
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=Q(status="open"), name="inventory_stockalert_one_open_per_product"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed"]), name="inventory_stockalert_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(closed_at__isnull=False), name="inventory_stockalert_closed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Low stock: {self.product.name}"


class BackInStockSubscription(models.Model):
    """Someone waiting for an out-of-stock product; emailed once on restock."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="subscriptions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "email"],
                condition=Q(notified_at__isnull=True),
                name="inventory_backinstock_one_waiting_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} waits for {self.product_id}"


class CategoryFollow(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_follows")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="inventory_categoryfollow_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.category_id}"


class Review(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="reviews")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    comment = models.TextField(blank=True)
    is_hidden = models.BooleanField("hidden", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["product", "customer"], name="inventory_review_once_per_customer"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="inventory_review_rating_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.product_id}"


# --- Demand forecasting and replenishment (issue 6) -----------------------------------


class ReplenishmentSettings(models.Model):
    """Per-store knobs of the replenishment maths; a store without a row uses the defaults.

    Kept in inventory (not on ``accounts.Store``) because only forecasting reads them.
    """

    DEFAULT_SERVICE_LEVEL = Decimal("0.950")
    DEFAULT_REVIEW_DAYS = 7

    store = models.OneToOneField(Store, on_delete=models.CASCADE, related_name="replenishment_settings")
    service_level = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=DEFAULT_SERVICE_LEVEL,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("0.999"))],
        help_text="Chance of not running out during a lead time, 0.5 to 0.999 (0.95 = 95%).",
    )
    review_days = models.PositiveIntegerField(
        default=DEFAULT_REVIEW_DAYS,
        validators=[MaxValueValidator(90)],
        help_text="Days between two orders; suggestions cover the lead time plus this period.",
    )

    class Meta:
        verbose_name = "replenishment settings"
        verbose_name_plural = "replenishment settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(service_level__gte=Decimal("0.5"), service_level__lt=1),
                name="inventory_replsettings_service_level_range",
            ),
            models.CheckConstraint(condition=Q(review_days__lte=90), name="inventory_replsettings_review_lte_90"),
        ]

    def __str__(self) -> str:
        return f"Replenishment settings of {self.store}"


class DemandForecast(models.Model):
    """The latest forecast of one product and the replenishment plan derived from it.

    Written only by ``inventory.services_forecast`` (one row per product, replaced on every run).
    ``forecast`` holds the daily ``mean``/``lo``/``hi`` lists, day 1 = the day after ``as_of``.
    """

    class Status(models.TextChoices):
        OK = "ok", "OK"
        SHORT_HISTORY = "short_history", "Short history"
        NO_SALES = "no_sales", "No sales"
        NO_HISTORY = "no_history", "Not enough history"
        FAILED = "failed", "Failed"

    product = models.OneToOneField(Product, on_delete=models.CASCADE, related_name="demand_forecast")
    status = models.CharField(max_length=16, choices=Status.choices)
    message = models.CharField(max_length=255, blank=True)
    model = models.CharField(max_length=32, blank=True)
    demand_class = models.CharField(max_length=16, blank=True)
    as_of = models.DateField(help_text="Last day of sales history the forecast is based on.")
    n_days = models.PositiveIntegerField(default=0)
    horizon_days = models.PositiveIntegerField(default=0)
    level = models.FloatField(default=95.0)
    forecast = models.JSONField(default=dict, blank=True)
    backtest = models.JSONField(default=dict, blank=True)
    sigma_daily = models.FloatField(default=0.0)
    error_rmsse = models.FloatField("RMSSE", null=True, blank=True)
    error_mase = models.FloatField("MASE", null=True, blank=True)
    # The plan, at the time of the run (the draft-PO action recomputes it from current stock).
    service_level = models.DecimalField(
        max_digits=4, decimal_places=3, default=ReplenishmentSettings.DEFAULT_SERVICE_LEVEL
    )
    lead_time_days = models.PositiveIntegerField(default=0)
    on_hand = models.PositiveIntegerField(default=0)
    on_order = models.PositiveIntegerField(default=0)
    lead_time_demand = models.FloatField(default=0.0)
    safety_stock = models.FloatField(default=0.0)
    reorder_point = models.PositiveIntegerField(default=0)
    suggested_quantity = models.PositiveIntegerField(default=0)
    stockout_date = models.DateField(null=True, blank=True)
    at_risk = models.BooleanField(default=False)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at_risk", "stockout_date", "product_id"]
        indexes = [models.Index(fields=["at_risk", "stockout_date"], name="inv_forecast_risk")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["ok", "short_history", "no_sales", "no_history", "failed"]),
                name="inventory_forecast_status_valid",
            ),
            models.CheckConstraint(condition=Q(sigma_daily__gte=0), name="inventory_forecast_sigma_gte_0"),
            models.CheckConstraint(
                condition=Q(lead_time_demand__gte=0, safety_stock__gte=0), name="inventory_forecast_plan_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(at_risk=False) | Q(stockout_date__isnull=False),
                name="inventory_forecast_at_risk_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Forecast of {self.product} as of {self.as_of}"
