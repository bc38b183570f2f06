"""Issue 19: after publishing, each new dataset version computes the catalogue's measured
values per period and per breakdown; hand-entered values are never overwritten."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease
from kpiworkshop.core.models import OutboxItem
from kpiworkshop.datasets import services as dataset_services
from kpiworkshop.datasets import synthetic
from kpiworkshop.datasets.models import DatasetVersion
from kpiworkshop.kpis import services as kpi_services
from kpiworkshop.reviews import services
from kpiworkshop.reviews.models import Measurement

REPEAT_RATE = {
    "numerator": {"agg": "count", "filters": [{"column": "repeat_contact_7d", "op": "is_true"}]},
    "denominator": {"agg": "count"},
    "time_column": "started_at",
    "grain": "month",
    "filters": [{"column": "channel", "op": "in", "value": ["chat", "email", "social"]}],
    "dimensions": ["channel", "handled_by"],
    "scale": 100,
}


@pytest.fixture(scope="module")
def contacts_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("contacts") / "contacts.parquet"
    return synthetic.generate(path, rows=6000).read_bytes()


@pytest.fixture
def dataset(facilitator):
    return dataset_services.dataset_create(
        actor=facilitator.user,
        organisation_id=facilitator.workshop.organisation_id,
        name="contacts",
    )


def _upload(facilitator, dataset, data, capture) -> DatasetVersion:
    with capture(execute=True):
        version = dataset_services.dataset_version_upload(
            actor=facilitator.user,
            dataset=dataset,
            upload=SimpleUploadedFile("contacts.parquet", data),
        )
    version.refresh_from_db()
    return version


@pytest.fixture
def entry(
    workshop, agent, facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks
):
    """A published entry whose KPI has a computable definition over "contacts" (given while
    the dataset had a first version, before publishing)."""
    first = _upload(facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks)
    assert first.status == "ready"
    proposal = kpi_services.proposal_create(
        actor=agent,
        workshop=workshop,
        definition={"name": "Repeat contact rate", "measures": "m", "category": "customer"},
    )
    dataset_services.definition_set(
        actor=facilitator.user,
        revision=proposal.current_revision,
        dataset=dataset,
        spec=REPEAT_RATE,
    )
    release = CatalogRelease.objects.create(
        organisation=workshop.organisation, major=1, minor=0, language="en",
        effective_date=datetime.date(2026, 1, 1), published_by_name="Fran", workshop=workshop,
    )  # fmt: skip
    return CatalogEntry.objects.create(
        release=release, proposal=proposal, name="Repeat contact rate", category="customer",
        definition={"measures": "m", "frequency": "monthly"}, training_notes={},
    )  # fmt: skip


def _rows():
    return sorted(
        Measurement.objects.values_list("kpi_uid", "period", "breakdown", "value", "computed")
    )


def test_a_new_dataset_version_computes_the_values_per_period_and_breakdown(
    entry, facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks
):
    assert not Measurement.objects.exists()  # the first version came before publishing
    version = _upload(facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks)
    assert OutboxItem.objects.filter(key=f"dataset-values:{version.pk}").exists()
    values = list(Measurement.objects.filter(kpi_uid=entry.kpi_uid))
    totals = [m for m in values if m.breakdown == ""]
    assert len(totals) >= 12
    assert all(m.computed and m.source_version_id == version.pk for m in values)
    assert {m.breakdown.split(":")[0] for m in values} == {"", "channel", "handled_by"}
    assert any(m.breakdown == "channel: chat" for m in values)
    assert all(Decimal(0) <= m.value <= Decimal(100) for m in totals)


def test_computing_twice_gives_the_same_rows(
    entry, facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks
):
    version = _upload(facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks)
    before = _rows()
    assert before
    assert services.measurements_compute(version_id=version.pk) == 0
    assert _rows() == before


def test_hand_entered_values_are_not_overwritten(
    entry, facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks
):
    version = dataset.versions.get(number=1)
    services.measurements_compute(version_id=version.pk)
    total = Measurement.objects.filter(kpi_uid=entry.kpi_uid, breakdown="").first()
    period = total.period
    total.delete()
    Measurement.objects.create(
        organisation_id=entry.release.organisation_id, kpi_uid=entry.kpi_uid, entry=entry,
        period=period, breakdown="", value=Decimal("42"), entered_by_name="Fran",
    )  # fmt: skip
    _upload(facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks)
    kept = Measurement.objects.get(kpi_uid=entry.kpi_uid, period=period, breakdown="")
    assert kept.value == Decimal("42") and not kept.computed


def test_an_older_version_run_late_changes_nothing(
    entry, facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks
):
    old = dataset.versions.get(number=1)
    _upload(facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks)
    before = _rows()
    assert services.measurements_compute(version_id=old.pk) == 0
    assert _rows() == before


def test_without_a_published_catalogue_nothing_is_computed(
    facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks
):
    version = _upload(facilitator, dataset, contacts_bytes, django_capture_on_commit_callbacks)
    assert services.measurements_compute(version_id=version.pk) == 0
    assert not Measurement.objects.exists()
