"""Zero-filled daily histories from aggregated ledger rows."""

from datetime import date

import numpy as np
import pytest

from inventory.forecasting.history import daily_demand_panel

END = date(2026, 3, 10)


def test_rows_become_zero_filled_days_from_the_launch_date():
    rows = [("A", date(2026, 3, 8), 2), ("A", date(2026, 3, 10), 5), ("A", date(2026, 3, 8), -1)]

    panel = daily_demand_panel(rows, end=END, starts={"A": date(2026, 3, 6)})

    # 6, 7, 8, 9, 10 March; the two rows on the 8th (a sale and a return) add up
    np.testing.assert_array_equal(panel["A"], [0, 0, 1, 0, 5])


def test_product_that_never_sold_gets_zeros_and_one_not_launched_yet_gets_nothing():
    panel = daily_demand_panel(
        [], end=END, starts={"quiet": date(2026, 3, 1), "future": date(2026, 4, 1), "today": END}
    )

    np.testing.assert_array_equal(panel["quiet"], np.zeros(10))
    assert panel["future"].size == 0
    np.testing.assert_array_equal(panel["today"], [0])


def test_without_a_start_the_history_begins_at_the_first_row():
    panel = daily_demand_panel([("B", date(2026, 3, 9), 3), ("B", date(2026, 3, 7), 1)], end=END)

    np.testing.assert_array_equal(panel["B"], [1, 0, 3, 0])


def test_history_is_cut_to_the_window_and_rows_outside_are_ignored():
    rows = [("C", date(2025, 1, 1), 9), ("C", date(2026, 3, 9), 4), ("C", date(2026, 3, 11), 7)]

    panel = daily_demand_panel(rows, end=END, starts={"C": date(2024, 1, 1)}, max_days=3)

    np.testing.assert_array_equal(panel["C"], [0, 4, 0])


def test_window_must_be_positive():
    with pytest.raises(ValueError, match="max_days"):
        daily_demand_panel([], end=END, max_days=0)
