"""Reorder point, order suggestion, stock-out date: worked examples computed by hand."""

import math
from datetime import date, timedelta

import numpy as np
import pytest

from inventory.forecasting import Incoming, demand_over, replenishment_plan

AS_OF = date(2026, 3, 1)
Z95 = 1.6448536269514722  # one-sided normal quantile for a 95% service level


def test_worked_example_reorder_point_and_quantity():
    # 4 units a day, daily forecast error 2, supplier lead time 9 days, weekly review,
    # 30 on hand, 10 on an open purchase order due on day 5, minimum 20, packs of 12.
    plan = replenishment_plan(
        forecast=np.full(28, 4.0), sigma_daily=2.0, as_of=AS_OF, on_hand=30, lead_time_days=9,
        incoming=[Incoming(quantity=10, expected=AS_OF + timedelta(days=5))],
        service_level=0.95, review_days=7, min_order_qty=20, pack_size=12,
    )  # fmt: skip

    # LTD = 9 * 4 = 36; SS = 1.6449 * 2 * sqrt(9) = 9.869; ROP = ceil(45.869) = 46
    assert plan.lead_time_demand == 36.0
    assert plan.safety_stock == pytest.approx(Z95 * 2.0 * 3.0)
    assert plan.reorder_point == 46
    # IP = 30 + 10 = 40 <= 46, so order; S = 16 * 4 + 9.869 = 73.869; S - IP = 33.869 -> 34
    # 34 is above the minimum of 20; rounded up to packs of 12 -> 36
    assert plan.inventory_position == 40
    assert plan.order_up_to == pytest.approx(64 + Z95 * 6.0)
    assert plan.suggested_quantity == 36
    # stock: 30 - 4k, +10 on day 5 -> exactly 0 after day 10, short on day 11; the lead time ends
    # on day 9, so an order placed now arrives in time
    assert plan.stockout_date == AS_OF + timedelta(days=11)
    assert plan.at_risk is False


def test_stock_out_before_a_new_order_can_arrive_is_at_risk():
    plan = replenishment_plan(forecast=np.full(28, 4.0), sigma_daily=2.0, as_of=AS_OF, on_hand=12, lead_time_days=9)

    # 12 - 4k < 0 first on day 4, before day 10 when an order placed now would arrive
    assert plan.stockout_date == AS_OF + timedelta(days=4)
    assert plan.at_risk is True
    # S - IP = 73.869 - 12 = 61.869 -> 62 (no minimum, packs of 1)
    assert plan.suggested_quantity == 62


def test_stock_out_on_the_last_day_of_the_lead_time_is_at_risk():
    plan = replenishment_plan(forecast=np.full(28, 1.0), sigma_daily=0.0, as_of=AS_OF, on_hand=4, lead_time_days=5)

    assert plan.stockout_date == AS_OF + timedelta(days=5)
    assert plan.at_risk is True


def test_no_order_above_the_reorder_point():
    plan = replenishment_plan(forecast=np.full(28, 4.0), sigma_daily=2.0, as_of=AS_OF, on_hand=47, lead_time_days=9)

    assert plan.reorder_point == 46
    assert plan.suggested_quantity == 0
    assert plan.stockout_date == AS_OF + timedelta(days=12)  # 47 - 4 * 12 < 0
    assert plan.at_risk is False


def test_open_orders_count_in_the_position_and_on_their_arrival_day():
    plan = replenishment_plan(
        forecast=np.full(28, 2.0), sigma_daily=0.0, as_of=AS_OF, on_hand=3, lead_time_days=4,
        incoming=[Incoming(quantity=50, expected=None), Incoming(quantity=5, expected=AS_OF - timedelta(days=2))],
    )  # fmt: skip

    assert plan.inventory_position == 58
    assert plan.suggested_quantity == 0
    # overdue 5 counted tomorrow: 3 + 5 - 2k >= 0 up to day 4; the undated 50 arrives on day 5
    assert plan.stockout_date is None
    assert plan.at_risk is False


def test_zero_forecast_orders_nothing_even_with_a_supplier_minimum():
    plan = replenishment_plan(
        forecast=np.zeros(28), sigma_daily=0.0, as_of=AS_OF, on_hand=0, lead_time_days=7, min_order_qty=10
    )

    assert plan.reorder_point == 0
    assert plan.suggested_quantity == 0
    assert plan.stockout_date is None


def test_minimum_order_then_pack_rounding():
    plan = replenishment_plan(
        forecast=np.full(28, 1.0), sigma_daily=0.0, as_of=AS_OF, on_hand=0, lead_time_days=2,
        review_days=1, min_order_qty=25, pack_size=10,
    )  # fmt: skip

    # need is 3, the minimum is 25, packs of 10 -> 30
    assert plan.suggested_quantity == 30


def test_lead_time_beyond_the_forecast_repeats_its_last_week():
    forecast = np.array([1.0] * 21 + [2.0, 2.0, 2.0, 2.0, 3.0, 3.0, 0.0])  # last week averages 2

    assert demand_over(forecast, 28) == pytest.approx(21 + 8 + 6)
    assert demand_over(forecast, 35) == pytest.approx(35 + 7 * 2.0)


def test_service_level_raises_safety_stock_by_the_normal_quantile():
    low = replenishment_plan(forecast=np.full(28, 4.0), sigma_daily=3.0, as_of=AS_OF, on_hand=0, lead_time_days=4)
    high = replenishment_plan(
        forecast=np.full(28, 4.0), sigma_daily=3.0, as_of=AS_OF, on_hand=0, lead_time_days=4, service_level=0.99
    )

    assert low.safety_stock == pytest.approx(Z95 * 3.0 * 2.0)
    assert high.safety_stock == pytest.approx(2.3263478740408408 * 3.0 * 2.0)
    assert high.reorder_point == math.ceil(16 + 2.3263478740408408 * 6.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_hand": -1}, "on_hand"),
        ({"lead_time_days": 2.5}, "lead_time_days"),
        ({"service_level": 1.0}, "service level"),
        ({"service_level": 95}, "service level"),
        ({"pack_size": 0}, "pack_size"),
        ({"sigma_daily": -1.0}, "sigma_daily"),
        ({"forecast": [1.0, -1.0]}, "forecast"),
        ({"forecast": []}, "forecast"),
        ({"incoming": [Incoming(quantity=-3)]}, "purchase-order"),
    ],
)
def test_impossible_input_is_refused_with_a_clear_message(kwargs, message):
    args = {"forecast": np.full(28, 1.0), "sigma_daily": 1.0, "as_of": AS_OF, "on_hand": 5, "lead_time_days": 3}
    args.update(kwargs)

    with pytest.raises(ValueError, match=message):
        replenishment_plan(**args)
