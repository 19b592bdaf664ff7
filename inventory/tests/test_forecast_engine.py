"""The forecasting engine on series whose right answer is known. Pure numpy: no database."""

import json
import math

import numpy as np
import pytest

from inventory.forecasting import ForecastConfig, Status, forecast_panel, forecast_series
from inventory.forecasting.engine import z_value
from inventory.forecasting.metrics import naive_scales

WEEK = np.array([10.0, 12.0, 14.0, 16.0, 18.0, 30.0, 25.0])
INTERMITTENT_METHODS = {"croston_sba", "tsb", "imapa"}


def _assert_sane(res, horizon=28):
    assert res.mean.shape == res.lo.shape == res.hi.shape == (horizon,)
    for arr in (res.mean, res.lo, res.hi):
        assert np.isfinite(arr).all()
        assert (arr >= 0).all()
    assert (res.lo <= res.mean + 1e-12).all()
    assert (res.mean <= res.hi + 1e-12).all()
    assert res.sigma_daily >= 0


def test_clean_weekly_cycle_is_continued_in_phase():
    y = np.tile(WEEK, 60)[:-3]  # ends on the 4th weekday, so the forecast must start on the 5th

    res = forecast_series(y)

    assert res.status == Status.OK
    assert res.demand_class == "smooth"
    # Both candidates reproduce a clean cycle exactly; on a tie the simpler, earlier one is kept.
    assert res.model == "seasonal_naive"
    expected = np.tile(np.roll(WEEK, 3), 5)[:28]
    np.testing.assert_allclose(res.mean, expected, atol=1e-6)
    assert res.error_rmsse == pytest.approx(0.0, abs=1e-9)
    assert res.sigma_daily == pytest.approx(0.0, abs=1e-9)
    _assert_sane(res)


def test_noisy_weekly_cycle_chooses_ets_and_recovers_the_profile():
    rng = np.random.default_rng(1)
    y = rng.poisson(np.tile(WEEK, 52)).astype(float)

    res = forecast_series(y)

    # Repeating last week copies its noise; the smoothed seasonal model must win.
    assert res.model == "ets"
    np.testing.assert_allclose(res.mean, np.tile(WEEK, 4), rtol=0.15)
    assert res.backtest["ets"] < res.backtest["seasonal_naive"]
    assert res.sigma_daily == pytest.approx(math.sqrt(WEEK.mean()), rel=0.25)  # Poisson noise
    _assert_sane(res)


def test_vectorised_ets_agrees_with_statsforecast_autoets():
    from statsforecast.models import AutoETS

    rng = np.random.default_rng(2)
    y = rng.poisson(np.tile(WEEK, 40)).astype(float)

    ours = forecast_series(y, config=ForecastConfig(smooth_methods=("ets",))).mean
    library = AutoETS(season_length=7).forecast(y=y, h=28)["mean"]

    np.testing.assert_allclose(ours, library, rtol=0.1)


def test_library_ets_backend_runs_through_the_engine():
    rng = np.random.default_rng(2)
    y = rng.poisson(np.tile(WEEK, 12)).astype(float)  # 84 days: one backtest window

    res = forecast_series(y, config=ForecastConfig(smooth_methods=("ets",), ets_backend="statsforecast"))

    assert res.model == "ets"
    assert res.status == Status.OK
    np.testing.assert_allclose(res.mean, np.tile(WEEK, 4), rtol=0.25)
    _assert_sane(res)


def test_constant_rate_forecasts_the_rate_with_poisson_spread():
    rng = np.random.default_rng(3)
    y = rng.poisson(8.0, size=400).astype(float)

    res = forecast_series(y)

    assert res.model == "ets"
    np.testing.assert_allclose(res.mean, 8.0, rtol=0.1)
    assert res.sigma_daily == pytest.approx(math.sqrt(8.0), rel=0.2)
    z = z_value(95)
    np.testing.assert_allclose(res.hi - res.mean, z * res.sigma_daily)
    _assert_sane(res)


def test_exactly_constant_demand_forecasts_that_constant():
    res = forecast_series(np.full(200, 5.0))

    np.testing.assert_allclose(res.mean, 5.0)
    assert res.sigma_daily == pytest.approx(0.0, abs=1e-9)


def test_intermittent_series_get_an_intermittent_method_at_the_demand_rate():
    rng = np.random.default_rng(4)
    series = {}
    for i in range(20):
        occurs = rng.random(500) < 0.1
        series[i] = (occurs * (1 + rng.poisson(1.0, 500))).astype(float)  # rate 0.1 * 2 = 0.2 a day

    panel = forecast_panel(series)

    forecasts = []
    for res in panel.results.values():
        assert res.demand_class == "intermittent"
        assert res.model in INTERMITTENT_METHODS
        assert set(res.backtest) == {"seasonal_naive", *INTERMITTENT_METHODS}
        assert np.ptp(res.mean) == pytest.approx(0.0)  # these methods forecast a flat rate
        _assert_sane(res)
        forecasts.append(res.mean[0])
    # One series' estimate follows its recent weeks (smoothing 0.1), so it is noisy; across 20
    # independent series the estimates centre on the true rate.
    assert np.mean(forecasts) == pytest.approx(0.2, rel=0.15)


def test_regular_intermittent_demand_croston_sba_is_the_debiased_rate():
    y = np.zeros(300)
    y[4::5] = 3.0  # 3 units every 5th day: rate 0.6

    res = forecast_series(y, config=ForecastConfig(intermittent_methods=("croston_sba",)))

    assert res.model == "croston_sba"
    np.testing.assert_allclose(res.mean, 0.95 * 3.0 / 5.0)  # SBA's 0.95 bias correction


def test_no_sales_forecasts_zero_without_error():
    res = forecast_series(np.zeros(365))

    assert res.status == Status.NO_SALES
    assert res.model == "zero"
    np.testing.assert_array_equal(res.mean, 0.0)
    assert res.error_rmsse is None
    _assert_sane(res)


def test_no_history_at_all_says_so():
    res = forecast_series([])

    assert res.status == Status.NO_HISTORY
    assert "not enough history" in res.message
    _assert_sane(res)


@pytest.mark.parametrize("day", [0, 200, 360, 364])
def test_single_sale_gives_a_small_non_negative_forecast(day):
    y = np.zeros(365)
    y[day] = 1.0

    res = forecast_series(y)

    assert res.status == Status.OK
    assert res.demand_class == "intermittent"
    assert res.mean.max() <= 1.0
    _assert_sane(res)


def test_product_launched_last_week_gets_the_average_and_a_clear_status():
    y = np.array([0.0, 2.0, 1.0, 0.0, 3.0, 1.0, 2.0])

    res = forecast_series(y)

    assert res.status == Status.SHORT_HISTORY
    assert res.model == "historic_mean"
    assert "not enough history to backtest" in res.message
    np.testing.assert_allclose(res.mean, 9.0 / 7.0)
    assert res.sigma_daily == pytest.approx(max(np.std(y), math.sqrt(9.0 / 7.0)))
    assert res.error_rmsse is None
    _assert_sane(res)


def test_single_day_history_with_one_sale():
    res = forecast_series([1.0])

    assert res.status == Status.SHORT_HISTORY
    np.testing.assert_allclose(res.mean, 1.0)
    _assert_sane(res)


def test_backtest_uses_fewer_windows_when_history_is_moderate():
    rng = np.random.default_rng(5)
    y = rng.poisson(6.0, size=70).astype(float)  # 70 - 28 = 42 days: room for one 28-day window

    res = forecast_series(y)

    assert res.status == Status.OK
    assert res.error_rmsse is not None
    _assert_sane(res)


def test_negative_net_demand_days_count_as_zero():
    rng = np.random.default_rng(6)
    y = rng.poisson(4.0, size=200).astype(float)
    with_returns = y.copy()
    with_returns[y == 0] = -2.0  # returns exceeded sales on those days

    np.testing.assert_allclose(forecast_series(with_returns).mean, forecast_series(y).mean)


def test_panel_matches_single_series_and_isolates_a_bad_product():
    rng = np.random.default_rng(7)
    series = {
        "steady": rng.poisson(5.0, 300).astype(float),
        "weekly": rng.poisson(np.tile(WEEK, 40)).astype(float),
        "new": np.array([1.0, 0.0, 2.0]),
        "broken": np.array([1.0, np.nan, 2.0]),
        "empty": np.zeros(0),
    }
    seen = []

    panel = forecast_panel(series, progress=seen.append)

    assert set(panel.failures) == {"broken"}
    assert "NaN" in panel.failures["broken"]
    assert set(panel.results) == {"steady", "weekly", "new", "empty"}
    assert sum(seen) == 4
    for key in ("steady", "weekly", "new"):
        np.testing.assert_allclose(panel.results[key].mean, forecast_series(series[key]).mean)


def test_a_product_whose_fit_raises_is_reported_and_the_others_are_forecast(monkeypatch):
    from inventory.forecasting import methods

    real_ets = methods.ets

    def ets_that_fails_on_a_marker(Y, *args, **kwargs):
        if (Y == 999).any():
            raise FloatingPointError("cannot fit")
        return real_ets(Y, *args, **kwargs)

    monkeypatch.setattr(methods, "ets", ets_that_fails_on_a_marker)
    rng = np.random.default_rng(10)
    series = {i: rng.poisson(5.0, 150).astype(float) for i in range(5)}
    series[3][40] = 999.0

    panel = forecast_panel(series)

    assert panel.failures == {3: "FloatingPointError: cannot fit"}
    assert set(panel.results) == {0, 1, 2, 4}
    for key in (0, 1, 2, 4):
        assert panel.results[key].model in {"ets", "seasonal_naive"}
        np.testing.assert_allclose(panel.results[key].mean, forecast_series(series[key]).mean)


def test_panel_in_worker_processes_equals_serial():
    rng = np.random.default_rng(8)
    series = {i: rng.poisson(3.0 + i, 120).astype(float) for i in range(6)}

    serial = forecast_panel(series)
    parallel = forecast_panel(series, n_jobs=2, chunk_size=2)

    assert set(parallel.results) == set(series)
    for key in series:
        np.testing.assert_array_equal(parallel.results[key].mean, serial.results[key].mean)
        assert parallel.results[key].model == serial.results[key].model


def test_result_serialises_to_json():
    res = forecast_series(np.random.default_rng(9).poisson(3.0, 120).astype(float))

    data = json.loads(json.dumps(res.to_dict()))

    assert data["model"] == res.model
    assert len(data["mean"]) == 28
    assert data["status"] == "ok"


@pytest.mark.parametrize(
    "kwargs",
    [{"horizon": 0}, {"level": 100}, {"min_train_days": 7}, {"smooth_methods": ("prophet",)}, {"ets_backend": "r"}],
)
def test_invalid_config_is_refused(kwargs):
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        ForecastConfig(**kwargs)


def test_naive_scale_falls_back_for_flat_histories():
    mae, mse = naive_scales(np.array([[2.0, 2.0, 2.0], [0.0, 0.0, 0.0], [1.0, 3.0, 1.0]]))

    np.testing.assert_allclose(mae, [2.0, 1.0, 2.0])
    np.testing.assert_allclose(mse, [4.0, 1.0, 4.0])
