"""Product CSV import/export (django-import-export), scoped to the user's stores.

Import is all or nothing: the admin runs it in a transaction and rolls back when any row
has an error, listing each bad row. Stock on hand is exported for information but never
imported: stock only changes through the ledger services.
"""

from __future__ import annotations

from import_export import fields, resources, widgets

from accounts.models import Store
from accounts.selectors import store_list_for_user

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

    def get_queryset(self):
        return (
            super().get_queryset().filter(store__in=store_list_for_user(self.user)).select_related("store", "category")
        )

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value
