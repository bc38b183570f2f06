"""Demo data: the synthetic "contacts" dataset and computable definitions for the demo KPIs.

Idempotent: the dataset is generated once (its current version is kept), and a revision that
already has a definition keeps it. One definition reads a column the dataset does not have, so
the demo shows a KPI flagged "not computable with today's data".
"""

import tempfile
from pathlib import Path

from django.core.files import File

from kpiworkshop.accounts.models import Membership, Organisation, Role
from kpiworkshop.kpis.models import Proposal

from . import library, services, synthetic
from .models import Dataset, DataSteward, FeasibilityReview, KpiDefinition

DIMENSIONS = ["channel", "handled_by", "customer_segment", "request_type"]

#: Definitions of the demo's own proposals, by name. A proposal from the library gets the
#: library's definition (``library.py``), which says what its words say.
DEFINITIONS = {
    "Repeat contacts in digital channels": {
        "numerator": {
            "agg": "count",
            "filters": [{"column": "repeat_contact_7d", "op": "is_true"}],
        },
        "denominator": {"agg": "count"},
        "filters": [{"column": "channel", "op": "in", "value": ["chat", "email", "social"]}],
        "scale": 100,
    },
    "Time to reach a human": {
        "numerator": {"agg": "median", "expr": "wait_time_s / 60.0"},
        "filters": [
            {"column": "handled_by", "op": "in", "value": ["chatbot_agent", "in_house_agent"]}
        ],
    },
    # The demo's "not computable": nobody collects the pulse yet.
    "Fatigue pulse after multichannel shifts": {
        "numerator": {"agg": "avg", "column": "fatigue_pulse_score"},
        "grain": "week",
    },
}


def _contacts(organisation: Organisation, user) -> Dataset:
    dataset = Dataset.objects.filter(organisation=organisation, name="contacts").first()
    if dataset is None:
        dataset = services.dataset_create(
            actor=user,
            organisation_id=organisation.pk,
            name="contacts",
            description="Synthetic contacts, one row per contact, twelve months (demo data).",
        )
    if dataset.current_version_id:
        return dataset
    with tempfile.TemporaryDirectory(prefix="kpiw-demo-") as tmp:
        path = synthetic.generate(Path(tmp) / "contacts.parquet")
        with path.open("rb") as f:
            upload = File(f, name="contacts.parquet")
            upload.size = path.stat().st_size
            version = services.dataset_version_upload(
                actor=user, dataset=dataset, upload=upload, descriptions=synthetic.DESCRIPTIONS
            )
    # Converted now rather than after the seed's commit, so the demo is whole when it returns
    # (the queued task then finds the version done: conversion is idempotent).
    services.dataset_version_convert(version_id=version.pk)
    dataset.refresh_from_db()
    return dataset


#: The demo's feasibility verdicts, by proposal name: (verdict, note).
VERDICTS = {
    "Fatigue pulse after multichannel shifts": (
        "missing",
        "Nobody collects the pulse yet: the survey tool would need a two-question form.",
    ),
    "Repeat contacts in digital channels": ("available", ""),
}


def _steward(organisation: Organisation):
    """The demo's supervisor looks after the data (a data steward)."""
    membership = (
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.SUPERVISOR)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    DataSteward.objects.get_or_create(organisation=organisation, user=membership.user)
    return membership.user


def demo_seed(*, organisation: Organisation) -> int:
    """Returns how many definitions were written."""
    membership = (
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.FACILITATOR)
        .select_related("user")
        .first()
    )
    if membership is None:
        return 0
    user = membership.user
    dataset = _contacts(organisation, user)
    written = 0
    proposals = (
        Proposal.objects.filter(workshop__organisation=organisation, current_revision__isnull=False)
        .select_related("library_kpi", "current_revision", "workshop")
        .order_by("pk")
    )
    done = set(
        KpiDefinition.objects.filter(organisation=organisation).values_list(
            "revision_id", flat=True
        )
    )
    for proposal in proposals:
        revision = proposal.current_revision
        if revision.pk in done:
            continue
        full = None
        if proposal.library_kpi_id:
            lib = proposal.library_kpi
            full = library.library_spec(lib.slug, breakdowns=lib.breakdowns)
        if full is None and revision.name in DEFINITIONS:
            spec = DEFINITIONS[revision.name]
            full = {"time_column": "started_at", "grain": "month", "dimensions": DIMENSIONS, **spec}
        if full is None:
            continue
        services.definition_set(actor=user, revision=revision, dataset=dataset, spec=full)
        written += 1
    steward = _steward(organisation)
    reviewed = set(
        FeasibilityReview.objects.filter(proposal__workshop__organisation=organisation).values_list(
            "proposal_id", flat=True
        )
    )
    for proposal in proposals:
        verdict = VERDICTS.get(proposal.current_revision.name)
        if steward is None or verdict is None or proposal.pk in reviewed:
            continue
        services.feasibility_record(
            actor=steward, proposal=proposal, verdict=verdict[0], note=verdict[1]
        )
    return written
