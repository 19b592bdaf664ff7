"""Inventory API. Every queryset comes from a scoped selector: another store's or another
customer's id answers 404. Writes parse an input serializer and call one service."""

from __future__ import annotations

import django_filters
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from accounts.selectors import store_list_for_user, user_sees_all_stores

from .. import selectors, services
from ..models import Category, Order, Product, ReturnRequest, Supplier
from . import serializers as s


def _bad_request(exc: ValidationError) -> APIValidationError:
    return APIValidationError({"detail": " ".join(exc.messages)})


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

    class Meta:
        model = Product
        fields = ["category", "store", "min_price", "max_price", "on_sale"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """Active, launched products. Public."""

    permission_classes = [permissions.AllowAny]
    serializer_class = s.ProductOutputSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_class = ProductFilter
    search_fields = ["name", "description", "sku"]
    ordering_fields = ["name", "effective_price", "launch_date"]
    ordering = ["name"]

    def get_queryset(self):
        return selectors.product_list_for_storefront()


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.AllowAny]
    serializer_class = s.CategoryOutputSerializer
    queryset = Category.objects.all()
    lookup_field = "slug"


# --- Store staff --------------------------------------------------------------------


class StockLevelViewSet(viewsets.ReadOnlyModelViewSet):
    """On-hand stock of your stores' products (``low`` = at or below the reorder point)."""

    permission_classes = [IsStoreStaff]
    serializer_class = s.StockLevelOutputSerializer
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = {"store__slug": ["exact"], "on_hand": ["lte", "gte"], "is_active": ["exact"]}
    search_fields = ["sku", "name"]
    ordering_fields = ["on_hand", "sku", "name"]
    ordering = ["sku"]

    def get_queryset(self):
        return selectors.product_list_for_store_user(user=self.request.user)


class StockMovementViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStoreStaff]
    serializer_class = s.StockMovementOutputSerializer
    filterset_fields = {"product": ["exact"], "kind": ["exact"], "created_at": ["gte", "lte"]}

    def get_queryset(self):
        return selectors.stock_movement_list_for_store_user(user=self.request.user)


class StockAlertViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsStoreStaff]
    serializer_class = s.StockAlertOutputSerializer
    filterset_fields = {"status": ["exact"], "product": ["exact"]}

    def get_queryset(self):
        return selectors.stock_alert_list_for_store_user(user=self.request.user)


class PurchaseOrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Purchase orders of your stores: create a draft, order it, receive (fully or in part)."""

    permission_classes = [IsStoreStaff]
    serializer_class = s.PurchaseOrderOutputSerializer
    filterset_fields = {"status": ["exact"], "supplier": ["exact"], "store__slug": ["exact"]}

    def get_queryset(self):
        return selectors.purchase_order_list_for_store_user(user=self.request.user)

    @extend_schema(request=s.PurchaseOrderInputSerializer, responses={201: s.PurchaseOrderOutputSerializer})
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
        return Response(self._out(po.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PurchaseOrderOrderInputSerializer, responses=s.PurchaseOrderOutputSerializer)
    @action(detail=True, methods=["post"])
    def order(self, request, pk=None):
        po = self.get_object()
        data = self._valid(s.PurchaseOrderOrderInputSerializer)
        try:
            services.purchase_order_mark_ordered(purchase_order=po, expected_date=data["expected_date"])
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(self._out(po.pk))

    @extend_schema(request=s.PurchaseOrderReceiveInputSerializer, responses=s.PurchaseOrderOutputSerializer)
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


class OrderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your own orders. Place one (one store's products) and cancel it until it ships."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.OrderOutputSerializer
    queryset = Order.objects.none()  # the schema's model; requests use get_queryset()
    filterset_fields = {"status": ["exact"], "created_at": ["gte", "lte"]}

    def get_queryset(self):
        return selectors.order_list_for_customer(user=self.request.user)

    @extend_schema(request=s.OrderInputSerializer, responses={201: s.OrderOutputSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.OrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = [
            services.CartItem(product_id=i["product"], quantity=i["quantity"], unit_price=i["unit_price"])
            for i in data["items"]
        ]
        try:
            order = services.order_place(
                customer=request.user,
                items=items,
                delivery=services.DeliveryDetails(
                    name=data["delivery_name"],
                    address=data["delivery_address"],
                    postcode=data["delivery_postcode"],
                    city=data["delivery_city"],
                    phone=data["delivery_phone"],
                ),
                payment_method=data["payment_method"],
                discount_code=data["discount_code"],
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        created = self.get_queryset().get(pk=order.pk)
        return Response(s.OrderOutputSerializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.OrderOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        try:
            services.order_cancel(order=order, actor=request.user)
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(s.OrderOutputSerializer(self.get_queryset().get(pk=order.pk)).data)


class ReturnViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.ReturnOutputSerializer
    queryset = ReturnRequest.objects.none()  # the schema's model; requests use get_queryset()
    filterset_fields = {"status": ["exact"]}

    def get_queryset(self):
        return selectors.return_list_for_customer(user=self.request.user)

    @extend_schema(request=s.ReturnInputSerializer, responses={201: s.ReturnOutputSerializer})
    def create(self, request, *args, **kwargs):
        serializer = s.ReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        # Another customer's line raises Http404, which DRF answers as 404.
        line = selectors.order_line_for_customer(user=request.user, pk=data["order_line"])
        try:
            created = services.return_request_create(
                customer=request.user, line=line, quantity=data["quantity"], reason=data["reason"]
            )
        except ValidationError as exc:
            raise _bad_request(exc) from None
        return Response(s.ReturnOutputSerializer(created).data, status=status.HTTP_201_CREATED)
