import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from kpiworkshop.accounts.models import Role
from kpiworkshop.catalog.permissions import Reader
from kpiworkshop.reviews import services
from kpiworkshop.reviews.charts import chart_build
from kpiworkshop.reviews.models import Measurement
from tests.catalog.review_helpers import make_release, member
from tests.factories import OrganisationFactory


@pytest.fixture
def entry(organisation):
    return make_release(organisation).entries.first()


def test_value_recorded_by_accountable_audience_and_facilitator(organisation, entry):
    leader, reader = member(organisation, Role.SUPERVISOR)  # team leaders are accountable
    services.measurement_record(
        reader=reader, user=leader, entry=entry, period="2026-02", value="72,5"
    )
    fac, fac_reader = member(organisation, Role.FACILITATOR)
    services.measurement_record(
        reader=fac_reader, user=fac, entry=entry, period="2026-03-01", value="74", breakdown="chat"
    )
    values = list(Measurement.objects.order_by("period"))
    assert [(v.period, v.value, v.breakdown) for v in values] == [
        (datetime.date(2026, 2, 1), Decimal("72.5"), ""),
        (datetime.date(2026, 3, 1), Decimal("74"), "chat"),
    ]
    assert values[0].kpi_uid == entry.kpi_uid


def test_value_refused_for_other_roles_and_other_organisation(organisation, entry):
    agent, reader = member(organisation, Role.AGENT)
    with pytest.raises(PermissionDenied):
        services.measurement_record(
            reader=reader, user=agent, entry=entry, period="2026-02", value="1"
        )
    outsider = Reader(OrganisationFactory().pk, Role.FACILITATOR)
    with pytest.raises(PermissionDenied):
        services.measurement_record(
            reader=outsider, user=None, entry=entry, period="2026-02", value="1"
        )
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    ("period", "value", "field"),
    [
        ("2026-02", "lots", "value"),
        ("2026-02", "NaN", "value"),
        ("2026-02", "1e400", "value"),
        ("next month", "5", "period"),
        ((timezone.localdate() + datetime.timedelta(days=400)).isoformat(), "5", "period"),
    ],
)
def test_bad_value_or_period_gets_a_message(organisation, entry, period, value, field):
    fac, reader = member(organisation, Role.FACILITATOR)
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            reader=reader, user=fac, entry=entry, period=period, value=value
        )
    assert field in exc.value.message_dict
    assert not Measurement.objects.exists()


def test_duplicate_period_refused(organisation, entry):
    fac, reader = member(organisation, Role.FACILITATOR)
    services.measurement_record(reader=reader, user=fac, entry=entry, period="2026-02", value="7")
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            reader=reader, user=fac, entry=entry, period="2026-02-01", value="8"
        )
    assert "already a value" in " ".join(exc.value.message_dict["period"])
    assert Measurement.objects.get().value == 7


def test_csv_import_saves_all_rows(organisation, entry):
    fac, reader = member(organisation, Role.FACILITATOR)
    data = "\ufeffperiod;value;breakdown\n2026-01;70,5;\n2026-02;71;\n2026-02;69;voice\n".encode()
    n = services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    assert n == 3
    assert Measurement.objects.count() == 3


def test_csv_import_with_a_bad_row_saves_nothing_and_names_the_lines(organisation, entry):
    fac, reader = member(organisation, Role.FACILITATOR)
    services.measurement_record(reader=reader, user=fac, entry=entry, period="2025-12", value="1")
    data = b"period,value\n2026-01,70\n2026-02,seventy\n2026-01,71\n2025-12,5\n"
    with pytest.raises(ValidationError) as exc:
        services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    text = " ".join(exc.value.messages)
    assert "Line 3" in text and "seventy" in text
    assert "Line 4" in text and "line 2" in text  # duplicate within the file
    assert "Line 5" in text  # duplicate of a saved value
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize(
    "data", [b"", b"when,amount\n2026-01,1\n", b"\xff\xfe\x00bad", b"period,value\n"]
)
def test_csv_import_rejects_unusable_files(organisation, entry, data):
    fac, reader = member(organisation, Role.FACILITATOR)
    with pytest.raises(ValidationError):
        services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    assert not Measurement.objects.exists()


def test_chart_marks_values_against_baseline_and_escapes():
    rows = [
        Measurement(period=datetime.date(2026, m, 1), value=Decimal(v))
        for m, v in ((1, 68), (2, 71), (3, 75))
    ]
    chart = chart_build(
        definition={
            "baseline": "70%",
            "target": "80%",
            "thresholds": "72 to 78",
            "direction": "higher",
        },
        measurements=rows,
    )
    assert [p.good for p in chart.points] == [False, True, True]
    assert chart.improving is True
    assert chart.bands == [Decimal(72), Decimal(78)]
    svg = str(chart.svg)
    assert svg.startswith("<svg") and svg.count("<circle") == 3
    assert 'class="chart-band"' in svg and 'class="chart-target"' in svg
    assert 'aria-hidden="true"' in svg
    lower = chart_build(definition={"baseline": "5 min", "direction": "lower"}, measurements=rows)
    assert [p.good for p in lower.points] == [False, False, False]
    empty = chart_build(definition={}, measurements=[])
    assert str(empty.svg) == "" and empty.summary


def test_value_and_import_views(client, organisation, entry):
    fac, _r = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    args = [organisation.slug, "1.0", entry.kpi_uid]
    ok = client.post(
        reverse("reviews:value", args=args),
        {"period": "2026-01-01", "value": "71"},
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 200 and "values-table" in ok.content.decode()
    bad = client.post(
        reverse("reviews:value", args=args),
        {"period": "2026-02-01", "value": "x"},
        HTTP_HX_REQUEST="true",
    )
    assert bad.status_code == 422 and "is not a number" in bad.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("v.csv", b"period,value\n2026-02,72\n2026-03,oops\n")
    bad = client.post(reverse("reviews:import", args=args), {"file": upload})
    assert bad.status_code == 302
    assert Measurement.objects.count() == 1
    page = client.get(reverse("catalog:entry", args=args))
    html = page.content.decode()
    assert "<svg" in html and "values-table" in html
    assert "Nothing was imported. Line 3" in html  # the message after the redirect
    agent, _a = member(organisation, Role.AGENT)
    client.force_login(agent)
    assert "Enter a value" not in client.get(reverse("catalog:entry", args=args)).content.decode()
    assert (
        client.post(
            reverse("reviews:value", args=args), {"period": "2026-04-01", "value": "1"}
        ).status_code
        == 404
    )


def test_values_baseline_and_summary_without_trailing_zeros_in_the_readers_locale(
    client, organisation
):
    # Issue 17 item 9: "Baseline 38.5000". No written baseline: the first value is the baseline.
    release = make_release(organisation)
    entry = release.entries.first()
    entry.definition = entry.definition | {"baseline": "", "target": "40.5%"}
    entry.save(update_fields=["definition"])
    fac, reader = member(organisation, Role.FACILITATOR)
    for period, value in (("2026-01", "38.5"), ("2026-02", "100")):
        services.measurement_record(
            reader=reader, user=fac, entry=entry, period=period, value=value
        )
    client.force_login(fac)
    url = reverse("catalog:entry", args=[organisation.slug, "1.0", entry.kpi_uid])
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert ".5000" not in english and ",5000" not in italian and "1E+2" not in english
    assert "Baseline 38.5." in english and "Target 40.5." in english
    assert "Valore di partenza 38,5." in italian and "Obiettivo 40,5." in italian
    assert "Latest value 100 (" in english
    assert ">38,5 %</td>" in italian and ">100 %</td>" in italian


def test_csv_import_refuses_unknown_columns_and_names_them(organisation, entry):
    fac, reader = member(organisation, Role.FACILITATOR)
    data = b"period,value,comment\n2026-01,70,ok\n"
    with pytest.raises(ValidationError) as exc:
        services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    text = " ".join(exc.value.messages)
    assert "comment" in text and "period, value, breakdown" in text
    from django.utils import translation

    with translation.override("it"), pytest.raises(ValidationError) as exc:
        services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    assert "colonne sconosciute" in " ".join(exc.value.messages)
    assert not Measurement.objects.exists()


def test_csv_import_refuses_a_file_of_100001_columns(organisation, entry):
    fac, reader = member(organisation, Role.FACILITATOR)
    extra = ",".join(f"c{i}" for i in range(99_999))
    data = f"period,value,{extra}\n2026-01,70\n".encode()
    with pytest.raises(ValidationError) as exc:
        services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    text = " ".join(exc.value.messages)
    assert "100001 columns" in text
    assert len(text) < 500  # a message, not the header echoed back
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    "data",
    [b"period,value,value\n2026-01,70,71\n", b"period,value\n2026-01,70,extra\n"],
    ids=["column twice", "row longer than the header"],
)
def test_csv_import_refuses_ambiguous_columns(organisation, entry, data):
    fac, reader = member(organisation, Role.FACILITATOR)
    with pytest.raises(ValidationError):
        services.measurements_import_csv(reader=reader, user=fac, entry=entry, data=data)
    assert not Measurement.objects.exists()


def test_csv_upload_with_unknown_columns_answers_422_with_the_message(client, organisation, entry):
    fac, _reader = member(organisation, Role.FACILITATOR)
    client.force_login(fac)
    url = reverse("reviews:import", args=[organisation.slug, "1.0", entry.kpi_uid])
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("v.csv", b"period,value,note\n2026-01,70,x\n", "text/csv")
    response = client.post(url, {"file": upload}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "note" in response.content.decode()
    assert not Measurement.objects.exists()
