"""Demand forecasting and replenishment maths, free of Django so it can be tested and benchmarked alone.

Integration builds histories with ``daily_demand_panel`` from one aggregated ledger query, calls ``forecast_panel`` (batch) or ``forecast_series``, stores each ``ForecastResult``,
and feeds ``result.mean`` / ``result.sigma_daily`` to ``replenishment_plan``.
"""

from .engine import ForecastConfig, ForecastResult, PanelForecast, Status, forecast_panel, forecast_series
from .history import daily_demand_panel
from .replenishment import Incoming, ReplenishmentPlan, demand_over, replenishment_plan

__all__ = [
    "ForecastConfig",
    "ForecastResult",
    "Incoming",
    "PanelForecast",
    "ReplenishmentPlan",
    "Status",
    "daily_demand_panel",
    "demand_over",
    "forecast_panel",
    "forecast_series",
    "replenishment_plan",
]
