"""Back office for retailers (scoped to their stores) and ops (all stores).

Every write that has a rule behind it (stock, order and return states, purchase order
receipts, hiding reviews) is an action that calls a service; stock on hand is read-only.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html
from import_export.admin import ImportExportMixin

from accounts.admin_mixins import ChangedValuesAdminMixin, ReadOnlyAdminMixin, StoreScopedAdminMixin
from accounts.selectors import user_sees_all_stores

from . import services
from .images import image_check
from .invoice_pdf import invoice_pdf
from .models import (
    Address,
    BackInStockSubscription,
    BudgetAlert,
    Category,
    DiscountCode,
    Invoice,
    InvoiceSeries,
    Order,
    OrderLine,
    Product,
    ProductImage,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseSpend,
    ReturnRequest,
    Review,
    StockAlert,
    StockMovement,
    StoreShipping,
    StoreTax,
    Supplier,
    TaxRate,
)
from .resources import ProductResource


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@admin.register(Category)
class CategoryAdmin(ChangedValuesAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "product_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_products=Count("products"))

    @admin.display(description="products", ordering="n_products")
    def product_count(self, obj):
        return obj.n_products


@admin.register(Supplier)
class SupplierAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "store", "email", "phone"]
    list_filter = ["store"]
    search_fields = ["name", "email"]
    list_select_related = ["store"]


class AdjustStockForm(forms.Form):
    quantity = forms.IntegerField(help_text="Positive adds stock, negative removes it (count, damage, loss).")
    reason = forms.CharField(max_length=255)


class ProductImageForm(forms.ModelForm):
    class Meta:
        model = ProductImage
        fields = ["image", "alt_text", "position"]

    def clean_image(self):
        # The same check as every other way in (inventory/images.py): a real image within limits.
        image = self.cleaned_data.get("image")
        if image and "image" in self.changed_data:
            image_check(image)
        return image


class ProductImageInline(StoreScopedAdminMixin, admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    store_path = "product__store"
    extra = 1
    fields = ["preview", "image", "alt_text", "position"]
    readonly_fields = ["preview"]

    @admin.display(description="picture")
    def preview(self, obj):
        if not obj.pk:
            return "-"
        return format_html(
            '<img src="{}" alt="{}" width="96" height="{}" loading="lazy">',
            obj.image.url,
            obj.alt_text,
            round(96 * obj.height / obj.width) if obj.width else 72,
        )


@admin.register(Product)
class ProductAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, ImportExportMixin, admin.ModelAdmin):
    resource_classes = [ProductResource]
    # Say what is wrong with the file; never show a server traceback to a retailer.
    import_error_display = ("message",)
    import_template_name = "admin/inventory/product_import.html"
    scoped_fk_paths = {"supplier": "store"}
    # Stock right after the name: on a phone's width the columns after it scroll out of view.
    list_display = [
        "sku",
        "name",
        "on_hand",
        "store",
        "category",
        "price",
        "sale_price",
        "reorder_point",
        "is_active",
        "launch_date",
    ]
    list_filter = ["store", "category", "is_active"]
    search_fields = ["sku", "name"]
    list_select_related = ["store", "category"]
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ["on_hand", "stock_history", "announced_at", "created_at", "updated_at"]
    actions = ["adjust_stock"]
    inlines = [ProductImageInline]
    fieldsets = [
        (None, {"fields": ["store", "sku", "name", "slug", "category", "supplier", "description", "image_url"]}),
        ("Pricing", {"fields": ["price", "sale_price", "cost"]}),
        ("Stock", {"fields": ["on_hand", "stock_history", "reorder_point", "reorder_quantity", "lead_time_days"]}),
        ("Availability", {"fields": ["launch_date", "is_active", "announced_at", "created_at", "updated_at"]}),
    ]

    def get_import_resource_kwargs(self, request, **kwargs):
        return {**super().get_import_resource_kwargs(request, **kwargs), "user": request.user}

    def get_export_resource_kwargs(self, request, **kwargs):
        return {**super().get_export_resource_kwargs(request, **kwargs), "user": request.user}

    @admin.display(description="stock history")
    def stock_history(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:inventory_stockmovement_changelist") + f"?product__id__exact={obj.pk}"
        return format_html('<a href="{}">Every stock movement of this product</a>', url)

    @admin.action(description="Adjust stock of the selected products", permissions=["change"])
    def adjust_stock(self, request, queryset):
        if "apply" in request.POST:
            form = AdjustStockForm(request.POST)
            if form.is_valid():
                done = 0
                for product in queryset.order_by("pk"):
                    try:
                        services.stock_adjust(
                            product=product,
                            quantity=form.cleaned_data["quantity"],
                            reason=form.cleaned_data["reason"],
                            actor=request.user,
                        )
                        done += 1
                    except ValidationError as exc:
                        self.message_user(request, f"{product.sku}: {_errors(exc)}", messages.ERROR)
                if done:
                    self.message_user(request, f"Stock adjusted for {done} product(s).", messages.SUCCESS)
                return None
        else:
            form = AdjustStockForm()
        return render(
            request,
            "admin/inventory/adjust_stock.html",
            {
                **self.admin_site.each_context(request),
                "title": "Adjust stock",
                "form": form,
                "products": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "product__store"
    list_display = ["created_at", "product", "kind", "quantity", "unit_cost", "reference", "reason", "actor"]
    list_filter = ["kind", "product__store"]
    search_fields = ["product__sku", "product__name", "reference"]
    list_select_related = ["product", "actor"]
    date_hierarchy = "created_at"


class OrderLineInline(StoreScopedAdminMixin, admin.TabularInline):
    model = OrderLine
    store_path = "order__store"
    extra = 0
    can_delete = False
    fields = [
        "product",
        "quantity",
        "unit_price",
        "discount",
        "tax_rate",
        "tax",
        "status",
        "shipped_at",
        "delivered_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "created_at", "store", "buyer", "status", "payment_method", "total"]
    list_filter = ["status", "payment_method", "store"]
    search_fields = ["pk", "customer__email", "guest_email", "delivery_name"]
    list_select_related = ["store", "customer"]
    date_hierarchy = "created_at"
    inlines = [OrderLineInline]
    readonly_fields = [*(f.name for f in Order._meta.fields), "invoice_link"]
    actions = ["mark_shipped", "mark_delivered"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.invoice_view)
        return [path("<path:object_id>/invoice.pdf", view, name="inventory_order_invoice"), *super().get_urls()]

    def invoice_view(self, request, object_id):
        """The order's invoice as a PDF (issued on first request), for staff of its store only."""
        order = self.get_object(request, object_id)  # another store's order: 404
        if not self.has_view_permission(request, order):
            raise PermissionDenied
        try:
            invoice = services.invoice_issue(order=order)
        except ValidationError as exc:
            raise Http404(_errors(exc)) from None
        response = HttpResponse(invoice_pdf(services.invoice_document(invoice=invoice)), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="invoice-{invoice.number}.pdf"'
        return response

    @admin.display(description="buyer", ordering="customer__email")
    def buyer(self, obj):
        return obj.customer.email if obj.customer_id else f"{obj.guest_email} (guest)"

    @admin.display(description="invoice")
    def invoice_link(self, obj):
        if not obj.pk:
            return "-"
        url = reverse("admin:inventory_order_invoice", args=[obj.pk])
        return format_html('<a href="{}">Invoice (PDF)</a>', url)

    def _lines(self, queryset):
        return OrderLine.objects.filter(order__in=queryset).order_by("order_id", "pk")

    @admin.action(description="Mark every line of the selected orders shipped", permissions=["view"])
    def mark_shipped(self, request, queryset):
        if not request.user.has_perm("inventory.change_orderline"):
            raise PermissionDenied
        done = sum(services.order_line_mark_shipped(line=line) for line in self._lines(queryset))
        self.message_user(request, f"{done} line(s) marked shipped.", messages.SUCCESS)

    @admin.action(description="Mark every line of the selected orders delivered", permissions=["view"])
    def mark_delivered(self, request, queryset):
        if not request.user.has_perm("inventory.change_orderline"):
            raise PermissionDenied
        done = sum(services.order_line_mark_delivered(line=line) for line in self._lines(queryset))
        self.message_user(request, f"{done} line(s) marked delivered.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    """Customers' saved addresses, for ops and superusers only: an address belongs to a customer,
    not to a store, so no retailer sees them here (their orders show the copy they were sent to).
    Read-only: customers change their own addresses (storefront and API)."""

    list_display = ["customer", "label", "name", "postcode", "city", "is_default", "created_at"]
    list_filter = ["is_default"]
    search_fields = ["customer__email", "name", "postcode", "city"]
    list_select_related = ["customer"]
    readonly_fields = [f.name for f in Address._meta.fields]

    def has_module_permission(self, request):
        return user_sees_all_stores(request.user)

    def has_view_permission(self, request, obj=None):
        return user_sees_all_stores(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OrderLine)
class OrderLineAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "order__store"
    list_display = ["order", "product", "quantity", "unit_price", "status", "shipped_at", "delivered_at"]
    list_filter = ["status", "order__store"]
    search_fields = ["order__id", "product__sku", "order__customer__email"]
    list_select_related = ["order", "product"]
    readonly_fields = ["order", "product", "quantity", "unit_price", "status", "shipped_at", "delivered_at"]
    actions = ["mark_shipped", "mark_delivered"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Mark selected lines shipped", permissions=["change"])
    def mark_shipped(self, request, queryset):
        done = sum(services.order_line_mark_shipped(line=line) for line in queryset)
        self.message_user(request, f"{done} line(s) marked shipped; others were not pending.", messages.SUCCESS)

    @admin.action(description="Mark selected lines delivered", permissions=["change"])
    def mark_delivered(self, request, queryset):
        done = sum(services.order_line_mark_delivered(line=line) for line in queryset)
        self.message_user(request, f"{done} line(s) marked delivered.", messages.SUCCESS)


@admin.register(ReturnRequest)
class ReturnRequestAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "order_line__order__store"
    list_display = ["pk", "created_at", "customer", "product", "quantity", "status", "decided_at", "received_at"]
    list_filter = ["status", "order_line__order__store"]
    search_fields = ["customer__email", "order_line__product__sku"]
    list_select_related = ["customer", "order_line__product"]
    fields = ["order_line", "customer", "quantity", "reason", "status", "decision_note", "decided_by", "decided_at"]
    readonly_fields = ["order_line", "customer", "quantity", "reason", "status", "decided_by", "decided_at"]
    actions = ["approve", "reject", "receive"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="product")
    def product(self, obj):
        return obj.order_line.product

    def _run(self, request, queryset, service, verb):
        done = 0
        for return_request in queryset:
            try:
                if service is services.return_request_receive:
                    service(request=return_request, actor=request.user)
                else:
                    service(request=return_request, actor=request.user, note=return_request.decision_note)
                done += 1
            except ValidationError as exc:
                self.message_user(request, _errors(exc), messages.ERROR)
        if done:
            self.message_user(request, f"{done} return(s) {verb}; the customer is told by email.", messages.SUCCESS)

    @admin.action(description="Approve selected returns", permissions=["change"])
    def approve(self, request, queryset):
        self._run(request, queryset, services.return_request_approve, "approved")

    @admin.action(description="Reject selected returns", permissions=["change"])
    def reject(self, request, queryset):
        self._run(request, queryset, services.return_request_reject, "rejected")

    @admin.action(description="Goods received: restock selected approved returns", permissions=["change"])
    def receive(self, request, queryset):
        self._run(request, queryset, services.return_request_receive, "received and restocked")


class PurchaseOrderLineForm(forms.ModelForm):
    class Meta:
        model = PurchaseOrderLine
        fields = ["product", "quantity_ordered", "unit_cost"]


class PurchaseOrderLineFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        # The product choice is limited to the user's stores; a retailer of two stores
        # could still put one store's product on the other's purchase order.
        store_id = self.instance.store_id
        for form in self.forms:
            product = form.cleaned_data.get("product") if form.cleaned_data else None
            if product is not None and store_id and product.store_id != store_id:
                raise ValidationError(f"{product.sku} is not a product of this purchase order's store.")


class PurchaseOrderLineInline(StoreScopedAdminMixin, admin.TabularInline):
    model = PurchaseOrderLine
    form = PurchaseOrderLineForm
    formset = PurchaseOrderLineFormSet
    store_path = "purchase_order__store"
    scoped_fk_paths = {"product": "store"}
    extra = 1
    fields = ["product", "quantity_ordered", "unit_cost", "quantity_received"]
    readonly_fields = ["quantity_received"]

    def _editable(self, obj):
        return obj is None or obj.status == PurchaseOrder.Status.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class PurchaseOrderForm(forms.ModelForm):
    class Meta:
        model = PurchaseOrder
        fields = ["store", "supplier", "expected_date", "notes"]

    def clean(self):
        data = super().clean()
        if data.get("store") and data.get("supplier") and data["supplier"].store_id != data["store"].pk:
            self.add_error("supplier", "Choose a supplier of this store.")
        return data


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    form = PurchaseOrderForm
    scoped_fk_paths = {"supplier": "store"}
    list_display = ["__str__", "store", "supplier", "status", "expected_date", "created_at", "received_at"]
    list_filter = ["status", "store"]
    search_fields = ["supplier__name", "notes"]
    list_select_related = ["store", "supplier"]
    inlines = [PurchaseOrderLineInline]
    actions = ["mark_ordered", "receive_in_full", "receive_some"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != PurchaseOrder.Status.DRAFT:
            return ["store", "supplier", "expected_date", "status", "ordered_at", "received_at"]
        return ["status", "ordered_at", "received_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Mark selected drafts as ordered (uses their expected date)", permissions=["change"])
    def mark_ordered(self, request, queryset):
        for po in queryset:
            try:
                services.purchase_order_mark_ordered(purchase_order=po, expected_date=po.expected_date)
                self.message_user(request, f"{po} ordered, expected {po.expected_date}.", messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, f"{po}: {_errors(exc)}", messages.ERROR)

    @admin.action(description="Receive part of one order (enter quantities per line)", permissions=["change"])
    def receive_some(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one purchase order to receive in part.", messages.WARNING)
            return None
        po = queryset.get()
        lines = list(po.lines.select_related("product").order_by("product__sku"))
        errors: list[str] = []
        if "apply" in request.POST:
            quantities = {}
            for line in lines:
                raw = request.POST.get(f"line-{line.pk}", "").strip() or "0"
                try:
                    quantities[line.pk] = int(raw)
                except ValueError:
                    errors.append(f"{line.product.sku}: '{raw}' is not a whole number.")
            if not errors:
                try:
                    services.purchase_order_receive(
                        purchase_order=po, quantities={k: v for k, v in quantities.items() if v}, actor=request.user
                    )
                except ValidationError as exc:
                    errors.append(_errors(exc))
                else:
                    self.message_user(request, f"{po}: goods received; stock and spend booked.", messages.SUCCESS)
                    return None
        return render(
            request,
            "admin/inventory/receive_purchase_order.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Receive {po}",
                "purchase_order": po,
                "lines": lines,
                "errors": errors,
                "posted": request.POST,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    @admin.action(description="Receive everything outstanding on the selected orders", permissions=["change"])
    def receive_in_full(self, request, queryset):
        for po in queryset:
            try:
                services.purchase_order_receive(purchase_order=po, actor=request.user)
                self.message_user(request, f"{po} received; stock and spend booked.", messages.SUCCESS)
            except ValidationError as exc:
                self.message_user(request, f"{po}: {_errors(exc)}", messages.ERROR)


@admin.register(PurchaseSpend)
class PurchaseSpendAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "store", "purchase_order", "month", "amount"]
    list_filter = ["store", "month"]
    list_select_related = ["store", "purchase_order"]


@admin.register(BudgetAlert)
class BudgetAlertAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["month", "store", "budget", "spent", "created_at"]
    list_filter = ["store"]
    list_select_related = ["store"]


@admin.register(StockAlert)
class StockAlertAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "product__store"
    list_display = ["product", "store", "status", "on_hand_at_open", "current_on_hand", "opened_at", "closed_at"]
    list_filter = ["status", "product__store"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product__store"]

    @admin.display(description="store")
    def store(self, obj):
        return obj.product.store

    @admin.display(description="on hand now")
    def current_on_hand(self, obj):
        return obj.product.on_hand


@admin.register(BackInStockSubscription)
class BackInStockSubscriptionAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "product__store"
    list_display = ["product", "email", "confirmed_at", "notified_at", "created_at"]
    list_filter = ["product__store", ("notified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "product__sku"]
    list_select_related = ["product"]


@admin.register(Review)
class ReviewAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "product__store"
    list_display = ["product", "customer", "rating", "is_hidden", "created_at"]
    list_filter = ["is_hidden", "rating", "product__store"]
    search_fields = ["product__sku", "comment", "customer__email"]
    list_select_related = ["product", "customer"]
    readonly_fields = ["product", "customer", "rating", "comment", "is_hidden", "created_at"]
    actions = ["hide", "unhide"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return user_sees_all_stores(request.user) and super().has_delete_permission(request, obj)

    @admin.action(description="Hide selected reviews", permissions=["change"])
    def hide(self, request, queryset):
        count = services.review_set_hidden(review_ids=list(queryset.values_list("pk", flat=True)), hidden=True)
        self.message_user(request, f"{count} review(s) hidden.", messages.SUCCESS)

    @admin.action(description="Show selected reviews again", permissions=["change"])
    def unhide(self, request, queryset):
        count = services.review_set_hidden(review_ids=list(queryset.values_list("pk", flat=True)), hidden=False)
        self.message_user(request, f"{count} review(s) shown.", messages.SUCCESS)


@admin.register(StoreShipping)
class StoreShippingAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "delivery_fee", "free_delivery_threshold", "pickup_hours"]
    list_select_related = ["store"]


@admin.register(StoreTax)
class StoreTaxAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "prices_include_tax", "rounding"]
    list_select_related = ["store"]


@admin.register(TaxRate)
class TaxRateAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "category", "rate"]
    list_filter = ["store"]
    list_select_related = ["store", "category"]


@admin.register(DiscountCode)
class DiscountCodeAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["code", "store", "kind", "value", "minimum_basket", "valid_from", "valid_until", "uses"]
    list_filter = ["store", "kind", "is_active"]
    search_fields = ["code"]
    list_select_related = ["store"]
    readonly_fields = ["times_used", "created_at"]

    @admin.display(description="used")
    def uses(self, obj):
        return f"{obj.times_used} / {obj.max_uses}" if obj.max_uses is not None else str(obj.times_used)


@admin.register(InvoiceSeries)
class InvoiceSeriesAdmin(ChangedValuesAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "legal_name", "prefix", "last_number"]
    list_select_related = ["store"]
    readonly_fields = ["last_number"]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "issued_at", "store", "order", "pdf"]
    list_filter = ["store"]
    search_fields = ["number", "order__pk"]
    list_select_related = ["store", "order"]

    @admin.display(description="PDF")
    def pdf(self, obj):
        return format_html('<a href="{}">PDF</a>', reverse("admin:inventory_order_invoice", args=[obj.order_id]))


# Forecasting's admin (forecast chart, at-risk list, draft purchase orders) lives in its own module.
from . import admin_forecast  # noqa: E402, F401
