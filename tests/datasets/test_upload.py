from pathlib import Path

import duckdb
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from kpiworkshop.core.models import AuditEvent
from kpiworkshop.datasets import services
from kpiworkshop.datasets.ingest import rejection_message
from kpiworkshop.datasets.models import DatasetVersion, VersionStatus

from .conftest import upload

GOOD = b"contact_id,started_at,channel,handle_time_s,resolved\n" + b"".join(
    f"{i},2025-0{1 + i % 3}-1{i % 9} 10:00:00,{['chat', 'voice'][i % 2]},".encode()
    + f"{-5 + i},{i % 3 == 0}\n".encode()
    for i in range(30)
)


def stored_files() -> list[str]:
    root = Path(default_storage.location)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_upload_csv_converts_to_parquet_and_becomes_current(
    facilitator, dataset, django_capture_on_commit_callbacks
):
    version = upload(
        facilitator.user,
        dataset,
        "contacts.csv",
        GOOD,
        django_capture_on_commit_callbacks,
        descriptions={"channel": "Where the contact came in"},
    )
    assert version.status == VersionStatus.READY
    assert version.progress == 100
    assert version.row_count == 30
    assert dataset.current_version == version
    columns = version.column_map()
    assert list(columns) == ["contact_id", "started_at", "channel", "handle_time_s", "resolved"]
    assert columns["started_at"]["family"] == "time"
    assert columns["handle_time_s"]["family"] == "number"  # negative numbers are not formulas
    assert columns["resolved"]["family"] == "boolean"
    assert columns["channel"]["description"] == "Where the contact came in"
    assert stored_files() == [version.file.name]  # the raw upload is gone
    path = default_storage.path(version.file.name)
    assert duckdb.connect().execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone() == (
        30,
    )
    assert AuditEvent.objects.filter(action="dataset.version_ready").count() == 1


def test_upload_semicolon_csv_with_bom(facilitator, dataset, django_capture_on_commit_callbacks):
    content = "\ufeffcanale;durata\nchat;12\nvoce;30\n".encode()
    version = upload(
        facilitator.user, dataset, "a.csv", content, django_capture_on_commit_callbacks
    )
    assert version.status == VersionStatus.READY
    assert [c["name"] for c in version.columns] == ["canale", "durata"]


BAD = [
    ("encoding", "a.csv", "canale,città\nchat,Bologna\nvoce,Forlì\n".encode("latin-1")),
    ("header_duplicate", "a.csv", b"channel,Channel\nchat,voice\n"),
    ("header_missing", "a.csv", b"channel,,wait\nchat,1,2\n"),
    ("header_numeric", "a.csv", b"chat,12\nvoice,30\n"),
    ("header_invalid", "a.csv", b'channel,"a""b"\nchat,1\n'),
    ("formula", "a.csv", b'channel,note\nchat,=HYPERLINK("http://x")\nvoice,ok\n'),
    ("formula", "a.csv", b"channel,note\nchat,@SUM(A1)\nvoice,ok\n"),
    ("formula", "a.csv", b"channel,note\nchat,+cmd|' /C calc'!A0\nvoice,ok\n"),
    ("no_rows", "a.csv", b"channel,wait\n"),
    ("empty", "a.csv", b"\n\n"),
    ("ragged", "a.csv", b"channel,wait\nchat,1\nvoice,2,3,4\n"),
    ("unreadable", "a.parquet", b"PAR1" + b"\x00garbage" * 20 + b"PAR1"),
    ("format", "a.parquet", b"channel,wait\nchat,1\n"),
]


@pytest.mark.parametrize(("code", "name", "content"), BAD, ids=[b[0] for b in BAD])
def test_bad_upload_fails_whole_with_a_clear_message(
    code, name, content, facilitator, dataset, django_capture_on_commit_callbacks
):
    good = upload(facilitator.user, dataset, "good.csv", GOOD, django_capture_on_commit_callbacks)
    before = stored_files()
    version = upload(facilitator.user, dataset, name, content, django_capture_on_commit_callbacks)
    assert version.status == VersionStatus.FAILED
    assert version.error_code == code
    assert not version.file
    assert dataset.current_version == good  # the old version stays until a new one is whole
    assert stored_files() == before  # nothing half-stored, the raw upload removed
    message = rejection_message(version.error_code, version.error_params)
    assert message and "%(" not in message


def test_formula_message_names_the_column(facilitator, dataset, django_capture_on_commit_callbacks):
    content = b"channel,note\nchat,=1+1\n"
    version = upload(
        facilitator.user, dataset, "a.csv", content, django_capture_on_commit_callbacks
    )
    assert "“note”" in rejection_message(version.error_code, version.error_params)


def test_encoding_message_names_the_line(facilitator, dataset, django_capture_on_commit_callbacks):
    content = "a,b\n1,2\n3,4\nè,5\n".encode("latin-1")
    version = upload(
        facilitator.user, dataset, "a.csv", content, django_capture_on_commit_callbacks
    )
    assert version.error_params == {"line": 4}
    assert "line 4" in rejection_message(version.error_code, version.error_params)


def test_a_column_that_changes_type_is_refused(
    facilitator, dataset, django_capture_on_commit_callbacks
):
    upload(facilitator.user, dataset, "a.csv", GOOD, django_capture_on_commit_callbacks)
    changed = GOOD.replace(b",20,", b",n/a,")
    version = upload(
        facilitator.user, dataset, "b.csv", changed, django_capture_on_commit_callbacks
    )
    assert version.error_code == "type_changed"
    assert version.error_params["name"] == "handle_time_s"
    assert "numbers" in rejection_message(version.error_code, version.error_params)


@pytest.mark.parametrize(
    ("setting", "value", "code"),
    [
        ("KPIW_DATASET_MAX_ROWS", 10, "too_many_rows"),
        ("KPIW_DATASET_MAX_COLUMNS", 3, "too_many_columns"),
    ],
)
def test_row_and_column_limits(
    setting, value, code, settings, facilitator, dataset, django_capture_on_commit_callbacks
):
    setattr(settings, setting, value)
    version = upload(facilitator.user, dataset, "a.csv", GOOD, django_capture_on_commit_callbacks)
    assert version.error_code == code
    assert dataset.current_version is None


def test_size_limit_refuses_before_storing(settings, facilitator, dataset):
    settings.KPIW_DATASET_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        services.dataset_version_upload(
            actor=facilitator.user, dataset=dataset, upload=SimpleUploadedFile("a.csv", GOOD)
        )
    assert not DatasetVersion.objects.exists()
    assert stored_files() == []


def test_unknown_file_type_is_refused(facilitator, dataset):
    with pytest.raises(ValidationError, match="CSV file or a Parquet"):
        services.dataset_version_upload(
            actor=facilitator.user, dataset=dataset, upload=SimpleUploadedFile("a.xlsx", GOOD)
        )


def test_nested_parquet_types_are_refused(
    tmp_path, facilitator, dataset, django_capture_on_commit_callbacks
):
    path = tmp_path / "nested.parquet"
    duckdb.connect().execute(
        f"COPY (SELECT 1 AS id, [1, 2] AS things) TO '{path}' (FORMAT parquet)"
    )
    version = upload(
        facilitator.user,
        dataset,
        "n.parquet",
        path.read_bytes(),
        django_capture_on_commit_callbacks,
    )
    assert version.error_code == "unsupported_type"
    assert version.error_params["name"] == "things"


def test_parquet_upload(contacts_version):
    assert contacts_version.status == VersionStatus.READY
    assert contacts_version.row_count == 40000
    assert contacts_version.column_map()["csat_score"]["non_null"] < 40000


def test_conversion_twice_is_conversion_once(contacts_version):
    again = services.dataset_version_convert(version_id=contacts_version.pk)
    assert again.file.name == contacts_version.file.name
    assert DatasetVersion.objects.get().status == VersionStatus.READY


def test_an_older_version_finishing_late_does_not_replace_a_newer_one(
    facilitator, dataset, django_capture_on_commit_callbacks
):
    first = services.dataset_version_upload(
        actor=facilitator.user, dataset=dataset, upload=SimpleUploadedFile("a.csv", GOOD)
    )
    second = upload(facilitator.user, dataset, "b.csv", GOOD, django_capture_on_commit_callbacks)
    services.dataset_version_convert(version_id=first.pk)
    dataset.refresh_from_db()
    assert dataset.current_version == second


def test_agents_and_other_organisations_cannot_upload(
    agent, other_org_participant, steward, dataset, django_capture_on_commit_callbacks
):
    for person in (agent, other_org_participant):
        with pytest.raises(PermissionDenied):
            services.dataset_version_upload(
                actor=person.user, dataset=dataset, upload=SimpleUploadedFile("a.csv", GOOD)
            )
    version = upload(steward.user, dataset, "a.csv", GOOD, django_capture_on_commit_callbacks)
    assert version.status == VersionStatus.READY


def test_a_crash_during_conversion_leaves_the_version_failed_and_nothing_stored(
    monkeypatch, facilitator, dataset
):
    version = services.dataset_version_upload(
        actor=facilitator.user, dataset=dataset, upload=SimpleUploadedFile("a.csv", GOOD)
    )

    def boom(**kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr("kpiworkshop.datasets.ingest.convert", boom)
    with pytest.raises(RuntimeError):
        services.dataset_version_convert(version_id=version.pk)
    version.refresh_from_db()
    assert version.status == VersionStatus.FAILED
    assert version.error_code == "interrupted"
    dataset.refresh_from_db()
    assert dataset.current_version is None
    assert not [f for f in stored_files() if f.endswith(".parquet")]


def test_phone_numbers_and_signed_values_are_not_formulas(
    facilitator, dataset, django_capture_on_commit_callbacks
):
    content = b"phone,delta,note\n+39 051 123 4567,-2+3,- see ticket\n+44 20 7946 0000,+5,ok\n"
    version = upload(
        facilitator.user, dataset, "a.csv", content, django_capture_on_commit_callbacks
    )
    assert version.status == VersionStatus.READY, version.error_params


def test_a_version_another_worker_is_converting_is_left_to_it(facilitator, dataset):
    version = services.dataset_version_upload(
        actor=facilitator.user, dataset=dataset, upload=SimpleUploadedFile("a.csv", GOOD)
    )
    DatasetVersion.objects.filter(pk=version.pk).update(status=VersionStatus.CONVERTING)
    again = services.dataset_version_convert(version_id=version.pk)
    assert again.status == VersionStatus.CONVERTING
    assert not again.file
    assert default_storage.exists(version.incoming)  # still there for the worker on it


def test_an_italian_spreadsheet_export_reads_decimal_commas(
    facilitator, dataset, django_capture_on_commit_callbacks
):
    content = b"canale;durata;giorno\nchat;12,5;01/03/2025\nvoce;30;02/03/2025\n"
    version = upload(
        facilitator.user, dataset, "a.csv", content, django_capture_on_commit_callbacks
    )
    columns = version.column_map()
    assert columns["durata"]["family"] == "number"
    assert columns["giorno"]["family"] == "time"
