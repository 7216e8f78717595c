"""The charts are plain SVG (no script, text drawn as paths), and published charts leave small units out."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from workflows.bulletins import charts, selectors, srb


def rows() -> list[selectors.Row]:
    month = dt.date(2026, 3, 1)
    return [
        selectors.Row("县人民医院", srb.Cell(1, month, 560, 440), unit_kind="facility", period_label="2026-03"),
        selectors.Row("Centre A", srb.Cell(2, month, 7, 3), unit_kind="facility", period_label="2026-03"),
        selectors.Row("Town A2", srb.Cell(3, month, 12, 0), unit_kind="township", period_label="2026-03"),
    ]


def test_published_funnels_leave_out_small_units_and_units_without_girls() -> None:
    points, left_out = selectors.funnel_points(rows(), published=True)
    assert [p.label for p in points] == ["县人民医院"] and left_out == 2
    points, left_out = selectors.funnel_points(rows(), published=False)
    assert [p.label for p in points] == ["县人民医院", "Centre A"] and left_out == 1
    assert points[0].flag == srb.WARNING


def test_the_svg_has_no_script_and_no_text_to_need_a_font() -> None:
    svg, left_out = selectors.funnel_svg(rows(), title="漏斗图 <&>", published=True)
    assert left_out == 2
    assert svg.startswith("<svg ") and 'aria-label="漏斗图 &lt;&amp;&gt;"' in svg
    assert "<script" not in svg and "<text" not in svg and "onload" not in svg and "<?xml" not in svg
    series = selectors.series_svg(rows(), title="series", published=True)
    assert "<script" not in series and series.startswith("<svg ")


def test_charts_render_as_png_for_the_pdf() -> None:
    points, _left_out = selectors.funnel_points(rows(), published=True)
    image = charts.render(charts.funnel_figure, points, selectors.funnel_texts("t"), fmt="png")
    assert image[:8] == b"\x89PNG\r\n\x1a\n"


# --- Drawn once per content and language ------------------------------------------------------------


@pytest.fixture
def drawings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the charts matplotlib draws from here on."""
    drawn: list[str] = []
    render = charts.render

    def counted(build: Any, *args: Any, fmt: str, title: str = "") -> Any:
        drawn.append(title)
        return render(build, *args, fmt=fmt, title=title)

    monkeypatch.setattr(charts, "render", counted)
    return drawn


@pytest.mark.django_db
def test_a_bulletin_s_charts_are_drawn_once_per_content_and_language(
    driver: Any, births: Any, drawings: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflows.bulletins.models import Bulletin

    from .test_paths import compiled

    w = driver.world
    bulletin = compiled(births, w)
    # A digest no earlier run can have kept (the shared cache outlives a test run).
    unique = Bulletin.digest({**bulletin.content, "test": str(uuid.uuid4())})
    Bulletin.objects.filter(pk=bulletin.pk).update(content_sha256=unique)
    url = driver.url("process_detail", bulletin)

    first = driver.client(w.officer).get(url).content.decode()
    assert len(drawings) == 2 and first.count('class="bulletin-chart"') == 2
    again = driver.client(w.inspector).get(url).content.decode()
    assert len(drawings) == 2  # kept: another reader, the same drawing
    assert charts_of(again) == charts_of(first)

    chinese = driver.client(w.officer).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert len(drawings) == 4 and charts_of(chinese) != charts_of(first)  # its own labels

    Bulletin.objects.filter(pk=bulletin.pk).update(content_sha256=Bulletin.digest({"recompiled": str(uuid.uuid4())}))
    driver.client(w.officer).get(url)
    assert len(drawings) == 6  # a new content digest is drawn afresh

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    from django.conf import settings
    from django.core.cache import caches

    monkeypatch.setattr(caches[settings.BULLETIN_CHARTS_CACHE], "get", unreachable)
    down = driver.client(w.officer).get(url)
    assert down.status_code == 200 and down.content.decode().count('class="bulletin-chart"') == 2
    assert len(drawings) == 8  # drawn, not lost


def charts_of(page: str) -> list[str]:
    return [part.split("</svg>")[0] for part in page.split('class="bulletin-chart"')[1:]]
