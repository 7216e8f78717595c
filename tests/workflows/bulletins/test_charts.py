"""The charts are plain SVG (no script, text drawn as paths), and published charts leave small units out."""

from __future__ import annotations

import datetime as dt

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
