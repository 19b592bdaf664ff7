"""Demand forecasting engine: one model per product, chosen by rolling-origin backtest.

Pure numpy + statsforecast, no Django: the caller hands in daily demand per product and stores
what comes back. ``forecast_panel`` is the batch entry point; ``forecast_series`` forecasts one.

Per product (see docs/forecasting.md for the formulas):
1. History too short to backtest (fewer than ``min_train_days + horizon`` days) -> the average
   daily demand so far, status ``short_history``; no sales at all -> zero, status ``no_sales``;
   no days at all -> zero, status ``no_history``.
2. Otherwise classify: average inter-demand interval (ADI) >= 1.32 -> intermittent, else smooth.
   Each class has its candidate methods (``ForecastConfig``).
3. Backtest every candidate on ``n_windows`` consecutive windows of ``horizon`` days at the end of
   the history, refitting at each origin; pick the lowest RMSSE (ties -> the earlier candidate).
4. Refit the chosen method on the whole history for the forecast. The interval is
   ``forecast +- z(level) * sigma`` (clipped at 0), sigma = RMSE of the chosen method's daily
   backtest errors; the same sigma feeds the safety stock in ``replenishment``.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import NormalDist
from typing import Any

import numpy as np

from . import methods as M
from .metrics import mase, naive_scales, rmsse

logger = logging.getLogger(__name__)

METHODS: dict[str, Callable[..., np.ndarray]] = {
    "seasonal_naive": M.seasonal_naive,
    "ets": M.ets,
    "croston_sba": M.croston_sba,
    "tsb": M.tsb,
    "imapa": M.imapa,
}
FALLBACK_MODEL = "historic_mean"
ZERO_MODEL = "zero"


class Status(StrEnum):
    OK = "ok"
    SHORT_HISTORY = "short_history"
    NO_SALES = "no_sales"
    NO_HISTORY = "no_history"


@dataclass(frozen=True)
class ForecastConfig:
    horizon: int = 28
    season_length: int = 7
    n_windows: int = 3
    level: float = 95.0  # prediction interval level, percent
    min_train_days: int = 28  # history needed before the first backtest origin
    intermittent_adi: float = 1.32  # Syntetos-Boylan cut-off
    smooth_methods: tuple[str, ...] = ("seasonal_naive", "ets")
    intermittent_methods: tuple[str, ...] = ("seasonal_naive", "croston_sba", "tsb", "imapa")
    ets_backend: str = "numpy"  # or "statsforecast": the library's AutoETS (slow, small panels)

    def __post_init__(self) -> None:
        if self.horizon < 1 or self.n_windows < 1 or self.season_length < 1:
            raise ValueError("horizon, n_windows and season_length must be positive")
        if not 0 < self.level < 100:
            raise ValueError("level must be between 0 and 100 (percent)")
        if self.min_train_days < 2 * self.season_length:
            raise ValueError("min_train_days must cover at least two seasons")
        unknown = set(self.smooth_methods + self.intermittent_methods) - set(METHODS)
        if unknown:
            raise ValueError(f"unknown methods: {sorted(unknown)}")
        if self.ets_backend not in ("numpy", "statsforecast"):
            raise ValueError("ets_backend must be 'numpy' or 'statsforecast'")


@dataclass(frozen=True, eq=False)  # holds arrays: element-wise == would make equality ambiguous
class ForecastResult:
    """What to store per product. Arrays have ``horizon`` values, day 1 = the day after history."""

    model: str
    status: Status
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    level: float
    sigma_daily: float  # RMSE of one day's forecast, from the backtest (or the fallback rule)
    error_rmsse: float | None  # backtest error of the chosen model; None when not backtested
    error_mase: float | None
    demand_class: str  # "smooth" | "intermittent" | "" when not classified
    n_days: int
    backtest: dict[str, float] = field(default_factory=dict)  # RMSSE per candidate
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form (lists and floats) for a JSONField."""
        return {
            "model": self.model,
            "status": str(self.status),
            "mean": [float(v) for v in self.mean],
            "lo": [float(v) for v in self.lo],
            "hi": [float(v) for v in self.hi],
            "level": self.level,
            "sigma_daily": self.sigma_daily,
            "error_rmsse": self.error_rmsse,
            "error_mase": self.error_mase,
            "demand_class": self.demand_class,
            "n_days": self.n_days,
            "backtest": dict(self.backtest),
            "message": self.message,
        }


@dataclass
class PanelForecast:
    results: dict[Hashable, ForecastResult]
    failures: dict[Hashable, str]  # key -> error message; the other products are unaffected


def z_value(level_percent: float) -> float:
    """Two-sided normal quantile for a central interval of ``level_percent``."""
    return NormalDist().inv_cdf(0.5 + level_percent / 200.0)


def _clean(y: Any) -> np.ndarray:
    arr = np.asarray(y, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"history must be one-dimensional, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError("history contains NaN or infinite values")
    # A day where returns exceed sales has negative net demand; for forecasting what will be sold
    # it counts as a day without demand.
    return np.maximum(arr, 0.0)


def _run_method(name: str, Y: np.ndarray, origins: list[int], cfg: ForecastConfig) -> np.ndarray:
    if name == "ets":
        if cfg.ets_backend == "statsforecast":
            return M.ets_statsforecast(Y, origins, cfg.horizon, cfg.season_length)
        return M.ets(Y, origins, cfg.horizon, cfg.season_length)
    if name == "seasonal_naive":
        return M.seasonal_naive(Y, origins, cfg.horizon, cfg.season_length)
    return METHODS[name](Y, origins, cfg.horizon)


def _fallback(y: np.ndarray, cfg: ForecastConfig, z: float) -> ForecastResult:
    h = cfg.horizon
    n = y.size
    zeros = np.zeros(h)
    if n == 0:
        return ForecastResult(
            model=ZERO_MODEL, status=Status.NO_HISTORY, mean=zeros, lo=zeros, hi=zeros, level=cfg.level,
            sigma_daily=0.0, error_rmsse=None, error_mase=None, demand_class="", n_days=0,
            message="not enough history: no days recorded yet; forecast is zero",
        )  # fmt: skip
    if not (y > 0).any():
        return ForecastResult(
            model=ZERO_MODEL, status=Status.NO_SALES, mean=zeros, lo=zeros, hi=zeros, level=cfg.level,
            sigma_daily=0.0, error_rmsse=None, error_mase=None, demand_class="", n_days=n,
            message=f"no sales in {n} days; forecast is zero",
        )  # fmt: skip
    mu = float(y.mean())
    # A few days understate the spread; demand counts vary at least like a Poisson count.
    sigma = max(float(y.std()), math.sqrt(mu))
    mean = np.full(h, mu)
    return ForecastResult(
        model=FALLBACK_MODEL, status=Status.SHORT_HISTORY, mean=mean, lo=np.maximum(mean - z * sigma, 0.0),
        hi=mean + z * sigma, level=cfg.level, sigma_daily=sigma, error_rmsse=None, error_mase=None,
        demand_class="", n_days=n,
        message=f"not enough history to backtest ({n} days, needs {cfg.min_train_days + cfg.horizon}); "
        "forecast is the average daily demand so far",
    )  # fmt: skip


def _forecast_group(Y: np.ndarray, cfg: ForecastConfig) -> list[ForecastResult]:
    """Forecast series of equal length, stacked as rows of ``Y``."""
    n_series, n = Y.shape
    h = cfg.horizon
    z = z_value(cfg.level)
    windows = min(cfg.n_windows, (n - cfg.min_train_days) // h) if n >= cfg.min_train_days + h else 0
    results: list[ForecastResult | None] = [None] * n_series
    has_sales = (Y > 0).any(axis=1)
    if windows == 0:
        return [_fallback(Y[r], cfg, z) for r in range(n_series)]
    for r in np.flatnonzero(~has_sales):
        results[r] = _fallback(Y[r], cfg, z)

    origins = [n - (windows - i) * h for i in range(windows)] + [n]
    intermittent = M.adi(Y) >= cfg.intermittent_adi
    cand_of_row = [cfg.intermittent_methods if intermittent[r] else cfg.smooth_methods for r in range(n_series)]
    actual = np.stack([Y[:, o : o + h] for o in origins[:-1]], axis=1)  # (n_series, windows, h)
    scale_mae, scale_mse = naive_scales(Y[:, : origins[0]])

    forecasts: dict[str, np.ndarray] = {}
    scores: dict[str, np.ndarray] = {}
    for name in dict.fromkeys(cfg.smooth_methods + cfg.intermittent_methods):
        rows = np.array([r for r in range(n_series) if has_sales[r] and name in cand_of_row[r]], dtype=int)
        if rows.size == 0:
            continue
        fc = np.zeros((n_series, len(origins), h))
        fc[rows] = _run_method(name, Y[rows], origins, cfg)
        forecasts[name] = fc
        score = np.full(n_series, np.inf)
        score[rows] = rmsse(actual[rows], fc[rows, :-1], scale_mse[rows])
        scores[name] = score

    for r in range(n_series):
        if results[r] is not None:
            continue
        cands = [c for c in cand_of_row[r] if c in scores]
        best = min(cands, key=lambda c: scores[c][r])  # min keeps the first of equal scores
        fc = forecasts[best][r]
        errors = actual[r] - fc[:-1]
        sigma = float(np.sqrt(np.mean(errors * errors)))
        mean = fc[-1]
        results[r] = ForecastResult(
            model=best, status=Status.OK, mean=mean, lo=np.maximum(mean - z * sigma, 0.0), hi=mean + z * sigma,
            level=cfg.level, sigma_daily=sigma, error_rmsse=float(scores[best][r]),
            error_mase=float(mase(actual[r : r + 1], fc[None, :-1], scale_mae[r : r + 1])[0]),
            demand_class="intermittent" if intermittent[r] else "smooth", n_days=n,
            backtest={c: float(scores[c][r]) for c in cands},
        )  # fmt: skip
    return results  # type: ignore[return-value]


def _forecast_rows(keys: list[Hashable], Y: np.ndarray, cfg: ForecastConfig, out: PanelForecast) -> None:
    """Forecast a group; if it raises, halve it until the failing products are isolated."""
    try:
        results = _forecast_group(Y, cfg)
    except Exception as exc:  # one product's failure must not stop the others
        if len(keys) == 1:
            logger.exception("forecast failed for %s", keys[0])
            out.failures[keys[0]] = f"{type(exc).__name__}: {exc}"
            return
        logger.warning("forecast of %s products failed; splitting to isolate the cause", len(keys))
        half = len(keys) // 2
        _forecast_rows(keys[:half], Y[:half], cfg, out)
        _forecast_rows(keys[half:], Y[half:], cfg, out)
        return
    out.results.update(zip(keys, results, strict=True))


def _forecast_items(items: list[tuple[Hashable, np.ndarray]], cfg: ForecastConfig) -> PanelForecast:
    """Serial core: group by history length and run each group vectorised."""
    out = PanelForecast(results={}, failures={})
    groups: dict[int, list[tuple[Hashable, np.ndarray]]] = defaultdict(list)
    for key, y in items:
        groups[y.size].append((key, y))
    for group in groups.values():
        _forecast_rows([key for key, _ in group], np.stack([y for _, y in group]), cfg, out)
    return out


def forecast_series(y: Any, *, config: ForecastConfig | None = None) -> ForecastResult:
    """Forecast one daily demand history (oldest first, last value = the last complete day).

    Raises ValueError for a history with NaN/inf values or more than one dimension."""
    cfg = config or ForecastConfig()
    return _forecast_group(_clean(y)[None, :], cfg)[0]


def forecast_panel(
    series: Mapping[Hashable, Any] | Iterable[tuple[Hashable, Any]],
    *,
    config: ForecastConfig | None = None,
    n_jobs: int = 1,
    chunk_size: int = 1000,
    progress: Callable[[int], None] | None = None,
) -> PanelForecast:
    """Forecast many products at once.

    ``series`` maps a key (product id, SKU...) to its daily demand history, oldest first, ending
    with the last complete day; histories may have different lengths (start at launch).
    ``n_jobs > 1`` spreads chunks over worker processes; keep 1 inside a Celery prefork worker
    (daemonic processes cannot start children). ``progress(n)`` is called with the number of
    series finished after each chunk. A product whose history is invalid or whose fit raises is
    reported in ``failures`` and does not stop the rest. Deterministic: same input, same output.
    """
    cfg = config or ForecastConfig()
    pairs = series.items() if isinstance(series, Mapping) else series
    items: list[tuple[Hashable, np.ndarray]] = []
    failures: dict[Hashable, str] = {}
    for key, y in pairs:
        try:
            items.append((key, _clean(y)))
        except (ValueError, TypeError) as exc:
            failures[key] = f"invalid history: {exc}"
    # Sorting by length keeps equal-length histories in the same chunk, so groups stay large.
    items.sort(key=lambda kv: kv[1].size)
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    out = PanelForecast(results={}, failures=failures)

    def merge(part: PanelForecast, n_done: int) -> None:
        out.results.update(part.results)
        out.failures.update(part.failures)
        if progress is not None:
            progress(n_done)

    if n_jobs <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            merge(_forecast_items(chunk, cfg), len(chunk))
    else:
        # forkserver, not fork: the caller may hold database connections and threads (a Django
        # command, a connection pool) that a forked child would inherit in an unknown state.
        ctx = multiprocessing.get_context("forkserver")
        # The fork server imports numpy and the engine once; each worker is then a cheap fork of it.
        ctx.set_forkserver_preload(["inventory.forecasting.engine"])
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
            futures = {pool.submit(_forecast_items, chunk, cfg): len(chunk) for chunk in chunks}
            for fut in as_completed(futures):
                merge(fut.result(), futures[fut])
    return out
