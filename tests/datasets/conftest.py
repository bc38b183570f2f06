import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kpiworkshop.accounts.models import Role
from kpiworkshop.datasets import services, synthetic
from kpiworkshop.kpis import services as kpi_services
from tests.factories import ParticipantFactory

REPEAT_RATE = {
    "numerator": {"agg": "count", "filters": [{"column": "repeat_contact_7d", "op": "is_true"}]},
    "denominator": {"agg": "count"},
    "time_column": "started_at",
    "grain": "month",
    "filters": [{"column": "channel", "op": "in", "value": ["chat", "email", "social"]}],
    "dimensions": ["channel", "handled_by"],
    "scale": 100,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(scope="session")
def contacts_parquet(tmp_path_factory) -> Path:
    """The demo's synthetic dataset at its default size, generated once per test run."""
    return synthetic.generate(tmp_path_factory.mktemp("contacts") / "contacts.parquet")


@pytest.fixture
def steward(workshop):
    """A supervisor who is the organisation's data steward."""
    from kpiworkshop.datasets.models import DataSteward

    participant = ParticipantFactory(workshop=workshop, role=Role.SUPERVISOR, display_name="Dana")
    DataSteward.objects.create(organisation=workshop.organisation, user=participant.user)
    return participant


@pytest.fixture
def dataset(facilitator):
    return services.dataset_create(
        actor=facilitator.user,
        organisation_id=facilitator.workshop.organisation_id,
        name="contacts",
    )


def upload(actor, dataset, name: str, content: bytes, capture, descriptions: dict | None = None):
    """Upload and run the (eager) conversion queued on commit; returns the fresh version."""
    with capture(execute=True):
        version = services.dataset_version_upload(
            actor=actor,
            dataset=dataset,
            upload=SimpleUploadedFile(name, content),
            descriptions=descriptions,
        )
    version.refresh_from_db()
    dataset.refresh_from_db()
    return version


@pytest.fixture
def contacts_version(facilitator, dataset, contacts_parquet, django_capture_on_commit_callbacks):
    return upload(
        facilitator.user,
        dataset,
        "contacts.parquet",
        contacts_parquet.read_bytes(),
        django_capture_on_commit_callbacks,
        descriptions=synthetic.DESCRIPTIONS,
    )


@pytest.fixture
def proposal(workshop, agent):
    return kpi_services.proposal_create(
        actor=agent,
        workshop=workshop,
        definition={
            "name": "Repeat contact rate in digital channels",
            "measures": "Share of requests that come back within 7 days.",
            "category": "customer",
        },
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
