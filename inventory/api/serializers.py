"""API shapes. Output serializers are read-only; input serializers name exactly what a
client may send, so price, store, status and stock fields cannot be mass-assigned."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
    Address,
    Category,
    DemandForecast,
    Order,
    OrderLine,
    Product,
    ProductImage,
    PurchaseOrder,
    PurchaseOrderLine,
    ReturnRequest,
    StockAlert,
    StockMovement,
    Supplier,
)
from ..services import MAX_LINE_QUANTITY

DELIVERY_FIELDS = ["delivery_name", "delivery_address", "delivery_postcode", "delivery_city"]

# --- Output -------------------------------------------------------------------------


class CategoryOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "description"]
        read_only_fields = fields


class ProductImageOutputSerializer(serializers.ModelSerializer):
    """One picture: the original file's absolute URL, its size and alt text (thumbnails are for pages)."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["id", "url", "alt_text", "width", "height", "position"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(obj.image.url) if request else obj.image.url


class ProductImageInputSerializer(serializers.Serializer):
    """A picture upload (multipart): the file is checked as a real image by the service."""

    image = serializers.FileField(help_text="JPEG, PNG, WebP or GIF; at most 5 MB and 25 megapixels.")
    alt_text = serializers.CharField(max_length=200)
    position = serializers.IntegerField(required=False, min_value=0, max_value=32767)


class ProductOutputSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    current_price = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)
    in_stock = serializers.SerializerMethodField()
    url = serializers.CharField(source="get_absolute_url", read_only=True)
    # Plain text, not format=uri: a product without a picture has an empty value.
    image_url = serializers.CharField(read_only=True, allow_blank=True)
    images = ProductImageOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "store",
            "sku",
            "name",
            "slug",
            "description",
            "image_url",
            "images",
            "category",
            "price",
            "sale_price",
            "current_price",
            "in_stock",
            "launch_date",
            "url",
        ]
        read_only_fields = fields

    def get_in_stock(self, obj) -> bool:
        return obj.on_hand > 0


class StockLevelOutputSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    low = serializers.BooleanField(source="is_low", read_only=True)

    class Meta:
        model = Product
        fields = ["id", "store", "sku", "name", "on_hand", "reorder_point", "reorder_quantity", "lead_time_days", "low"]
        read_only_fields = fields


class StockMovementOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = StockMovement
        fields = ["id", "product", "sku", "kind", "quantity", "unit_cost", "reference", "reason", "created_at"]
        read_only_fields = fields


class PurchaseOrderLineOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = ["id", "product", "sku", "quantity_ordered", "quantity_received", "unit_cost"]
        read_only_fields = fields


class PurchaseOrderOutputSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    supplier = serializers.StringRelatedField(read_only=True)
    lines = PurchaseOrderLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "id",
            "store",
            "supplier",
            "status",
            "expected_date",
            "notes",
            "created_at",
            "ordered_at",
            "received_at",
            "lines",
        ]
        read_only_fields = fields


class StockAlertOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    on_hand = serializers.IntegerField(source="product.on_hand", read_only=True)

    class Meta:
        model = StockAlert
        fields = ["id", "product", "sku", "status", "on_hand_at_open", "on_hand", "opened_at", "closed_at"]
        read_only_fields = fields


class OrderLineOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "product",
            "sku",
            "name",
            "quantity",
            "unit_price",
            "discount",
            "tax_rate",
            "tax",
            "status",
            "shipped_at",
            "delivered_at",
        ]
        read_only_fields = fields


class OrderOutputSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lines = OrderLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "store",
            "status",
            "payment_method",
            "delivery_name",
            "delivery_address",
            "delivery_postcode",
            "delivery_city",
            "subtotal",
            "tax_total",
            "discount_total",
            "prices_include_tax",
            "shipping_total",
            "total",
            "created_at",
            "cancelled_at",
            "lines",
        ]
        read_only_fields = fields


class AddressOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "label", "name", "address", "postcode", "city", "phone", "is_default", "created_at"]
        read_only_fields = fields


class ReturnOutputSerializer(serializers.ModelSerializer):
    order = serializers.IntegerField(source="order_line.order_id", read_only=True)

    class Meta:
        model = ReturnRequest
        fields = ["id", "order", "order_line", "quantity", "reason", "status", "decision_note", "created_at"]
        read_only_fields = fields


# --- Input --------------------------------------------------------------------------


class OrderItemInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)
    # The price the client showed; a mismatch with the catalogue fails the order.
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class OrderInputSerializer(serializers.Serializer):
    items = OrderItemInputSerializer(many=True, allow_empty=False)
    address = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="One of your saved addresses (its copy goes on the order) instead of the delivery_* fields; "
        "another customer's id answers 404.",
    )
    delivery_name = serializers.CharField(max_length=150, required=False)
    delivery_address = serializers.CharField(required=False)
    delivery_postcode = serializers.CharField(max_length=16, required=False)
    delivery_city = serializers.CharField(max_length=80, required=False)
    delivery_phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    payment_method = serializers.ChoiceField(choices=Order.PaymentMethod.choices)
    discount_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if "address" in attrs:
            return attrs
        missing = [name for name in DELIVERY_FIELDS if not (attrs.get(name) or "").strip()]
        if missing:
            raise serializers.ValidationError(dict.fromkeys(missing, "Required unless you give a saved address."))
        return attrs


class GuestOrderInputSerializer(OrderInputSerializer):
    address = None  # a guest has no saved addresses
    guest_email = serializers.EmailField(help_text="Where the confirmation and the signed link to the order go.")

    def validate(self, attrs):
        missing = [name for name in DELIVERY_FIELDS if not (attrs.get(name) or "").strip()]
        if missing:
            raise serializers.ValidationError(dict.fromkeys(missing, "This field is required."))
        return attrs


class GuestOrderOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The signed key of GET /guest-orders/{token}/ (also in the email).")
    order = OrderOutputSerializer()


class QuoteItemInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_LINE_QUANTITY)


class QuoteInputSerializer(serializers.Serializer):
    items = QuoteItemInputSerializer(many=True, allow_empty=False)
    discount_code = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class QuoteFiguresSerializer(serializers.Serializer):
    goods = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Lines as shown, before discount.")
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="subtotal + tax - discount + shipping, to the cent."
    )
    prices_include_tax = serializers.BooleanField()


class QuoteOutputSerializer(serializers.Serializer):
    discount_code = serializers.CharField(allow_null=True, help_text="The code that applies, as the shop spells it.")
    delivery = QuoteFiguresSerializer()
    pickup = QuoteFiguresSerializer()


class AddressInputSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=150)
    address = serializers.CharField()
    postcode = serializers.CharField(max_length=16)
    city = serializers.CharField(max_length=80)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    is_default = serializers.BooleanField(required=False, default=False, help_text="Make it your default address.")


class ReturnInputSerializer(serializers.Serializer):
    order_line = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)
    reason = serializers.CharField(max_length=2000)


class PurchaseOrderLineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity_ordered = serializers.IntegerField(min_value=1)
    unit_cost = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)


class PurchaseOrderInputSerializer(serializers.Serializer):
    supplier = serializers.IntegerField(min_value=1)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    lines = PurchaseOrderLineInputSerializer(many=True, allow_empty=False)


class PurchaseOrderOrderInputSerializer(serializers.Serializer):
    expected_date = serializers.DateField()


class ReceiptLineInputSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1)


class PurchaseOrderReceiveInputSerializer(serializers.Serializer):
    lines = ReceiptLineInputSerializer(many=True, required=False, help_text="Omit to receive everything outstanding.")


# --- Store staff: catalogue, stock, suppliers, forecasts ----------------------------


class SupplierOutputSerializer(serializers.ModelSerializer):
    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "store", "name", "email", "phone", "min_order_qty", "pack_size"]
        read_only_fields = fields


class StoreProductOutputSerializer(serializers.ModelSerializer):
    """A product as its store's staff see it: cost, stock and reorder settings included."""

    store = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    category = serializers.PrimaryKeyRelatedField(read_only=True)
    supplier = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    image_url = serializers.CharField(read_only=True, allow_blank=True)
    images = ProductImageOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "store",
            "sku",
            "name",
            "slug",
            "description",
            "image_url",
            "images",
            "category",
            "supplier",
            "price",
            "sale_price",
            "cost",
            "on_hand",
            "reorder_point",
            "reorder_quantity",
            "lead_time_days",
            "launch_date",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class StoreProductUpdateInputSerializer(serializers.Serializer):
    """What staff may change; never the store or the stock (stock moves through adjustments)."""

    sku = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=200, required=False, allow_blank=True, help_text="Made from the name if empty."
    )
    description = serializers.CharField(required=False, allow_blank=True)
    image_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    category = serializers.IntegerField(min_value=1, help_text="A category id (see /categories/).")
    supplier = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text="One of your suppliers (see /suppliers/).")  # fmt: skip
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    sale_price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0.01"), required=False, allow_null=True)  # fmt: skip
    cost = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=Decimal("0"), required=False)
    reorder_point = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    reorder_quantity = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    launch_date = serializers.DateField(required=False)
    is_active = serializers.BooleanField(required=False)


class StoreProductCreateInputSerializer(StoreProductUpdateInputSerializer):
    store = serializers.IntegerField(min_value=1, help_text="One of your stores (see /stores/).")


class StockAdjustmentInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        min_value=-1_000_000, max_value=1_000_000, help_text="Positive adds stock, negative removes it; not zero."
    )
    reason = serializers.CharField(max_length=255, help_text="Why (a count, damage, loss): required.")


class ForecastSeriesSerializer(serializers.Serializer):
    """Daily demand, day 1 = the day after ``as_of``: the mean and the prediction interval."""

    mean = serializers.ListField(child=serializers.FloatField())
    lo = serializers.ListField(child=serializers.FloatField())
    hi = serializers.ListField(child=serializers.FloatField())


class DemandForecastOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    forecast = serializers.SerializerMethodField()

    class Meta:
        model = DemandForecast
        fields = [
            "id",
            "product",
            "sku",
            "status",
            "message",
            "model",
            "as_of",
            "horizon_days",
            "level",
            "forecast",
            "error_mase",
            "on_hand",
            "on_order",
            "reorder_point",
            "safety_stock",
            "suggested_quantity",
            "stockout_date",
            "at_risk",
            "computed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ForecastSeriesSerializer)
    def get_forecast(self, obj):
        data = obj.forecast or {}
        return {key: list(data.get(key) or []) for key in ("mean", "lo", "hi")}


class ReorderSuggestionOutputSerializer(serializers.ModelSerializer):
    """What the last forecast run suggests ordering (the draft-PO action recomputes from current stock)."""

    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    supplier = serializers.PrimaryKeyRelatedField(source="product.supplier", read_only=True, allow_null=True)

    class Meta:
        model = DemandForecast
        fields = [
            "id",
            "product",
            "sku",
            "name",
            "supplier",
            "suggested_quantity",
            "on_hand",
            "on_order",
            "reorder_point",
            "stockout_date",
            "at_risk",
            "computed_at",
        ]
        read_only_fields = fields


class InvoiceLineOutputSerializer(serializers.Serializer):
    description = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    discount = serializers.DecimalField(max_digits=10, decimal_places=2)
    tax_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="As prices are shown, after discount.")


class TaxBandOutputSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax = serializers.DecimalField(max_digits=12, decimal_places=2)


class InvoiceOutputSerializer(serializers.Serializer):
    """An order's invoice: number, seller, lines, tax per rate and the order's own totals."""

    number = serializers.CharField(source="invoice.number")
    issued_at = serializers.DateTimeField(source="invoice.issued_at")
    order = serializers.IntegerField(source="order.pk")
    seller_name = serializers.CharField(source="invoice.seller_name")
    seller_address = serializers.CharField(source="invoice.seller_address")
    seller_tax_number = serializers.CharField(source="invoice.seller_tax_number")
    prices_include_tax = serializers.BooleanField(source="order.prices_include_tax")
    lines = InvoiceLineOutputSerializer(many=True)
    tax_bands = TaxBandOutputSerializer(many=True)
    subtotal = serializers.DecimalField(source="order.subtotal", max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(source="order.discount_total", max_digits=12, decimal_places=2)
    tax_total = serializers.DecimalField(source="order.tax_total", max_digits=12, decimal_places=2)
    shipping_total = serializers.DecimalField(source="order.shipping_total", max_digits=10, decimal_places=2)
    total = serializers.DecimalField(source="order.total", max_digits=12, decimal_places=2)
