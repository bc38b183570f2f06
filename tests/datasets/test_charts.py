import re
from decimal import Decimal
from types import SimpleNamespace

from kpiworkshop.core.numbers import first_number
from kpiworkshop.datasets import charts

SERIES = [
    {"period": "2026-01-01", "value": 12.0},
    {"period": "2026-02-01", "value": 11.5},
    {"period": "2026-03-01", "value": None},
    {"period": "2026-04-01", "value": 10.25},
]


def revision(baseline="", target="", thresholds=""):
    return SimpleNamespace(baseline=baseline, target=target, thresholds=thresholds)


def test_first_number_reads_what_it_can():
    assert first_number("12.5% in 2025") == Decimal("12.5")
    assert first_number("sotto 85,0 secondi") == Decimal("85.0")
    assert first_number("-3 points") == Decimal("-3")
    assert first_number("lower than today") is None
    assert first_number("") is None


def test_references_skip_the_words_without_a_number():
    refs = charts.references(
        revision("about 14%", "as low as possible", "green under 10\nred: whenever it rises; 20")
    )
    assert [(kind, value) for kind, _label, value in refs] == [
        ("baseline", Decimal("14")),
        ("threshold", Decimal("10")),
        ("threshold", Decimal("20")),
    ]


def test_one_point_per_period_with_a_value():
    svg = str(charts.series_chart(SERIES, []))
    assert svg.count('class="chart-point"') == 3
    assert len(re.search(r'points="([^"]+)"', svg).group(1).split()) == 3
    assert 'role="img"' in svg
    assert "Line chart of 3 periods, from 2026-01-01 to 2026-04-01" in svg
    assert "chart-baseline" not in svg
    assert "<table" not in svg  # nothing to add to the page's table


def test_baseline_and_target_lines_are_drawn_and_tabled():
    refs = charts.references(revision("14", "9.5"))
    html = str(charts.series_chart(SERIES, refs))
    assert html.count('class="chart-ref chart-baseline"') == 1
    assert html.count('class="chart-ref chart-target"') == 1
    baseline_y = re.search(r'chart-baseline"><line [^>]*y1="([\d.]+)"', html).group(1)
    target_y = re.search(r'chart-target"><line [^>]*y1="([\d.]+)"', html).group(1)
    assert float(baseline_y) == charts.PAD_Y  # the highest figure is at the top
    assert float(target_y) == charts.HEIGHT - charts.PAD_Y  # the lowest at the bottom
    assert '<table class="visually-hidden">' in html
    assert "<td>Baseline</td><td>14.00</td>" in html
    assert "Baseline 14.00; Target 9.50." in html  # in the summary too


def test_labels_never_overflow_the_chart():
    refs = [("threshold", "A very long threshold name indeed", Decimal("123456789.123"))]
    svg = str(charts.series_chart(SERIES, refs))
    for x, text in re.findall(r'<text x="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        assert len(text) <= charts.LABEL_CHARS
        assert float(x) + 6 * len(text) <= charts.WIDTH
    for x in re.findall(r'c?x2?="([\d.]+)"', svg):
        assert 0 <= float(x) <= charts.WIDTH


def test_text_is_escaped():
    series = [{"period": "<script>", "value": 1.0}]
    html = str(charts.series_chart(series, [("target", "<b>", Decimal("2"))]))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_a_single_point_and_flat_values_still_draw():
    svg = str(charts.series_chart([{"period": "2026-01-01", "value": 5.0}], []))
    assert svg.count('class="chart-point"') == 1
    assert not re.search(r"\bnan\b|\binf\b", svg.lower())
    assert charts.series_chart([{"period": "2026-01-01", "value": None}], []) == ""


def test_the_chart_speaks_italian():
    from django.utils import translation

    with translation.override("it"):
        html = str(charts.series_chart(SERIES, charts.references(revision("14,5"))))
    assert "Grafico a linee di 3 periodi" in html
    assert ">Partenza 14,50</text>" in html
    assert "<td>Valore di partenza</td><td>14,50</td>" in html


def test_the_preview_draws_the_dated_target_of_the_latest_period_with_its_band_edges():
    """Issue 20: a dated target replaces the written one for the period shown last."""
    rev = SimpleNamespace(
        baseline="14",
        target="10",
        thresholds="",
        targets=[
            {
                "period_kind": "quarter",
                "period_start": "2026-04-01",
                "value": "10",
                "amber_pct": "105",
                "red_pct": "110",
            }
        ],
    )
    refs = charts.dated_references(rev, SERIES)
    assert refs == [
        ("target", "Target for Q2 2026", Decimal(10)),
        ("threshold", "Amber edge", Decimal("10.5")),
        ("threshold", "Red edge", Decimal(11)),
    ]
    html = str(charts.series_chart(SERIES, refs))
    assert "Target for Q2 2026 10" in html and "Red edge 11" in html
    # No dated target for the latest period: nothing replaces the written lines.
    assert charts.dated_references(rev, SERIES[:2]) == []
    assert charts.dated_references(revision("14", "10"), SERIES) == []
