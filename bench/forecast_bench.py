"""Forecast benchmark: accuracy per method and for the per-product choice, and engine speed.

    python bench/forecast_bench.py                    # 1,000 products x 2 years, accuracy + timing
    python bench/forecast_bench.py --products 10000 --skip-methods             # timing at 10k (--jobs 2: both cores)

A seeded synthetic panel like a retailer's (smooth, trending, weekly-seasonal, intermittent, lumpy
and new products with short history). The final 28 days are held out; every method, and the
per-product choice, forecasts them from the rest. Errors are MASE and RMSSE scaled by the
in-sample one-step naive error of each product's training history (engine.metrics).

Timing covers the engine path (fit + backtest + choice + intervals). ``--with-db`` times the whole
path instead: it creates a throwaway database (a temporary SQLite file, or the PostgreSQL database
in DATABASE_URL, which must be empty), migrates it, bulk-inserts the same panel as ledger rows
(a sale row per product and day with demand, some returns, an opening receipt so the ledger sums
to on_hand, open purchase orders), then runs ``manage.py forecast_demand`` - the command's own
code path: grouped ledger read -> zero-fill -> fit -> replenishment plan -> bulk upsert.

    python bench/forecast_bench.py --products 10000 --with-db
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/forecast_bench python bench/forecast_bench.py --products 10000 --with-db
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("smooth", "trending", "seasonal", "intermittent", "lumpy", "new")
SHARES = (0.25, 0.15, 0.25, 0.15, 0.10, 0.10)


def make_panel(n_products: int, days: int = 730, seed: int = 7) -> tuple[dict[int, np.ndarray], dict[int, str]]:
    """Seeded synthetic daily demand; returns (series by product id, kind by product id)."""
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KINDS), size=n_products, p=SHARES)
    t = np.arange(days)
    series: dict[int, np.ndarray] = {}
    kind_of: dict[int, str] = {}
    for pid, k in enumerate(kinds):
        kind = KINDS[k]
        weekly = 1 + rng.uniform(0.1, 0.6) * np.array([-0.3, -0.2, -0.1, 0.0, 0.2, 0.6, -0.2])
        if kind == "smooth":
            rate = np.full(days, rng.uniform(2, 40))
        elif kind == "trending":
            base = rng.uniform(3, 30)
            rate = base * np.clip(1 + rng.uniform(-0.6, 1.5) * t / days, 0.05, None)
        elif kind == "seasonal":
            base = rng.uniform(3, 40) * (1 + 0.15 * np.sin(2 * np.pi * t / 365 + rng.uniform(0, 6)))
            rate = base * weekly[t % 7]
        elif kind in ("intermittent", "lumpy"):
            p = rng.uniform(0.03, 0.3)
            occurs = rng.random(days) < p
            if kind == "intermittent":
                sizes = 1 + rng.poisson(rng.uniform(0.2, 2), days)
            else:
                sizes = 1 + rng.negative_binomial(1, rng.uniform(0.05, 0.3), days)
            series[pid] = (occurs * sizes).astype(float)
            kind_of[pid] = kind
            continue
        else:  # new product: 5 to 17 weeks since launch, any shape
            length = int(rng.integers(35, 120))
            rate = rng.uniform(0.3, 20) * weekly[np.arange(length) % 7]
            series[pid] = rng.poisson(rate).astype(float)
            kind_of[pid] = kind
            continue
        series[pid] = rng.poisson(rate).astype(float)
        kind_of[pid] = kind
    return series, kind_of


def evaluate(train: dict[int, np.ndarray], test: dict[int, np.ndarray], cfg, jobs: int):
    from inventory.forecasting.engine import forecast_panel
    from inventory.forecasting.metrics import mase, naive_scales, rmsse

    t0, c0 = time.perf_counter(), _cpu_seconds()
    panel = forecast_panel(train, config=cfg, n_jobs=jobs)
    elapsed, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
    keys = sorted(train)
    m, r = [], []
    inside = 0
    for key in keys:
        res = panel.results[key]
        y = train[key]
        s_mae, s_mse = naive_scales(y[None, :])
        a = test[key][None, :]
        m.append(mase(a, res.mean[None, :], s_mae)[0])
        r.append(rmsse(a, res.mean[None, :], s_mse)[0])
        inside += int(((test[key] >= res.lo) & (test[key] <= res.hi)).sum())
    coverage = inside / (len(keys) * cfg.horizon)
    return panel, np.array(m), np.array(r), coverage, (elapsed, cpu)


def _cpu_seconds() -> float:
    # CPU time of this process and its finished workers: steadier than wall time on a shared machine.
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes for forecast_panel")
    parser.add_argument("--skip-methods", action="store_true", help="only the per-product choice (timing runs)")
    parser.add_argument(
        "--library-ets",
        type=int,
        default=0,
        metavar="N",
        help="also compare our vectorised ETS with statsforecast's AutoETS on N smooth/trending/seasonal products",
    )
    parser.add_argument("--with-db", action="store_true", help="time database read -> fit -> store (integration)")
    args = parser.parse_args()

    if args.with_db:
        return run_with_db(args)

    t_import = time.perf_counter()
    import statsforecast.models  # noqa: F401 - cold import counted here, not in the first method's time

    from inventory.forecasting.engine import ForecastConfig

    import_s = time.perf_counter() - t_import
    h = 28
    series, kind_of = make_panel(args.products, args.days, args.seed)
    train = {k: v[:-h] for k, v in series.items()}
    test = {k: v[-h:] for k, v in series.items()}
    counts = {kind: sum(1 for v in kind_of.values() if v == kind) for kind in KINDS}
    print(f"panel: {args.products} products x {args.days} days, seed {args.seed}, held out: last {h} days")
    print("kinds: " + ", ".join(f"{k} {c}" for k, c in counts.items()))
    print(
        f"cpu: {os.cpu_count()} cores, jobs={args.jobs}; import of the engine (statsforecast, pandas): {import_s:.2f} s"
    )
    print()
    base = ForecastConfig(horizon=h)
    rows = []
    if not args.skip_methods:
        for name in ("seasonal_naive", "ets", "croston_sba", "tsb", "imapa"):
            cfg = replace(base, smooth_methods=(name,), intermittent_methods=(name,))
            _, m, r, cov, el = evaluate(train, test, cfg, args.jobs)
            rows.append((name, m, r, cov, el))
    panel, m, r, cov, el = evaluate(train, test, base, args.jobs)
    rows.append(("per-product choice", m, r, cov, el))

    print(f"{'method':<20} {'MASE':>7} {'RMSSE':>7} {'PI cover':>9} {'wall s':>7} {'s/1000':>7} {'cpu s':>7}")
    for name, m_, r_, cov_, (wall, cpu) in rows:
        per_k = wall / args.products * 1000
        print(f"{name:<20} {m_.mean():7.4f} {r_.mean():7.4f} {cov_:9.1%} {wall:7.2f} {per_k:7.2f} {cpu:7.2f}")
    print(f"(PI cover: share of held-out days inside the {base.level:.0f}% interval)")

    if not args.skip_methods:
        snaive = rows[0][2].mean()
        best_name, best_r = min(((n, r_.mean()) for n, _, r_, _, _ in rows[:-1]), key=lambda x: x[1])
        choice = rows[-1][2].mean()
        print()
        print(f"choice vs seasonal naive: {100 * (1 - choice / snaive):+.1f}% lower mean RMSSE (target >= 15%)")
        print(
            f"choice vs best single method ({best_name}): {100 * (choice / best_r - 1):+.1f}% mean RMSSE "
            "(target <= +3%)"
        )
    chosen: dict[str, int] = {}
    for res in panel.results.values():
        chosen[res.model] = chosen.get(res.model, 0) + 1
    print("models chosen: " + ", ".join(f"{k} {v}" for k, v in sorted(chosen.items(), key=lambda kv: -kv[1])))
    by_kind: dict[str, list[float]] = {}
    for (_key, kind), rr in zip(sorted(kind_of.items()), r, strict=True):
        by_kind.setdefault(kind, []).append(rr)
    print("choice RMSSE by kind: " + ", ".join(f"{k} {np.mean(v):.3f}" for k, v in by_kind.items()))
    if panel.failures:
        print(f"failures: {len(panel.failures)}")
    if args.library_ets:
        compare_library_ets(train, test, kind_of, base, args.library_ets)
    return 0


def compare_library_ets(train, test, kind_of, base, n: int) -> None:
    keys = [k for k in sorted(kind_of) if kind_of[k] in ("smooth", "trending", "seasonal")][:n]
    sub_train = {k: train[k] for k in keys}
    sub_test = {k: test[k] for k in keys}
    print()
    print(f"ETS on {len(keys)} smooth/trending/seasonal products, refitted at each of 3 backtest origins + final:")
    for backend in ("numpy", "statsforecast"):
        cfg = replace(base, smooth_methods=("ets",), ets_backend=backend)
        _, m, r, cov, el = evaluate(sub_train, sub_test, cfg, 1)
        print(
            f"  {backend:<13} MASE {m.mean():.4f}  RMSSE {r.mean():.4f}  PI cover {cov:.1%}  "
            f"{el[0] / len(keys) * 1000:.0f} ms/product"
        )


def run_with_db(args) -> int:
    """Seed a throwaway database with ``args.products`` x ``args.days`` of ledger, then time the command."""
    import shutil
    import tempfile

    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="forecast-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_project.settings.base")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from inventory.models import Product

    try:
        t0 = time.perf_counter()
        call_command("migrate", verbosity=0)
        if Product.objects.exists():
            print("DATABASE_URL points to a database with products; use an empty, throwaway one.", file=sys.stderr)
            return 2
        migrate_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        n_rows = seed_ledger(args.products, args.days, args.seed)
        seed_s = time.perf_counter() - t0
        print(
            f"database: {connection.vendor} ({tmp or 'DATABASE_URL'}); migrate {migrate_s:.1f} s; "
            f"seeded {args.products} products, {n_rows:,} ledger rows over {args.days} days in {seed_s:.1f} s"
        )
        print("timed: python manage.py forecast_demand (read -> fit -> plan -> store)")
        t0, c0 = time.perf_counter(), _cpu_seconds()
        call_command("forecast_demand", jobs=args.jobs, stdout=_Lines(), stderr=sys.stderr)
        wall, cpu = time.perf_counter() - t0, _cpu_seconds() - c0
        from inventory.models import DemandForecast

        stored = DemandForecast.objects.count()
        print(f"end to end: {wall:.1f} s wall, {cpu:.1f} CPU s; forecasts stored: {stored}")
        return 0 if stored == args.products else 1
    finally:
        connection.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


class _Lines:
    """stdout for the command that drops the progress lines (one per batch) but keeps the summary."""

    def write(self, text: str) -> None:
        if "products" not in text or "Products forecast" in text:
            sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


def seed_ledger(n_products: int, days: int, seed: int) -> int:
    """The benchmark panel as a store's catalogue and ledger, bulk-inserted; returns ledger rows."""
    from datetime import datetime, timedelta
    from datetime import time as dtime
    from decimal import Decimal

    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import Store
    from inventory.forecasting.ledger import last_complete_day
    from inventory.models import Category, Product, PurchaseOrder, PurchaseOrderLine, Supplier

    series, _ = make_panel(n_products, days, seed)
    rng = np.random.default_rng(seed + 1)
    end = last_complete_day()
    first = end - timedelta(days=days - 1)
    tz = timezone.get_default_timezone()

    def stamp(day, hour):
        return connection.ops.adapt_datetimefield_value(datetime.combine(day, dtime(hour, 0), tzinfo=tz))

    noon = [stamp(first + timedelta(days=i), 12) for i in range(days)]
    late = [stamp(first + timedelta(days=i), 16) for i in range(days)]
    opening = stamp(first, 7)

    store = Store.objects.create(name="Bench store", slug="bench-store")
    category = Category.objects.create(name="Bench", slug="bench")
    suppliers = Supplier.objects.bulk_create(
        Supplier(
            store=store,
            name=f"Supplier {i:02d}",
            min_order_qty=int(rng.integers(0, 30)),
            pack_size=int(rng.choice([1, 6, 12])),
        )
        for i in range(20)
    )
    on_hand = {}
    products = []
    for pid, y in series.items():
        cover = int(rng.integers(0, 21))  # 0 to 3 weeks of stock left
        on_hand[pid] = round(float(y[-28:].mean()) * cover) if y.size else 0
        products.append(
            Product(
                store=store, sku=f"B-{pid:06d}", name=f"Bench product {pid}", slug=f"bench-{pid}",
                category=category, supplier=suppliers[pid % len(suppliers)], price=Decimal("9.99"),
                cost=Decimal("5.00"), lead_time_days=int(rng.integers(3, 21)),
                launch_date=end - timedelta(days=y.size - 1), on_hand=on_hand[pid],
            )
        )  # fmt: skip
    with transaction.atomic():
        created = Product.objects.bulk_create(products, batch_size=1000)
    db_id = {pid: p.pk for pid, p in zip(series, created, strict=True)}

    columns = "product_id, kind, quantity, unit_cost, reference, reason, created_at"
    n_rows = 0
    keys = list(series)
    for i in range(0, len(keys), 500):
        rows = []
        for pid in keys[i : i + 500]:
            y = series[pid].astype(int)
            offset = days - y.size
            sold = np.flatnonzero(y)
            pk = db_id[pid]
            returns = sold[::50]  # a unit back on every 50th day with sales
            total = int(y.sum()) - returns.size
            rows.append((pk, "receipt", total + on_hand[pid], "5.00", "bench:opening", "", opening))
            rows.extend((pk, "sale", -int(y[d]), "5.00", "", "", noon[d + offset]) for d in sold)
            rows.extend((pk, "return", 1, "5.00", "", "", late[d + offset]) for d in returns)
        n_rows += len(rows)
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY inventory_stockmovement ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                # ``columns`` is a constant of this file, not input.
                sql = f"INSERT INTO inventory_stockmovement ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
                cursor.executemany(sql, rows)
    # Open purchase orders (ordered, arriving in 3 days) for every 10th product.
    with transaction.atomic():
        for supplier in suppliers:
            po = PurchaseOrder.objects.create(
                store=store, supplier=supplier, status="ordered", expected_date=end + timedelta(days=3)
            )
            PurchaseOrderLine.objects.bulk_create(
                PurchaseOrderLine(purchase_order=po, product=p, quantity_ordered=12, unit_cost=p.cost)
                for p in created[::10]
                if p.supplier_id == supplier.pk
            )
    return n_rows


if __name__ == "__main__":
    raise SystemExit(main())
