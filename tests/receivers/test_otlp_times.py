"""The OTLP receiver's quick time formatting gives what the datetime route gives."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest_api.sources.base import iso
from ingest_api.sources.otlp import _iso_nanos, _nanos

RECEIVED = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "nanos",
    [
        0,  # unset: the receive time
        1,
        999,
        1_000,
        10**9,
        1_764_460_800_000_000_000,  # whole second: no fraction written
        1_764_460_800_123_456_789,  # nanoseconds cut to microseconds
        1_764_460_800_000_001_000,
        2**64 - 1,  # the largest OTLP time (fixed64): year 2554
    ],
)
def test_quick_format_matches_the_datetime_format(nanos):
    assert _iso_nanos(nanos, RECEIVED) == iso(_nanos(nanos, RECEIVED))
