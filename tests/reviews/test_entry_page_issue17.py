"""Issue 17 on the catalogue's KPI page: the period input fits the KPI's frequency (item 3),
the catalogue links to the reviews page (8), tables scroll in their own region and dates read
as the reader says them (23), the chart draws what its legend names (24), the counter-metric
once and proper touch targets (25)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.models import CatalogEntry
from kpiworkshop.reviews import periods, services
from kpiworkshop.reviews.charts import chart_build
from kpiworkshop.reviews.forms import ValueForm
from kpiworkshop.reviews.models import Feedback, Measurement
from tests.catalog.review_helpers import make_release, member


def _entry(organisation, **definition):
    release = make_release(organisation, names=("FCR",))
    entry = release.entries.get()
    entry.definition = entry.definition | definition
    entry.save(update_fields=["definition"])
    return entry


@pytest.mark.parametrize(
    ("frequency", "input_type"),
    [("monthly", "month"), ("weekly", "week"), ("daily", "date"), ("", "date")],
)
def test_period_input_fits_the_frequency(frequency, input_type):
    form = ValueForm(kind=periods.period_kind(frequency))
    assert f'type="{input_type}"' in str(form["period"])
    assert "A date, or a month as year-month" not in str(form["period"].help_text)


def test_quarterly_kpi_offers_a_list_of_quarters():
    html = str(ValueForm(kind=periods.QUARTER)["period"])
    assert html.startswith("<select") and re.search(r'value="\d{4}-Q[1-4]"', html)


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        (periods.MONTH, "2026-11", datetime.date(2026, 11, 1)),
        (periods.MONTH, "2026-11-30", datetime.date(2026, 11, 1)),
        (periods.MONTH, "11/2026", datetime.date(2026, 11, 1)),
        (periods.WEEK, "2026-W48", datetime.date(2026, 11, 23)),
        (periods.QUARTER, "2026-Q4", datetime.date(2026, 10, 1)),
        (periods.DAY, "2026-11-30", datetime.date(2026, 11, 30)),
        (periods.DAY, "2026-11", datetime.date(2026, 11, 1)),
    ],
)
def test_period_form_reads_what_the_input_sends(kind, raw, expected):
    form = ValueForm({"period": raw, "value": "5"}, kind=kind)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["period"] == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [(periods.WEEK, "2026-11"), (periods.MONTH, "2026-Q4"), (periods.DAY, "2026-W48")],
)
def test_period_longer_than_the_kpis_is_refused(kind, raw):
    form = ValueForm({"period": raw, "value": "5"}, kind=kind)
    assert not form.is_valid() and raw in form.errors["period"][0]


def test_period_in_the_readers_format_and_a_clear_message_otherwise():
    with translation.override("it"):
        form = ValueForm({"period": "30/11/2026", "value": "5"}, kind=periods.DAY)
        assert form.is_valid() and form.cleaned_data["period"] == datetime.date(2026, 11, 30)
    with translation.override("en"):
        bad = ValueForm({"period": "next month", "value": "5"}, kind=periods.MONTH)
        assert not bad.is_valid()
        assert "is not a month" in bad.errors["period"][0]
        assert "2026-11" in bad.errors["period"][0]


def test_monthly_kpi_value_saved_for_its_month_and_duplicate_named(organisation):
    entry = _entry(organisation, frequency="monthly")
    fac, reader = member(organisation, Role.FACILITATOR)
    services.measurement_record(reader=reader, user=fac, entry=entry, period="2026-11", value="7")
    assert Measurement.objects.get().period == datetime.date(2026, 11, 1)
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            reader=reader, user=fac, entry=entry, period="2026-11-15", value="8"
        )
    assert "November 2026" in " ".join(exc.value.message_dict["period"])


def test_value_view_accepts_a_month_and_shows_it_in_words(client, organisation):
    entry = _entry(organisation, frequency="monthly")
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    args = [organisation.slug, "1.0", entry.kpi_uid]
    ok = client.post(
        reverse("reviews:value", args=args), {"period": "2026-11", "value": "71"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    html = ok.content.decode()
    assert ok.status_code == 200 and "November 2026" in html and "11/01/2026" not in html
    bad = client.post(
        reverse("reviews:value", args=args), {"period": "nov", "value": "71"},
        HTTP_HX_REQUEST="true",
    )  # fmt: skip
    assert bad.status_code == 422 and "is not a month" in bad.content.decode()


def test_values_table_scrolls_in_a_labelled_region_and_dates_are_the_readers(client, organisation):
    entry = _entry(organisation, frequency="daily")
    Measurement.objects.create(
        organisation=organisation, kpi_uid=entry.kpi_uid, entry=entry,
        period=datetime.date(2026, 6, 1), value=71,
    )  # fmt: skip
    Feedback.objects.create(entry=entry, person="u:1", role="agent", answer="helps")
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en-gb").content.decode()
    for testid in ("values-table-region", "feedback-table-region"):
        region = re.search(rf'<div [^>]*data-testid="{testid}"[^>]*>', html)[0]
        assert 'tabindex="0"' in region and 'role="region"' in region
        assert "aria-labelledby=" in region and "table-responsive" in region
    assert "06/01/2026" not in html and "1 Jun 2026" in html
    html_it = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "1 Giugno 2026" in html_it or "1 giugno 2026" in html_it


def _rows(values):
    return [
        Measurement(period=datetime.date(2026, m, 1), value=Decimal(v))
        for m, v in enumerate(values, start=6)
    ]


def test_chart_draws_the_dashed_baseline_and_band_its_legend_names():
    chart = chart_build(
        definition={"baseline": "70%", "target": "80%", "thresholds": "72 to 78",
                    "direction": "higher", "frequency": "monthly"},
        measurements=_rows([68, 70, 75]),
    )  # fmt: skip
    svg = str(chart.svg)
    assert re.search(r'<line [^>]*class="chart-baseline"[^>]*stroke-dasharray="4 3"', svg)
    assert re.search(r'<rect [^>]*class="chart-band"[^>]*fill="#fff3cd"', svg)
    keys = [k for k, _s, _t in chart.legend]
    assert keys[:4] == ["line", "baseline", "target", "band"]
    # Equal to the baseline is neither better nor worse.
    assert [p.good for p in chart.points] == [False, None, True]
    assert svg.count('class="chart-dot"') == 1 and svg.count('class="chart-good"') == 1
    assert {"chart-good", "chart-bad", "chart-dot"} <= set(keys)


def test_chart_legend_names_only_what_is_drawn():
    chart = chart_build(
        definition={"direction": "higher", "frequency": "monthly"},
        measurements=_rows([68, 70, 75]),
    )
    keys = [k for k, _s, _t in chart.legend]
    assert "band" not in keys and "target" not in keys
    assert 'class="chart-band"' not in str(chart.svg)
    # Without a written baseline the first value is the baseline, and it is drawn.
    assert "chart-baseline" in str(chart.svg) and "baseline" in keys
    assert chart.points[0].good is None


def test_chart_axis_labels_stay_inside_the_drawing():
    chart = chart_build(
        definition={"direction": "higher", "frequency": "monthly"},
        measurements=_rows([68, 70, 75, 76, 77, 79]),
    )
    labels = re.findall(
        r'<text x="([\d.]+)" y="154" class="chart-axis" text-anchor="(\w+)">', str(chart.svg)
    )
    assert labels == [("40.0", "start"), ("312.0", "end")]
    assert "November 2026" in str(chart.svg) and "11/2" not in str(chart.svg)


def test_counter_metric_shown_once_and_labels_capitalised(client, organisation):
    entry = _entry(organisation, counter_metric_text="Average handling time")
    CatalogEntry.objects.filter(pk=entry.pk).update(counter_metric="Average handling time")
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    html = client.get(url).content.decode()
    assert html.count("Average handling time") == 1
    labels = re.findall(r'<dt class="col-sm-3">([^<]+)</dt>', html)
    assert labels and all(label[0].isupper() for label in labels), labels
    assert "Counter-metric" in labels and "What it measures" in labels


def test_counter_metric_hidden_with_its_field(client, organisation):
    entry = _entry(organisation, counter_metric_text="Secret twin")
    CatalogEntry.objects.filter(pk=entry.pk).update(
        counter_metric="Secret twin", internal_fields=["counter_metric_text"]
    )
    customer, _r = member(organisation, Role.CUSTOMER)
    client.force_login(customer)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    assert "Secret twin" not in client.get(url).content.decode()


def test_feedback_answers_are_bootstrap_choices(client, organisation):
    entry = _entry(organisation)
    agent, _r = member(organisation, Role.AGENT)
    client.force_login(agent)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    html = client.get(url).content.decode()
    assert 'data-testid="feedback-choices"' in html
    assert html.count('class="form-check-input"') == 3
    assert html.count('<div class="form-check choice">') == 3


def test_catalogue_links_to_the_reviews_page_for_facilitators(client, organisation):
    make_release(organisation)
    reviews = reverse("reviews:reviews", args=[organisation.slug])
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    page = client.get(reverse("catalog:current", args=[organisation.slug])).content.decode()
    assert f'href="{reviews}"' in page
    agent, _a = member(organisation, Role.AGENT)
    client.force_login(agent)
    page = client.get(reverse("catalog:current", args=[organisation.slug])).content.decode()
    assert f'href="{reviews}"' not in page
