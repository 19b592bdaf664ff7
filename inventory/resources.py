"""Product CSV import/export (django-import-export), scoped to the user's stores.

Import is all or nothing: the admin runs it in a transaction and rolls back when any row
has an error, listing each bad row. Stock only changes through the ledger: ``on_hand`` of a
*new* product is its opening stock, booked as a receipt (reference "opening balance"); for an
existing product the column is ignored (the import page says so; counted corrections go through
the "Adjust stock" action). A missing slug is made from the name.
"""

from __future__ import annotations

from django.utils.text import slugify
from import_export import fields, resources, widgets
from import_export.results import RowResult

from accounts.models import Store
from accounts.selectors import store_list_for_user

from . import services
from .models import Category, Product

# Spreadsheet programs execute cells that start with these; a leading apostrophe makes
# them text (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ScopedStoreWidget(widgets.ForeignKeyWidget):
    def __init__(self, user):
        super().__init__(Store, field="slug")
        self.user = user

    def get_queryset(self, value, row, *args, **kwargs):
        # A slug of a store the user does not belong to reads as unknown: no hint it exists.
        return store_list_for_user(self.user) if self.user is not None else Store.objects.none()

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row=row, **kwargs)
        except Store.DoesNotExist:
            yours = ", ".join(self.get_queryset(value, row).values_list("slug", flat=True)) or "none"
            raise ValueError(
                f"Unknown store “{value}”: products can be imported only into your own stores ({yours})."
            ) from None


class ProductResource(resources.ModelResource):
    store = fields.Field(attribute="store", column_name="store")
    category = fields.Field(
        attribute="category", column_name="category", widget=widgets.ForeignKeyWidget(Category, field="slug")
    )
    on_hand = fields.Field(attribute="on_hand", column_name="on_hand", readonly=True)

    class Meta:
        model = Product
        import_id_fields = ["store", "sku"]
        fields = [
            "store",
            "sku",
            "name",
            "slug",
            "description",
            "image_url",
            "category",
            "price",
            "sale_price",
            "cost",
            "reorder_point",
            "reorder_quantity",
            "lead_time_days",
            "launch_date",
            "is_active",
            "on_hand",
        ]
        export_order = fields
        clean_model_instances = True
        skip_unchanged = True
        use_transactions = True

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user
        self.fields["store"].widget = ScopedStoreWidget(user)

    def before_import_row(self, row, **kwargs):
        if not (row.get("slug") or "").strip() and (row.get("name") or "").strip():
            row["slug"] = slugify(row["name"])[:200]
        opening = row.get("on_hand")
        if opening not in (None, ""):
            try:
                if int(str(opening).strip()) < 0:
                    raise ValueError
            except ValueError:
                raise ValueError(f"on_hand must be a whole number of 0 or more, not “{opening}”.") from None

    def after_import_row(self, row, row_result, **kwargs):
        """A new product's ``on_hand`` is its opening stock, booked through the ledger."""
        opening = int(str(row.get("on_hand") or 0).strip() or 0)
        if row_result.import_type == RowResult.IMPORT_TYPE_NEW and opening > 0:
            product = Product.objects.get(pk=row_result.object_id)
            services.stock_receive(
                product=product, quantity=opening, unit_cost=product.cost, reference="opening balance", actor=self.user
            )

    def get_queryset(self):
        return (
            super().get_queryset().filter(store__in=store_list_for_user(self.user)).select_related("store", "category")
        )

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value
