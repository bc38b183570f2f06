"""Writes for datasets and computable definitions (CONVENTIONS.md: keyword-only, checked,
transactional, audited; tasks enqueued after commit)."""

import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from kpiworkshop.core.audit import audit_record
from kpiworkshop.core.outbox import outbox_add
from kpiworkshop.kpis.models import Proposal, Revision

from . import ingest
from .definition import Definition
from .models import (
    Dataset,
    DatasetVersion,
    DataSteward,
    FeasibilityReview,
    KpiDefinition,
    SourceFormat,
    VersionStatus,
)
from .permissions import can_manage_datasets, can_name_stewards, can_review_feasibility
from .selectors import data_role

#: The reviews' task that computes measured values from a new dataset version (by name:
#: reviews is above datasets, so this app never imports it).
MEASUREMENTS_TASK = "kpiworkshop.reviews.tasks.measurements_compute"


def _check_manager(actor: Any, organisation_id: int) -> None:
    if not can_manage_datasets(
        data_role(user=actor, organisation_id=organisation_id), organisation_id
    ):
        raise PermissionDenied(_("Only the facilitator or a data steward may manage datasets."))


def dataset_create(
    *, actor: Any, organisation_id: int, name: str, description: str = ""
) -> Dataset:
    _check_manager(actor, organisation_id)
    dataset = Dataset(organisation_id=organisation_id, name=name.strip(), description=description)
    dataset.full_clean()
    with transaction.atomic():
        dataset.save()
        audit_record(
            actor=actor, action="dataset.create", organisation_id=organisation_id, target=dataset
        )
    return dataset


def steward_set(*, actor: Any, organisation_id: int, user: Any, steward: bool) -> None:
    """Only the facilitator names data stewards (a steward cannot name another)."""
    who = data_role(user=actor, organisation_id=organisation_id)
    if not can_name_stewards(who, organisation_id):
        raise PermissionDenied(_("Only the facilitator may name data stewards."))
    if data_role(user=user, organisation_id=organisation_id) is None:
        raise ValidationError(_("A data steward must be a member of the organisation."))
    with transaction.atomic():
        if steward:
            DataSteward.objects.get_or_create(organisation_id=organisation_id, user=user)
        else:
            DataSteward.objects.filter(organisation_id=organisation_id, user=user).delete()
        audit_record(
            actor=actor,
            action="dataset.steward_set" if steward else "dataset.steward_unset",
            organisation_id=organisation_id,
            details={"user_id": user.pk},
        )


def _format_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in {".csv", ".txt"}:
        return SourceFormat.CSV
    if suffix in {".parquet", ".pq"}:
        return SourceFormat.PARQUET
    raise ValidationError(ingest.rejection_message("format", {}), code="format")


def dataset_version_upload(
    *,
    actor: Any,
    dataset: Dataset,
    upload: Any,
    descriptions: dict[str, str] | None = None,
) -> DatasetVersion:
    """Store the raw upload privately and queue its conversion. The new version becomes the
    dataset's current one only when it converted whole (``dataset_version_convert``). Takes a
    row lock on the dataset to number the version."""
    _check_manager(actor, dataset.organisation_id)
    source_format = _format_of(upload.name or "")
    max_bytes = ingest.limit("KPIW_DATASET_MAX_BYTES")
    if upload.size > max_bytes:
        raise ValidationError(
            ingest.rejection_message("too_large", {"limit": max_bytes // (1024 * 1024)}),
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(ingest.rejection_message("empty", {}), code="empty")
    clean_descriptions = {
        str(k)[:63]: str(v)[:300] for k, v in (descriptions or {}).items() if str(v).strip()
    }
    incoming = default_storage.save(f"datasets/incoming/{uuid.uuid4().hex}.{source_format}", upload)
    try:
        with transaction.atomic():
            Dataset.objects.select_for_update().filter(pk=dataset.pk).first()
            number = (dataset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = DatasetVersion.objects.create(
                dataset=dataset,
                number=number,
                source_name=Path(upload.name).name[:200],
                source_format=source_format,
                incoming=incoming,
                descriptions=clean_descriptions,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action="dataset.version_upload",
                organisation_id=dataset.organisation_id,
                target=version,
                details={"dataset_id": dataset.pk, "number": number},
            )
            transaction.on_commit(lambda: _enqueue(version.pk))
    except BaseException:
        default_storage.delete(incoming)
        raise
    return version


def _enqueue(version_id: int) -> None:
    from .tasks import convert_dataset_version

    convert_dataset_version.delay(version_id)


def _progress(version_id: int, value: int, status: str = VersionStatus.CONVERTING) -> None:
    DatasetVersion.objects.filter(pk=version_id).update(progress=value, status=status)


def dataset_version_convert(*, version_id: int) -> DatasetVersion:
    """Check and convert one uploaded version to Parquet under media (the worker's half of an
    upload). Idempotent: a version already ready, failed or being converted by another run is
    returned as it is (a worker killed mid-conversion leaves it "converting": upload again). On any
    rejection the version is marked failed with the reason, no Parquet is kept, and the
    dataset's current version does not move."""
    version = DatasetVersion.objects.select_related("dataset").get(pk=version_id)
    # Claim it: only the run that moves it out of "pending" converts (a redelivered message
    # or a second worker finds it taken and leaves it).
    claimed = DatasetVersion.objects.filter(pk=version.pk, status=VersionStatus.PENDING).update(
        status=VersionStatus.CONVERTING, progress=5
    )
    if not claimed:
        return version
    dataset = version.dataset
    previous = dataset.current_version.columns if dataset.current_version_id else None
    stored = ""
    with tempfile.TemporaryDirectory(prefix="kpiw-dataset-") as tmp:
        work = Path(tmp)
        source = work / f"source.{version.source_format}"
        out = work / "data.parquet"
        try:
            with default_storage.open(version.incoming, "rb") as src, source.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            result = ingest.convert(
                source=source,
                source_format=version.source_format,
                out=out,
                previous_columns=previous,
                progress=lambda p: _progress(version.pk, p),
            )
            for col in result.columns:
                col["description"] = version.descriptions.get(col["name"], "")
            with out.open("rb") as f:
                stored = default_storage.save(
                    f"datasets/{dataset.organisation_id}/{dataset.pk}/"
                    f"v{version.number}-{uuid.uuid4().hex}.parquet",
                    File(f),
                )
            with transaction.atomic():
                locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
                version.file.name = stored
                version.row_count = result.row_count
                version.columns = result.columns
                version.status = VersionStatus.READY
                version.progress = 100
                version.save()
                current = locked.current_version
                if current is None or current.number < version.number:
                    locked.current_version = version
                    locked.save(update_fields=["current_version", "updated_at"])
                    # The published catalogue's measured values follow the new version. The
                    # reviews app sits above this one: its task is known here by name only.
                    outbox_add(
                        task=MEASUREMENTS_TASK,
                        key=f"dataset-values:{version.pk}",
                        payload={"version_id": version.pk},
                    )
                audit_record(
                    actor=None,
                    action="dataset.version_ready",
                    organisation_id=dataset.organisation_id,
                    target=version,
                    details={"rows": result.row_count},
                )
        except ingest.UploadRejected as exc:
            if stored:
                default_storage.delete(stored)
            _fail(version, exc.code, exc.params)
        except BaseException:
            if stored:
                default_storage.delete(stored)
            _fail(version, "interrupted", {})
            raise
    default_storage.delete(version.incoming)
    DatasetVersion.objects.filter(pk=version.pk).update(incoming="")
    version.refresh_from_db()
    return version


def _fail(version: DatasetVersion, code: str, params: dict[str, Any]) -> None:
    with transaction.atomic():
        DatasetVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.FAILED, error_code=code, error_params=params, file=""
        )
        audit_record(
            actor=None,
            action="dataset.version_failed",
            organisation_id=version.dataset.organisation_id,
            target=version,
            details={"code": code},
        )


def definition_set(
    *, actor: Any, revision: Revision, dataset: Dataset, spec: dict[str, Any]
) -> KpiDefinition:
    """Give a revision its computable definition. Written once: a revision is immutable, so a
    different definition belongs to a new revision (an identical one is accepted again)."""
    organisation_id = revision.proposal.workshop.organisation_id
    _check_manager(actor, organisation_id)
    if dataset.organisation_id != organisation_id:
        raise PermissionDenied(_("The dataset belongs to another organisation."))
    definition = Definition.from_dict(spec)
    data = definition.to_dict()
    with transaction.atomic():
        existing = KpiDefinition.objects.select_for_update().filter(revision=revision).first()
        if existing is not None:
            if existing.dataset_id == dataset.pk and existing.spec == _json(data):
                return existing
            raise ValidationError(
                _("This revision already has a definition; save a new revision to change it."),
                code="immutable",
            )
        obj = KpiDefinition.objects.create(
            revision=revision, organisation_id=organisation_id, dataset=dataset, spec=_json(data)
        )
        audit_record(
            actor=actor,
            action="dataset.definition_set",
            organisation_id=organisation_id,
            workshop_id=revision.proposal.workshop_id,
            target=revision.proposal,
            details={"revision": revision.number, "dataset_id": dataset.pk},
        )
    return obj


def _json(data: Any) -> Any:
    """Tuples as lists: what the JSON column gives back, so a comparison is fair."""
    if isinstance(data, dict):
        return {k: _json(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_json(v) for v in data]
    return data


def feasibility_record(
    *, actor: Any, proposal: Proposal, verdict: str, note: str = ""
) -> FeasibilityReview:
    """A data steward's verdict on the proposal's current revision (kept as history)."""
    workshop = proposal.workshop
    role = data_role(user=actor, organisation_id=workshop.organisation_id)
    if not can_review_feasibility(role, workshop.organisation_id):
        raise PermissionDenied(_("Only a data steward or the facilitator may review feasibility."))
    review = FeasibilityReview(
        proposal=proposal,
        revision_id=proposal.current_revision_id,
        verdict=verdict,
        note=note.strip(),
        reviewer=actor,
    )
    review.full_clean()
    with transaction.atomic():
        review.save()
        audit_record(
            actor=actor,
            action="dataset.feasibility",
            organisation_id=workshop.organisation_id,
            workshop_id=workshop.pk,
            target=proposal,
            details={"verdict": verdict, "revision_id": proposal.current_revision_id},
        )
    return review
