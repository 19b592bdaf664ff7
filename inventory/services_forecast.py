"""Forecasting writes: the nightly demand forecast per product and draft purchase orders from it.

Separate from ``services.py`` so the forecasting work and the rest of inventory can change side by
side; the same rules apply (keyword-only arguments, one transaction per unit of work). The maths
lives in ``inventory.forecasting`` (pure); this module reads the ledger, calls it and stores.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Store, User

from . import services
from .forecasting import ForecastConfig, ForecastResult, Incoming, forecast_panel, replenishment_plan
from .forecasting.ledger import ProductHistoryKey, demand_histories, last_complete_day
from .models import DemandForecast, Product, PurchaseOrder, PurchaseOrderLine, ReplenishmentSettings

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
OPEN_PO_STATUSES = (PurchaseOrder.Status.ORDERED, PurchaseOrder.Status.PARTIAL)
STORED_FIELDS = [f.name for f in DemandForecast._meta.concrete_fields if f.name not in ("id", "product")]


@dataclass
class ForecastRunSummary:
    products: int = 0
    stored: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # "store/SKU" -> message
    models: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    errors_rmsse: list[float] = field(default_factory=list)
    at_risk: int = 0
    suggestions: int = 0
    seconds: Counter = field(default_factory=Counter)  # wall time per phase: read, fit, plan, store

    @property
    def median_rmsse(self) -> float | None:
        return statistics.median(self.errors_rmsse) if self.errors_rmsse else None


@dataclass(frozen=True)
class _Settings:
    service_level: float
    review_days: int


def _settings_by_store(store_ids: Iterable[int]) -> dict[int, _Settings]:
    found = {
        s.store_id: _Settings(float(s.service_level), s.review_days)
        for s in ReplenishmentSettings.objects.filter(store_id__in=list(store_ids))
    }
    default = _Settings(float(ReplenishmentSettings.DEFAULT_SERVICE_LEVEL), ReplenishmentSettings.DEFAULT_REVIEW_DAYS)
    return defaultdict(lambda: default, found)


def _incoming_by_product(product_ids: Sequence[int]) -> dict[int, list[Incoming]]:
    """Outstanding quantities of ordered (not yet fully received) purchase-order lines, one query."""
    incoming: dict[int, list[Incoming]] = defaultdict(list)
    rows = (
        PurchaseOrderLine.objects.filter(
            product_id__in=list(product_ids),
            purchase_order__status__in=OPEN_PO_STATUSES,
            quantity_received__lt=F("quantity_ordered"),
        )
        .order_by("pk")
        .values_list("product_id", "quantity_ordered", "quantity_received", "purchase_order__expected_date")
    )
    for product_id, ordered, received, expected in rows:
        incoming[product_id].append(Incoming(quantity=ordered - received, expected=expected))
    return incoming


def _plan(*, product: Product, mean, sigma: float, as_of: date, incoming: list[Incoming], settings: _Settings):
    supplier = product.supplier
    return replenishment_plan(
        forecast=mean,
        sigma_daily=sigma,
        as_of=as_of,
        on_hand=max(product.on_hand, 0),
        lead_time_days=product.lead_time_days,
        incoming=incoming,
        service_level=settings.service_level,
        review_days=settings.review_days,
        min_order_qty=supplier.min_order_qty if supplier else 0,
        pack_size=supplier.pack_size if supplier else 1,
    )


def _row(product: Product, *, as_of: date, now, result: ForecastResult | None, error: str = "", **plan_fields):
    if result is None:
        return DemandForecast(
            product=product, status=DemandForecast.Status.FAILED, message=error[:255], as_of=as_of,
            on_hand=max(product.on_hand, 0), lead_time_days=product.lead_time_days, computed_at=now,
        )  # fmt: skip
    data = result.to_dict()
    return DemandForecast(
        product=product,
        status=str(result.status),
        message=result.message[:255],
        model=result.model,
        demand_class=result.demand_class,
        as_of=as_of,
        n_days=result.n_days,
        horizon_days=len(result.mean),
        level=result.level,
        forecast={"mean": data["mean"], "lo": data["lo"], "hi": data["hi"]},
        backtest=data["backtest"],
        sigma_daily=result.sigma_daily,
        error_rmsse=result.error_rmsse,
        error_mase=result.error_mase,
        computed_at=now,
        **plan_fields,
    )


def demand_forecast_run(
    *,
    products: Iterable[Product] | None = None,
    store: Store | None = None,
    config: ForecastConfig | None = None,
    batch_size: int = BATCH_SIZE,
    n_jobs: int = 1,
    as_of: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ForecastRunSummary:
    """Forecast demand and plan replenishment for products, storing one ``DemandForecast`` each.

    ``products``: the products to forecast (default: every active product, of ``store`` if given).
    Works in batches of ``batch_size`` products: per batch a fixed number of queries (products,
    open purchase-order lines, the grouped ledger read, one bulk upsert) and one transaction, so a
    run can be interrupted and rerun. A product whose forecast or plan fails is stored with status
    ``failed`` and its message, and reported in the summary; the others are unaffected. Safe to run
    twice (each run replaces the rows). ``progress(n)`` is called with products finished.
    """
    cfg = config or ForecastConfig()
    as_of = as_of or last_complete_day()
    if products is None:
        qs = Product.objects.filter(is_active=True)
        if store is not None:
            qs = qs.filter(store=store)
        product_ids = list(qs.order_by("pk").values_list("pk", flat=True))
    else:
        product_ids = sorted({p.pk for p in products})
    summary = ForecastRunSummary()
    for i in range(0, len(product_ids), batch_size):
        batch_ids = product_ids[i : i + batch_size]
        _forecast_batch(batch_ids, cfg=cfg, as_of=as_of, n_jobs=n_jobs, summary=summary)
        if progress is not None:
            progress(len(batch_ids))
    logger.info(
        "Forecast %s products (%s failed), %s at risk, %s suggestions",
        summary.products, len(summary.failures), summary.at_risk, summary.suggestions,
    )  # fmt: skip
    return summary


def _forecast_batch(product_ids: list[int], *, cfg: ForecastConfig, as_of: date, n_jobs: int, summary) -> None:
    t0 = time.perf_counter()
    products = {
        p.pk: p
        for p in Product.objects.filter(pk__in=product_ids).select_related("supplier", "store").only(
            "pk", "sku", "on_hand", "lead_time_days", "launch_date", "store__slug",
            "supplier__min_order_qty", "supplier__pack_size",
        )
    }  # fmt: skip
    settings_of = _settings_by_store({p.store_id for p in products.values()})
    histories = demand_histories([ProductHistoryKey(pk, p.launch_date) for pk, p in products.items()], end=as_of)
    incoming = _incoming_by_product(list(products))
    t1 = time.perf_counter()
    panel = forecast_panel(histories, config=cfg, n_jobs=n_jobs)
    t2 = time.perf_counter()
    now = timezone.now()
    rows: list[DemandForecast] = []
    for pk, product in products.items():
        label = f"{product.store.slug}/{product.sku}"
        result = panel.results.get(pk)
        if result is None:
            message = panel.failures.get(pk, "no forecast returned")
            summary.failures[label] = message
            rows.append(_row(product, as_of=as_of, now=now, result=None, error=message))
            continue
        settings = settings_of[product.store_id]
        try:
            plan = _plan(
                product=product, mean=result.mean, sigma=result.sigma_daily, as_of=as_of,
                incoming=incoming.get(pk, []), settings=settings,
            )  # fmt: skip
        except ValueError as exc:
            summary.failures[label] = f"replenishment: {exc}"
            rows.append(_row(product, as_of=as_of, now=now, result=None, error=f"replenishment: {exc}"))
            continue
        row = _row(
            product, as_of=as_of, now=now, result=result,
            service_level=Decimal(str(settings.service_level)), lead_time_days=plan.lead_time_days,
            on_hand=max(product.on_hand, 0), on_order=plan.inventory_position - max(product.on_hand, 0),
            lead_time_demand=plan.lead_time_demand, safety_stock=plan.safety_stock,
            reorder_point=plan.reorder_point, suggested_quantity=plan.suggested_quantity,
            stockout_date=plan.stockout_date, at_risk=plan.at_risk,
        )  # fmt: skip
        rows.append(row)
        summary.models[result.model] += 1
        summary.statuses[str(result.status)] += 1
        if result.error_rmsse is not None:
            summary.errors_rmsse.append(result.error_rmsse)
        summary.at_risk += int(plan.at_risk)
        summary.suggestions += int(plan.suggested_quantity > 0)
    t3 = time.perf_counter()
    with transaction.atomic():
        DemandForecast.objects.bulk_create(
            rows, batch_size=500, update_conflicts=True, unique_fields=["product"], update_fields=STORED_FIELDS
        )
    summary.seconds.update({"read": t1 - t0, "fit": t2 - t1, "plan": t3 - t2, "store": time.perf_counter() - t3})
    summary.products += len(products)
    summary.stored += len(rows)


# --- Draft purchase orders from the suggestions --------------------------------------------


@dataclass
class DraftResult:
    purchase_orders: list[PurchaseOrder] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # SKU -> why no line was drafted


@transaction.atomic
def purchase_orders_draft_from_forecasts(
    *, store: Store, actor: User | None, product_ids: Iterable[int] | None = None, today: date | None = None
) -> DraftResult:
    """Draft one purchase order per supplier for the store's products that need ordering now.

    The suggestion is recomputed from the stored forecast with the current stock and open
    purchase orders (an order placed since the nightly run is counted). Products of another store
    are ignored. Idempotent: a product already on a draft purchase order of this store is skipped
    (the retailer edits or sends that draft), so running it twice drafts nothing new. Products
    without a supplier, without a usable forecast, or with a stale one are skipped with a reason.
    """
    # Serialise drafting per store so two clicks cannot both see "no draft yet" for a product.
    Store.objects.select_for_update().filter(pk=store.pk).first()
    today = today or timezone.localdate()
    yesterday = today - timedelta(days=1)
    forecasts = (
        DemandForecast.objects.filter(product__store=store)
        .exclude(status=DemandForecast.Status.FAILED)
        .select_related("product__supplier")
        .order_by("product__sku")
    )
    if product_ids is not None:
        forecasts = forecasts.filter(product_id__in=list(product_ids))
    forecasts = list(forecasts)
    ids = [f.product_id for f in forecasts]
    on_draft = set(
        PurchaseOrderLine.objects.filter(
            product_id__in=ids, purchase_order__store=store, purchase_order__status=PurchaseOrder.Status.DRAFT
        ).values_list("product_id", flat=True)
    )
    incoming = _incoming_by_product(ids)
    settings = _settings_by_store([store.pk])[store.pk]
    by_supplier: dict[int, list[tuple[Product, int]]] = defaultdict(list)
    result = DraftResult()
    for fc in forecasts:
        product = fc.product
        if product.pk in on_draft:
            result.skipped[product.sku] = "already on a draft purchase order"
            continue
        if product.supplier_id is None:
            result.skipped[product.sku] = "no supplier"
            continue
        mean = list(fc.forecast.get("mean", []))[max((yesterday - fc.as_of).days, 0) :]
        if not mean:
            result.skipped[product.sku] = "forecast is out of date; run forecast_demand"
            continue
        try:
            plan = _plan(
                product=product, mean=mean, sigma=fc.sigma_daily, as_of=max(fc.as_of, yesterday),
                incoming=incoming.get(product.pk, []), settings=settings,
            )  # fmt: skip
        except ValueError as exc:
            result.skipped[product.sku] = str(exc)
            continue
        if plan.suggested_quantity > 0:
            by_supplier[product.supplier_id].append((product, plan.suggested_quantity))
    for lines in sorted(by_supplier.values(), key=lambda ls: ls[0][0].supplier.name):
        supplier = lines[0][0].supplier
        po = services.purchase_order_create(
            supplier=supplier,
            lines=[services.PurchaseLineInput(product_id=p.pk, quantity=q, unit_cost=p.cost) for p, q in lines],
            actor=actor,
            notes="Drafted from the demand forecast; check quantities before ordering.",
        )
        po.expected_date = today + timedelta(days=max(p.lead_time_days for p, _ in lines))
        po.save(update_fields=["expected_date"])
        result.purchase_orders.append(po)
        logger.info("Draft %s for supplier %s with %s line(s) from forecasts", po.pk, supplier.pk, len(lines))
    return result
