"""The sex-ratio arithmetic against values worked out by hand, and its properties (hypothesis).

Wilson score interval for x boys of n births at z: with p = x/n,
    centre = (p + z²/2n) / (1 + z²/n),  half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n).
SRB of a share q is 100·q/(1-q).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.bulletins import srb


def test_z_values_are_the_two_sided_95_and_998_quantiles():
    assert pytest.approx(1.959964, abs=1e-6) == srb.Z_WARNING
    assert pytest.approx(3.090232, abs=1e-6) == srb.Z_ALARM


def test_wilson_for_7_of_10_at_95_percent():
    """p = 0.7, z² = 3.841459, z²/n = 0.384146, 1 + z²/n = 1.384146.
    centre = (0.7 + 0.192073) / 1.384146 = 0.644493
    half   = 1.959964 · sqrt(0.021 + 0.009604) / 1.384146 = 1.959964 · 0.174939 / 1.384146 = 0.247717
    interval = (0.396776, 0.892210); as SRB: 100·0.396776/0.603224 = 65.78 to 100·0.892210/0.107790 = 827.7.
    The raw ratio is 233, but 103-107 lies inside: not flagged."""
    low, high = srb.wilson(7, 10, srb.Z_WARNING)
    assert low == pytest.approx(0.396776, abs=1e-5)
    assert high == pytest.approx(0.892210, abs=1e-5)
    srb_low, srb_high = srb.srb_interval(7, 3, srb.Z_WARNING)
    assert srb_low == pytest.approx(65.78, abs=0.02)
    assert srb_high == pytest.approx(827.7, abs=0.2)
    assert srb.srb(7, 3) == pytest.approx(233.33, abs=0.01)
    assert srb.flag(7, 3) == ""


def test_wilson_for_560_of_1000_is_a_warning_not_an_alarm():
    """p = 0.56, n = 1000.
    95%:   1 + z²/n = 1.0038415; centre = (0.56 + 0.0019207) / 1.0038415 = 0.559771;
           half = 1.959964 · sqrt(0.0002464 + 0.00000096) / 1.0038415 = 0.030708;
           interval (0.529063, 0.590479) → SRB 112.34 to 144.19: wholly above 107 → warning.
    99.8%: z = 3.090232, z² = 9.549536, 1 + z²/n = 1.0095495; centre = 0.564775 / 1.0095495 = 0.559433;
           half = 3.090232 · sqrt(0.0002464 + 0.00000239) / 1.0095495 = 0.048278;
           interval (0.511155, 0.607711) → SRB 104.56 to 154.91: 104.56 lies inside 103-107 → no alarm."""
    low, high = srb.wilson(560, 1000, srb.Z_WARNING)
    assert (low, high) == (pytest.approx(0.529063, abs=1e-5), pytest.approx(0.590479, abs=1e-5))
    srb_low, srb_high = srb.srb_interval(560, 440, srb.Z_WARNING)
    assert srb_low == pytest.approx(112.34, abs=0.02)
    assert srb_high == pytest.approx(144.19, abs=0.02)
    alarm_low, _high = srb.srb_interval(560, 440, srb.Z_ALARM)
    assert alarm_low == pytest.approx(104.56, abs=0.02)
    assert srb.flag(560, 440) == srb.WARNING


def test_a_large_skewed_unit_is_an_alarm():
    """600 boys, 400 girls (SRB 150): 99.8% interval of p = 0.6 at n = 1000 is about (0.551, 0.647),
    SRB 122.8 to 183.4, wholly above 107 → alarm."""
    assert srb.flag(600, 400) == srb.ALARM
    low, _high = srb.srb_interval(600, 400, srb.Z_ALARM)
    assert low == pytest.approx(122.8, abs=0.3)


def test_low_ratios_are_flagged_too():
    """400 boys, 600 girls (SRB 66.7): the interval lies wholly below 103."""
    assert srb.flag(400, 600) == srb.ALARM


def test_a_natural_county_is_not_flagged():
    assert srb.flag(5250, 5000) == ""  # SRB 105
    assert srb.flag(0, 0) == ""


def test_a_small_township_with_an_extreme_raw_ratio_is_not_flagged():
    """12 boys and 4 girls: SRB 300, but 95% Wilson for p = 0.75 at n = 16 is about (0.505, 0.898),
    SRB 102 to 880: 103-107 overlaps, no warning."""
    assert srb.srb(12, 4) == 300
    assert srb.flag(12, 4) == ""


def test_funnel_limits_around_105():
    """p0 = 105/205 = 0.512195; sd at n = 1000: sqrt(0.512195·0.487805/1000) = 0.015807.
    95%: 0.512195 ± 0.030982 → (0.481213, 0.543177) → SRB 92.76 to 118.90."""
    low, high = srb.funnel_limits(1000, srb.Z_WARNING)
    assert low == pytest.approx(92.76, abs=0.03)
    assert high == pytest.approx(118.90, abs=0.03)
    wide_low, wide_high = srb.funnel_limits(1000, srb.Z_ALARM)
    assert wide_low < low and wide_high > high


def test_intervals_at_the_edges():
    assert srb.wilson(0, 5, srb.Z_WARNING)[0] == 0.0
    assert srb.wilson(5, 5, srb.Z_WARNING)[1] == 1.0
    assert math.isinf(srb.srb_interval(5, 0, srb.Z_WARNING)[1])
    assert srb.srb(5, 0) is None
    with pytest.raises(ValueError):
        srb.wilson(0, 0, srb.Z_WARNING)


@given(n=st.integers(min_value=1, max_value=100_000), data=st.data())
def test_interval_contains_the_observed_share(n, data):
    boys = data.draw(st.integers(min_value=0, max_value=n))
    for z in (srb.Z_WARNING, srb.Z_ALARM):
        low, high = srb.wilson(boys, n, z)
        assert 0.0 <= low <= boys / n <= high <= 1.0


@given(share=st.fractions(min_value=0, max_value=1), n=st.integers(min_value=1, max_value=5_000))
def test_interval_narrows_as_births_grow(share, n):
    """The same share of boys, ten times the births: a narrower interval; and 99.8% is wider than 95%."""
    boys = round(share * n)
    width = lambda x, m, z: (lambda lo_hi: lo_hi[1] - lo_hi[0])(srb.wilson(x, m, z))  # noqa: E731
    assert width(boys * 10, n * 10, srb.Z_WARNING) < width(boys, n, srb.Z_WARNING)
    assert width(boys, n, srb.Z_ALARM) > width(boys, n, srb.Z_WARNING)


@given(boys=st.integers(min_value=0, max_value=3000), girls=st.integers(min_value=0, max_value=3000))
def test_an_alarm_is_always_a_warning_first(boys, girls):
    """The 99.8% interval contains the 95% one: outside the range at 99.8% means outside at 95%."""
    if srb.flag(boys, girls) == srb.ALARM:
        assert srb.outside_natural_range(srb.srb_interval(boys, girls, srb.Z_WARNING))


@dataclass(frozen=True)
class _Count:
    facility_id: int
    township_id: int | None
    month: datetime.date
    boys: int
    girls: int


def test_aggregation_by_unit_and_period():
    rows = [
        _Count(1, 10, datetime.date(2026, 1, 1), 10, 8),
        _Count(1, 10, datetime.date(2026, 2, 1), 5, 6),
        _Count(2, 10, datetime.date(2026, 2, 1), 3, 2),
        _Count(3, 11, datetime.date(2026, 4, 1), 7, 7),
    ]
    by_facility_quarter = srb.aggregate(rows, unit=lambda r: r.facility_id, period=srb.QUARTER)
    assert [(c.unit, c.period, c.boys, c.girls) for c in by_facility_quarter] == [
        (1, datetime.date(2026, 1, 1), 15, 14),
        (2, datetime.date(2026, 1, 1), 3, 2),
        (3, datetime.date(2026, 4, 1), 7, 7),
    ]
    by_township_year = srb.aggregate(rows, unit=lambda r: r.township_id, period=srb.YEAR)
    assert [(c.unit, c.boys, c.girls) for c in by_township_year] == [(10, 18, 16), (11, 7, 7)]
    county_month = srb.aggregate(rows, unit=lambda r: 0, period=srb.MONTH)
    assert [(c.period.month, c.births) for c in county_month] == [(1, 18), (2, 16), (4, 14)]
    assert srb.period_start(datetime.date(2026, 8, 1), srb.HALF_YEAR) == datetime.date(2026, 7, 1)


def test_published_cells_hide_small_counts_and_what_would_give_them_away():
    small = srb.published(srb.Cell(unit=1, period=datetime.date(2026, 1, 1), boys=7, girls=3))
    assert (small.boys, small.girls, small.births, small.ratio, small.interval) == ("7", "<5", "—", "—", "—")
    tiny = srb.published(srb.Cell(unit=1, period=datetime.date(2026, 1, 1), boys=2, girls=1))
    assert (tiny.boys, tiny.girls, tiny.births) == ("<5", "<5", "<5")
    full = srb.published(srb.Cell(unit=1, period=datetime.date(2026, 1, 1), boys=560, girls=440))
    assert (full.boys, full.girls, full.births, full.ratio, full.flag) == ("560", "440", "1000", "127.3", "warning")
    assert full.interval == "112.3–144.2"
