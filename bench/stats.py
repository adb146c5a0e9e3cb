"""Small helpers to turn samples into the figures benchmarks print."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def percentiles_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p90/p99/max of durations given in seconds, in milliseconds."""
    arr = np.asarray(samples_s) * 1000.0
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return {"p50": float(p50), "p90": float(p90), "p99": float(p99), "max": float(arr.max())}


def ratio(ours: float, base: float) -> str:
    """`ours / base` printed as 1.23x (inf when the baseline is zero)."""
    return f"{ours / base:.2f}x" if base > 0 else "inf"
