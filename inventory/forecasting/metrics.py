"""Scaled forecast errors (MASE, RMSSE) against the in-sample one-step naive forecast."""

from __future__ import annotations

import numpy as np


def naive_scales(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per series: (mean |y_t - y_t-1|, mean (y_t - y_t-1)^2) over the training history.

    A flat history has a zero naive scale, which would make any error infinite. Then the scale
    falls back to the mean (absolute, squared) demand level, and to 1 for an all-zero history, so
    every product gets a finite, comparable number.
    """
    train = np.atleast_2d(train)
    if train.shape[1] >= 2:
        d = np.diff(train, axis=1)
        mae, mse = np.abs(d).mean(axis=1), (d * d).mean(axis=1)
    else:
        mae = mse = np.zeros(train.shape[0])
    lvl_a, lvl_s = np.abs(train).mean(axis=1), (train * train).mean(axis=1)
    mae = np.where(mae > 0, mae, np.where(lvl_a > 0, lvl_a, 1.0))
    mse = np.where(mse > 0, mse, np.where(lvl_s > 0, lvl_s, 1.0))
    return mae, mse


def mase(actual: np.ndarray, forecast: np.ndarray, scale_mae: np.ndarray) -> np.ndarray:
    """Mean absolute scaled error per series; the last axis is time."""
    err = np.abs(actual - forecast).reshape(actual.shape[0], -1).mean(axis=1)
    return err / scale_mae


def rmsse(actual: np.ndarray, forecast: np.ndarray, scale_mse: np.ndarray) -> np.ndarray:
    """Root mean squared scaled error per series; the last axis is time."""
    err = ((actual - forecast) ** 2).reshape(actual.shape[0], -1).mean(axis=1)
    return np.sqrt(err / scale_mse)
