"""Back office for forecasts: per-product chart, at-risk list, draft purchase orders from suggestions.

Imported by ``inventory/admin.py``. Forecast rows are read-only (the nightly run writes them);
the one write, drafting purchase orders, is an action that calls ``services_forecast``.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from accounts.admin_mixins import ReadOnlyAdminMixin, StoreScopedAdminMixin
from accounts.selectors import user_sees_all_stores

from . import services_forecast
from .forecasting.ledger import ProductHistoryKey, demand_histories
from .models import DemandForecast, ReplenishmentSettings

CHART_HISTORY_DAYS = 90


@admin.register(ReplenishmentSettings)
class ReplenishmentSettingsAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    list_display = ["store", "service_level", "review_days"]
    list_select_related = ["store"]


class AtRiskFilter(admin.SimpleListFilter):
    title = "stock-out risk"
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return [("at_risk", "At risk"), ("suggested", "Order suggested")]

    def queryset(self, request, queryset):
        if self.value() == "at_risk":
            return queryset.filter(at_risk=True)
        if self.value() == "suggested":
            return queryset.filter(suggested_quantity__gt=0)
        return queryset


@admin.register(DemandForecast)
class DemandForecastAdmin(ReadOnlyAdminMixin, StoreScopedAdminMixin, admin.ModelAdmin):
    store_path = "product__store"
    change_form_template = "admin/inventory/demandforecast/change_form.html"
    list_display = [
        "product", "store", "model", "status", "rmsse", "on_hand", "on_order", "reorder_point",
        "suggested_quantity", "stockout_date", "at_risk", "computed_at",
    ]  # fmt: skip
    list_filter = [AtRiskFilter, "status", "model"]
    search_fields = ["product__sku", "product__name"]
    list_select_related = ["product__store"]
    actions = ["draft_purchase_orders"]
    fieldsets = [
        (None, {"fields": ["product", "status", "message", "model", "demand_class", "as_of", "n_days", "computed_at"]}),
        ("Accuracy (backtest)", {"fields": ["error_rmsse", "error_mase", "sigma_daily", "level", "backtest"]}),
        (
            "Replenishment",
            {
                "fields": [
                    "service_level", "lead_time_days", "on_hand", "on_order", "lead_time_demand", "safety_stock",
                    "reorder_point", "suggested_quantity", "stockout_date", "at_risk",
                ]
            },
        ),
    ]  # fmt: skip

    def get_list_filter(self, request):
        # The store filter lists every store's name: only for those who see every store.
        if user_sees_all_stores(request.user):
            return [*self.list_filter, "product__store"]
        return self.list_filter

    @admin.display(description="RMSSE", ordering="error_rmsse")
    def rmsse(self, obj):
        return "-" if obj.error_rmsse is None else f"{obj.error_rmsse:.3f}"

    @admin.display(description="store", ordering="product__store__name")
    def store(self, obj):
        return obj.product.store

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)  # scoped: another store's id is None -> 404 below
        extra = dict(extra_context or {})
        if obj is not None:
            extra["forecast_chart"] = self._chart_data(obj)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _chart_data(self, obj: DemandForecast) -> dict:
        """History (last 90 days), forecast and interval as plain lists for ``json_script``."""
        history = demand_histories(
            [ProductHistoryKey(obj.product_id, obj.product.launch_date)], end=obj.as_of, max_days=CHART_HISTORY_DAYS
        ).get(obj.product_id)
        history = [] if history is None else [max(float(v), 0.0) for v in history]
        first = obj.as_of - timedelta(days=len(history) - 1)
        mean = obj.forecast.get("mean", [])
        return {
            "history_days": [(first + timedelta(days=i)).isoformat() for i in range(len(history))],
            "history": history,
            "forecast_days": [(obj.as_of + timedelta(days=i + 1)).isoformat() for i in range(len(mean))],
            "mean": mean,
            "lo": obj.forecast.get("lo", []),
            "hi": obj.forecast.get("hi", []),
            "level": obj.level,
        }

    @admin.action(
        description="Draft purchase orders for the selected suggestions (one per supplier)", permissions=["view"]
    )
    def draft_purchase_orders(self, request, queryset):
        if not request.user.has_perm("inventory.add_purchaseorder"):
            raise PermissionDenied
        by_store: dict = {}
        for fc in queryset.select_related("product__store"):
            by_store.setdefault(fc.product.store, []).append(fc.product_id)
        for store, product_ids in by_store.items():
            result = services_forecast.purchase_orders_draft_from_forecasts(
                store=store, actor=request.user, product_ids=product_ids
            )
            if result.purchase_orders:
                names = ", ".join(str(po) for po in result.purchase_orders)
                self.message_user(request, f"{store}: drafted {names}.", messages.SUCCESS)
            else:
                self.message_user(request, f"{store}: nothing to order now.", messages.INFO)
            if result.skipped:
                detail = "; ".join(f"{sku}: {why}" for sku, why in sorted(result.skipped.items())[:20])
                self.message_user(request, f"{store}: skipped {len(result.skipped)} ({detail}).", messages.WARNING)
