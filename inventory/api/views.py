"""Inventory API. Every queryset comes from a scoped selector: another store's or another
customer's id answers 404. Writes parse an input serializer and call one service."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from accounts import idempotency
from accounts.selectors import store_list_for_user, user_sees_all_stores
from helpdesk_project.api import (
    RateLimitHeadersMixin,
    created,
    etag_parameters,
    ordering_parameter,
    service_error,
    with_etag,
)

from .. import search, selectors, services
from ..cart import store_quotes
from ..invoice_pdf import invoice_pdf
from ..models import (
    Address,
    Category,
    DemandForecast,
    Order,
    OrderLine,
    Product,
    ReturnRequest,
    StockMovement,
    Supplier,
)
from ..services import catalogue
from . import serializers as s

UPDATED_SINCE_HELP = "Only rows changed at or after this time (ISO 8601), to poll for changes cheaply."


def _bad_request(exc: ValidationError) -> APIValidationError:
    return service_error(exc)


class IsStoreStaff(permissions.BasePermission):
    """Retailers (their stores) and ops/superusers (all stores)."""

    message = "Only store staff can use this endpoint."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and (user.is_retailer or user_sees_all_stores(user)))


# --- Public catalogue ---------------------------------------------------------------


class ProductFilter(django_filters.FilterSet):
    category = django_filters.CharFilter(field_name="category__slug")
    store = django_filters.CharFilter(field_name="store__slug")
    min_price = django_filters.NumberFilter(field_name="effective_price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="effective_price", lookup_expr="lte")
    on_sale = django_filters.BooleanFilter(field_name="sale_price", lookup_expr="isnull", exclude=True)
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=UPDATED_SINCE_HELP
    )
    search = django_filters.CharFilter(
        method="matching",
        max_length=100,
        help_text="Words in the name or description (plurals and small typos match), or the exact SKU.",
    )

    class Meta:
        model = Product
        fields = ["category", "store", "min_price", "max_price", "on_sale", "updated_since", "search"]

    def matching(self, queryset, name, value):
        return search.filter_products(queryset, value)


PRODUCT_ORDERING = ["name", "effective_price", "launch_date"]


@extend_schema_view(
    list=extend_schema(summary="Search and browse the catalogue", parameters=[ordering_parameter(PRODUCT_ORDERING)]),
    retrieve=extend_schema(summary="One product of the catalogue", parameters=etag_parameters()),
)
@extend_schema(tags=["products"])
class ProductViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    """Active, launched products. Public."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.ProductOutputSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    filterset_class = ProductFilter
    ordering_fields = PRODUCT_ORDERING
    ordering = ["name"]

    def get_queryset(self):
        return selectors.product_list_for_storefront()

    def retrieve(self, request, *args, **kwargs):
        return with_etag(request, super().retrieve(request, *args, **kwargs))


@extend_schema_view(list=extend_schema(summary="Product categories"), retrieve=extend_schema(summary="One category"))
@extend_schema(tags=["categories"])
class CategoryViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.AllowAny]
    serializer_class = s.CategoryOutputSerializer
    queryset = Category.objects.all()
    lookup_field = "slug"


# --- Store staff --------------------------------------------------------------------


class StockLevelFilter(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        method="changed_since",
        help_text="Only products whose stock moved or whose settings changed at or after this time (ISO 8601).",
    )

    def changed_since(self, queryset, name, value):
        # Stock moves by F() updates that leave updated_at alone; the ledger row says when.
        moved = StockMovement.objects.filter(created_at__gte=value).values("product_id")
        return queryset.filter(Q(updated_at__gte=value) | Q(pk__in=moved))

    class Meta:
        model = Product
        fields = {"store__slug": ["exact"], "on_hand": ["lte", "gte"], "is_active": ["exact"]}


STOCK_LEVEL_ORDERING = ["on_hand", "sku", "name"]


@extend_schema_view(
    list=extend_schema(summary="Stock of your stores' products", parameters=[ordering_parameter(STOCK_LEVEL_ORDERING)]),
    retrieve=extend_schema(summary="Stock of one product"),
)
class StoreStaffProductsViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    """The products of the asking staff member's stores, filtered, searched and ordered alike:
    the stock view and the catalogue management view differ only in what they show and allow."""

    permission_classes = [IsStoreStaff]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = StockLevelFilter
    search_fields = ["sku", "name"]
    ordering = ["sku"]

    def get_queryset(self):
        return selectors.product_list_for_store_user(user=self.request.user)


@extend_schema(tags=["stock"])
class StockLevelViewSet(StoreStaffProductsViewSet):
    """On-hand stock of your stores' products (``low`` = at or below the reorder point)."""

    serializer_class = s.StockLevelOutputSerializer
    ordering_fields = STOCK_LEVEL_ORDERING


@extend_schema_view(
    list=extend_schema(summary="The stock ledger of your stores"), retrieve=extend_schema(summary="One stock movement")
)
@extend_schema(tags=["stock"])
class StockMovementViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStoreStaff]
    serializer_class = s.StockMovementOutputSerializer
    filterset_fields = {"product": ["exact"], "kind": ["exact"], "created_at": ["gte", "lte"]}

    def get_queryset(self):
        return selectors.stock_movement_list_for_store_user(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Low-stock alerts of your stores"), retrieve=extend_schema(summary="One stock alert")
)
@extend_schema(tags=["stock"])
class StockAlertViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStoreStaff]
    serializer_class = s.StockAlertOutputSerializer
    filterset_fields = {"status": ["exact"], "product": ["exact"]}

    def get_queryset(self):
        return selectors.stock_alert_list_for_store_user(user=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="Purchase orders of your stores"), retrieve=extend_schema(summary="One purchase order")
)
@extend_schema(tags=["purchase-orders"])
class PurchaseOrderViewSet(RateLimitHeadersMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Purchase orders of your stores: create a draft, order it, receive (fully or in part)."""

    permission_classes = [IsStoreStaff]
    serializer_class = s.PurchaseOrderOutputSerializer
    filterset_fields = {"status": ["exact"], "supplier": ["exact"], "store__slug": ["exact"]}

    def get_queryset(self):
        return selectors.purchase_order_list_for_store_user(user=self.request.user)

    @extend_schema(summary="Draft a purchase order", request=s.PurchaseOrderInputSerializer,
                   responses={201: s.PurchaseOrderOutputSerializer}, parameters=[idempotency.PARAMETER])  # fmt: skip
    @idempotency.idempotent
    def create(self, request, *args, **kwargs):
        data = self._valid(s.PurchaseOrderInputSerializer)
        supplier = Supplier.objects.filter(pk=data["supplier"], store__in=store_list_for_user(request.user)).first()
        if supplier is None:
            raise APIValidationError({"detail": "Unknown supplier."})
        lines = [
            services.PurchaseLineInput(
                product_id=ln["product"], quantity=ln["quantity_ordered"], unit_cost=ln["unit_cost"]
            )
            for ln in data["lines"]
        ]
        try:
            po = services.purchase_order_create(supplier=supplier, lines=lines, actor=request.user, notes=data["notes"])
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return created(request, self._out(po.pk), url_name="purchase-order-detail", pk=po.pk)

    @extend_schema(summary="Send a draft to the supplier", request=s.PurchaseOrderOrderInputSerializer,
                   responses=s.PurchaseOrderOutputSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def order(self, request, pk=None):
        po = self.get_object()
        data = self._valid(s.PurchaseOrderOrderInputSerializer)
        try:
            services.purchase_order_mark_ordered(purchase_order=po, expected_date=data["expected_date"])
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(self._out(po.pk))

    @extend_schema(summary="Receive goods (all outstanding, or the given lines)",
                   request=s.PurchaseOrderReceiveInputSerializer, responses=s.PurchaseOrderOutputSerializer)  # fmt: skip
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        po = self.get_object()
        data = self._valid(s.PurchaseOrderReceiveInputSerializer)
        quantities = None
        if data.get("lines"):
            quantities = {}
            for ln in data["lines"]:
                if ln["line"] in quantities:
                    raise APIValidationError({"detail": f"Line {ln['line']} appears twice."})
                quantities[ln["line"]] = ln["quantity"]
        try:
            services.purchase_order_receive(purchase_order=po, quantities=quantities, actor=request.user)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(self._out(po.pk))

    def _valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _out(self, pk: int):
        return s.PurchaseOrderOutputSerializer(self.get_queryset().get(pk=pk)).data


# --- Customers ----------------------------------------------------------------------


class OrderFilter(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        method="changed_since",
        help_text="Only orders placed, cancelled, or with a line shipped or delivered at or after this time (ISO 8601).",
    )

    class Meta:
        model = Order
        fields = {"status": ["exact"], "created_at": ["gte", "lte"]}

    def changed_since(self, queryset, name, value):
        # An order's changes are its own timestamps; no updated_at column is needed to find them.
        lines = OrderLine.objects.filter(Q(shipped_at__gte=value) | Q(delivered_at__gte=value)).values("order_id")
        return queryset.filter(Q(created_at__gte=value) | Q(cancelled_at__gte=value) | Q(pk__in=lines))


def _typed_delivery(data: dict) -> services.DeliveryDetails:
    return services.DeliveryDetails(
        name=data["delivery_name"],
        address=data["delivery_address"],
        postcode=data["delivery_postcode"],
        city=data["delivery_city"],
        phone=data["delivery_phone"],
    )


def _items(data: dict) -> list[services.CartItem]:
    return [
        services.CartItem(product_id=i["product"], quantity=i["quantity"], unit_price=i["unit_price"])
        for i in data["items"]
    ]


@extend_schema(tags=["orders"])
class QuoteViewSet(RateLimitHeadersMixin, viewsets.ViewSet):
    """What a cart would cost, with a discount code checked as checkout checks it."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        summary="Price a cart (delivery and pickup) and preview a discount code, placing nothing",
        description="A refused code answers 400 with the reason in `detail` (expired, minimum basket, "
        "used up, already used by you). A guest's per-customer limit is checked when the order is placed.",
        request=s.QuoteInputSerializer,
        responses=s.QuoteOutputSerializer,
    )
    def create(self, request):
        serializer = s.QuoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        wanted = {}
        for item in data["items"]:
            if item["product"] in wanted:
                raise APIValidationError({"detail": "A product appears twice in the cart."})
            wanted[item["product"]] = item["quantity"]
        products = {p.pk: p for p in selectors.product_list_for_storefront().filter(pk__in=list(wanted))}
        if len(products) != len(wanted):
            raise APIValidationError(
                {"detail": "A product in your cart is not available.", "code": "product_unavailable"}
            )
        if len({p.store_id for p in products.values()}) != 1:
            raise APIValidationError({"detail": "A cart holds products of one store only."})
        lines = [(products[pk], quantity, products[pk].current_price) for pk, quantity in sorted(wanted.items())]
        store_id = lines[0][0].store_id
        buyer = services.Buyer.of(customer=request.user) if request.user.is_authenticated else None
        try:
            code = services.discount_code_for_lines(
                store_id=store_id, code=data["discount_code"], buyer=buyer, lines=lines
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        quotes = store_quotes(store_id=store_id, lines=lines, code=code)
        return Response(s.QuoteOutputSerializer({"discount_code": code.code if code else None, **quotes}).data)


@extend_schema(tags=["guest-orders"])
class GuestOrderViewSet(RateLimitHeadersMixin, viewsets.ViewSet):
    """Orders without an account: placed with an email, read with the signed token the
    confirmation email links to, and claimed into an account only with that token."""

    permission_classes = [permissions.AllowAny]
    lookup_field = "token"
    lookup_value_regex = r"[^/]+"

    @extend_schema(
        summary="Place an order as a guest (no account)",
        request=s.GuestOrderInputSerializer,
        responses={201: s.GuestOrderOutputSerializer},
    )
    def create(self, request):
        serializer = s.GuestOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            order = services.order_place(
                guest_email=data["guest_email"],
                items=_items(data),
                delivery=_typed_delivery(data),
                payment_method=data["payment_method"],
                discount_code=data["discount_code"],
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        token = services.guest_order_token(order)
        placed = services.guest_order_for_token(token)
        data = s.GuestOrderOutputSerializer({"token": token, "order": placed}).data
        return created(request, data, url_name="guest-order-detail", pk=token)

    def _guest_order(self, token: str) -> Order:
        order = services.guest_order_for_token(token)  # forged or expired: 404
        if not order.is_guest:
            raise NotFound("This order is now kept in an account: read it from /orders/ with that account.")
        return order

    @extend_schema(summary="A guest order, by its signed token", responses=s.OrderOutputSerializer)
    def retrieve(self, request, token=None):
        return Response(s.OrderOutputSerializer(self._guest_order(token)).data)

    @extend_schema(
        summary="Keep a guest order in your account (only with its signed token)",
        request=None,
        responses=s.OrderOutputSerializer,
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def claim(self, request, token=None):
        self._guest_order(token)
        try:
            order = services.order_claim(token=token, user=request.user)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(s.OrderOutputSerializer(selectors.order_for_customer(user=request.user, pk=order.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="Your orders"),
    retrieve=extend_schema(summary="One of your orders", parameters=etag_parameters()),
)
@extend_schema(tags=["orders"])
class OrderViewSet(RateLimitHeadersMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your own orders. Place one (one store's products) and cancel it until it ships."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.OrderOutputSerializer
    queryset = Order.objects.none()  # the schema's model; requests use get_queryset()
    filterset_class = OrderFilter

    def get_queryset(self):
        return selectors.order_list_for_customer(user=self.request.user)

    def retrieve(self, request, *args, **kwargs):
        return with_etag(request, super().retrieve(request, *args, **kwargs))

    @extend_schema(summary="Place an order", request=s.OrderInputSerializer, responses={201: s.OrderOutputSerializer},
                   parameters=[idempotency.PARAMETER])  # fmt: skip
    @idempotency.idempotent
    def create(self, request, *args, **kwargs):
        serializer = s.OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = _items(data)
        if "address" in data:
            # Another customer's address id raises Http404 (DRF answers 404), before anything changes.
            address = selectors.address_for_customer(user=request.user, pk=data["address"])
            delivery = services.address_delivery(address)
        else:
            delivery = _typed_delivery(data)
        try:
            order = services.order_place(
                customer=request.user,
                items=items,
                delivery=delivery,
                payment_method=data["payment_method"],
                discount_code=data["discount_code"],
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        placed = self.get_queryset().get(pk=order.pk)
        return created(request, s.OrderOutputSerializer(placed).data, url_name="order-detail", pk=order.pk)

    @extend_schema(summary="Cancel your order (until it ships)", request=None, responses=s.OrderOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        try:
            services.order_cancel(order=order, actor=request.user)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(s.OrderOutputSerializer(self.get_queryset().get(pk=order.pk)).data)

    def _invoice(self):
        try:
            invoice = services.invoice_issue(order=self.get_object())
        except ValidationError as exc:
            raise NotFound(" ".join(exc.messages)) from None
        return services.invoice_document(invoice=invoice)

    @extend_schema(summary="The invoice of your order (issued on first request)", responses=s.InvoiceOutputSerializer)
    @action(detail=True, methods=["get"])
    def invoice(self, request, pk=None):
        return Response(s.InvoiceOutputSerializer(self._invoice()).data)

    @extend_schema(
        summary="The invoice of your order as a PDF", responses={(200, "application/pdf"): OpenApiTypes.BINARY}
    )
    @action(detail=True, methods=["get"], url_path="invoice/pdf")
    def invoice_pdf(self, request, pk=None):
        document = self._invoice()
        response = HttpResponse(invoice_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="invoice-{document.invoice.number}.pdf"'
        return response


@extend_schema_view(
    list=extend_schema(summary="Your saved delivery addresses (the default first)"),
    retrieve=extend_schema(summary="One of your saved addresses"),
    destroy=extend_schema(summary="Delete a saved address (orders keep their copy)"),
)
@extend_schema(tags=["addresses"])
class AddressViewSet(
    RateLimitHeadersMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Your saved delivery addresses; orders copy one when placed, so edits never rewrite an order."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.AddressOutputSerializer
    queryset = Address.objects.none()  # the schema's model; requests use get_queryset()
    pagination_class = None

    def get_queryset(self):
        return selectors.address_list_for_customer(user=self.request.user)

    def _input(self, request) -> tuple[services.AddressInput, bool]:
        serializer = s.AddressInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        make_default = data.pop("is_default")
        return services.AddressInput(**data), make_default

    @extend_schema(
        summary="Save an address", request=s.AddressInputSerializer, responses={201: s.AddressOutputSerializer}
    )
    def create(self, request, *args, **kwargs):
        data, make_default = self._input(request)
        try:
            address = services.address_create(customer=request.user, data=data, make_default=make_default)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return created(request, s.AddressOutputSerializer(address).data, url_name="address-detail", pk=address.pk)

    @extend_schema(
        summary="Change a saved address", request=s.AddressInputSerializer, responses=s.AddressOutputSerializer
    )
    def update(self, request, pk=None):
        address = self.get_object()  # another customer's id: 404, before the input is read
        data, make_default = self._input(request)
        try:
            address = services.address_update(address=address, data=data)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        if make_default:
            services.address_set_default(address=address)
        return Response(s.AddressOutputSerializer(self.get_queryset().get(pk=address.pk)).data)

    def perform_destroy(self, instance):
        services.address_delete(address=instance)

    @extend_schema(summary="Make it your default address", request=None, responses=s.AddressOutputSerializer)
    @action(detail=True, methods=["post"], url_path="default")
    def make_default(self, request, pk=None):
        address = services.address_set_default(address=self.get_object())
        return Response(s.AddressOutputSerializer(address).data)


@extend_schema_view(
    list=extend_schema(summary="Your return requests"), retrieve=extend_schema(summary="One of your return requests")
)
@extend_schema(tags=["returns"])
class ReturnViewSet(RateLimitHeadersMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.ReturnOutputSerializer
    queryset = ReturnRequest.objects.none()  # the schema's model; requests use get_queryset()
    filterset_fields = {"status": ["exact"]}

    def get_queryset(self):
        return selectors.return_list_for_customer(user=self.request.user)

    @extend_schema(summary="Ask to return an order line", request=s.ReturnInputSerializer,
                   responses={201: s.ReturnOutputSerializer}, parameters=[idempotency.PARAMETER])  # fmt: skip
    @idempotency.idempotent
    def create(self, request, *args, **kwargs):
        serializer = s.ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Another customer's line raises Http404, which DRF answers as 404.
        line = selectors.order_line_for_customer(user=request.user, pk=data["order_line"])
        try:
            made = services.return_request_create(
                customer=request.user, line=line, quantity=data["quantity"], reason=data["reason"]
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return created(request, s.ReturnOutputSerializer(made).data, url_name="return-detail", pk=made.pk)


# --- Store staff: catalogue, stock adjustments, suppliers, forecasts -------------------


def _require_perm(request, perm: str) -> None:
    """The admin's model permission for the same change (retailers have it; a store member
    without it cannot do through the API what the admin would refuse)."""
    if not request.user.has_perm(perm):
        raise PermissionDenied("Your account may not change products.")


STORE_PRODUCT_ORDERING = ["sku", "name", "on_hand", "updated_at"]


@extend_schema_view(
    list=extend_schema(
        summary="Your stores' products, active or not", parameters=[ordering_parameter(STORE_PRODUCT_ORDERING)]
    ),
    retrieve=extend_schema(summary="One of your stores' products"),
)
@extend_schema(tags=["store-products"])
class StoreProductViewSet(StoreStaffProductsViewSet):
    """The catalogue as its store's staff manage it; stock changes only through adjustments."""

    serializer_class = s.StoreProductOutputSerializer
    ordering_fields = STORE_PRODUCT_ORDERING

    def _fields(self, data: dict) -> dict:
        fields = {name: value for name, value in data.items() if name != "store"}
        if "category" in fields:
            fields["category"] = Category.objects.filter(pk=fields["category"]).first()
            if fields["category"] is None:
                raise APIValidationError({"detail": "Unknown category."})
        if fields.get("supplier") is not None:
            fields["supplier"] = (
                selectors.supplier_list_for_store_user(user=self.request.user).filter(pk=fields["supplier"]).first()
            )
            if fields["supplier"] is None:
                raise APIValidationError({"detail": "Unknown supplier."})
        return fields

    def _out(self, pk: int) -> Response:
        return Response(s.StoreProductOutputSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(summary="Create a product (no stock: adjust or receive it)",
                   request=s.StoreProductCreateInputSerializer, responses={201: s.StoreProductOutputSerializer},
                   parameters=[idempotency.PARAMETER])  # fmt: skip
    @idempotency.idempotent
    def create(self, request):
        _require_perm(request, "inventory.add_product")
        serializer = s.StoreProductCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        store = store_list_for_user(request.user).filter(pk=serializer.validated_data["store"]).first()
        if store is None:
            raise APIValidationError({"detail": "Unknown store."})
        try:
            product = catalogue.product_create(
                store=store, actor=request.user, **self._fields(serializer.validated_data)
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        data = s.StoreProductOutputSerializer(self.get_queryset().get(pk=product.pk)).data
        return created(request, data, url_name="store-product-detail", pk=product.pk)

    @extend_schema(summary="Change a product", request=s.StoreProductUpdateInputSerializer(partial=True),
                   responses=s.StoreProductOutputSerializer)  # fmt: skip
    def partial_update(self, request, pk=None):
        _require_perm(request, "inventory.change_product")
        product = self.get_object()
        serializer = s.StoreProductUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            catalogue.product_update(product=product, actor=request.user, **self._fields(serializer.validated_data))
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return self._out(product.pk)

    @extend_schema(summary="Take a product off the storefront", request=None, responses=s.StoreProductOutputSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        _require_perm(request, "inventory.change_product")
        product = catalogue.product_deactivate(product=self.get_object(), actor=request.user)
        return self._out(product.pk)

    @extend_schema(summary="Adjust stock (a count, damage, loss) with a reason; booked in the ledger",
                   request=s.StockAdjustmentInputSerializer, responses={201: s.StockMovementOutputSerializer},
                   parameters=[idempotency.PARAMETER])  # fmt: skip
    @action(detail=True, methods=["post"], url_path="stock-adjustments")
    @idempotency.idempotent
    def stock_adjustments(self, request, pk=None):
        _require_perm(request, "inventory.change_product")
        product = self.get_object()
        serializer = s.StockAdjustmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            movement = services.stock_adjust(product=product, actor=request.user, **serializer.validated_data)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        movement = selectors.stock_movement_list_for_store_user(user=request.user).get(pk=movement.pk)
        data = s.StockMovementOutputSerializer(movement).data
        return created(request, data, url_name="stock-movement-detail", pk=movement.pk)

    @extend_schema(summary="Upload a picture of the product (multipart; checked as a real image)",
                   request={"multipart/form-data": s.ProductImageInputSerializer},
                   responses={201: s.ProductImageOutputSerializer})  # fmt: skip
    @action(detail=True, methods=["post"], url_path="images", parser_classes=[MultiPartParser])
    def images(self, request, pk=None):
        _require_perm(request, "inventory.add_productimage")
        product = self.get_object()
        serializer = s.ProductImageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            image = services.product_image_add(product=product, file=serializer.validated_data["image"],
                                               alt_text=serializer.validated_data["alt_text"],
                                               position=serializer.validated_data.get("position"))  # fmt: skip
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(s.ProductImageOutputSerializer(image, context={"request": request}).data, status=201)


@extend_schema_view(
    list=extend_schema(summary="Your stores' suppliers"), retrieve=extend_schema(summary="One of your suppliers")
)
@extend_schema(tags=["suppliers"])
class SupplierViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStoreStaff]
    serializer_class = s.SupplierOutputSerializer
    filterset_fields = {"store__slug": ["exact"]}

    def get_queryset(self):
        return selectors.supplier_list_for_store_user(user=self.request.user).order_by("store_id", "name", "pk")


@extend_schema_view(
    list=extend_schema(summary="Demand forecasts of your stores' products, most at risk first"),
    retrieve=extend_schema(summary="One product's demand forecast"),
)
@extend_schema(tags=["forecasts"])
class DemandForecastViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    """Written by the forecast run (``manage.py forecast_demand``); read-only here."""

    permission_classes = [IsStoreStaff]
    serializer_class = s.DemandForecastOutputSerializer
    queryset = DemandForecast.objects.none()  # the schema's model; requests use get_queryset()
    filterset_fields = {"product": ["exact"], "at_risk": ["exact"], "status": ["exact"]}

    def get_queryset(self):
        return selectors.demand_forecast_list_for_store_user(user=self.request.user).order_by(
            "-at_risk", "stockout_date", "product_id"
        )


@extend_schema_view(
    list=extend_schema(summary="What the last forecast run suggests reordering"),
    retrieve=extend_schema(summary="One reorder suggestion"),
)
@extend_schema(tags=["forecasts"])
class ReorderSuggestionViewSet(RateLimitHeadersMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStoreStaff]
    serializer_class = s.ReorderSuggestionOutputSerializer
    queryset = DemandForecast.objects.none()  # the schema's model; requests use get_queryset()
    filterset_fields = {"at_risk": ["exact"]}

    def get_queryset(self):
        return (
            selectors.demand_forecast_list_for_store_user(user=self.request.user)
            .filter(suggested_quantity__gt=0)
            .order_by("-at_risk", "stockout_date", "product_id")
        )
