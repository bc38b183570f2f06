import duckdb
import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from kpiworkshop.datasets import engine, preview, services
from kpiworkshop.datasets.preview import definition_preview

from .conftest import REPEAT_RATE


@pytest.fixture
def repeat_rate(facilitator, proposal, dataset, contacts_version):
    return services.definition_set(
        actor=facilitator.user,
        revision=proposal.current_revision,
        dataset=dataset,
        spec=REPEAT_RATE,
    )


def expected_by_month(parquet) -> dict[str, float]:
    rows = (
        duckdb.connect()
        .execute(
            "SELECT strftime(date_trunc('month', started_at), '%Y-%m-%d'), "
            "100.0 * count(*) FILTER (WHERE repeat_contact_7d) / count(*) "
            "FROM read_parquet(?) WHERE channel IN ('chat', 'email', 'social') GROUP BY 1",
            [str(parquet)],
        )
        .fetchall()
    )
    return dict(rows)


def test_preview_gives_latest_value_last_periods_and_breakdowns(
    repeat_rate, agent, contacts_parquet
):
    result = definition_preview(actor=agent, kpi_definition=repeat_rate, periods=6)
    expected = expected_by_month(contacts_parquet)
    assert result["computable"] is True
    assert [p["period"] for p in result["series"]] == sorted(expected)[-6:]
    for point in result["series"]:
        assert point["value"] == pytest.approx(expected[point["period"]])
    assert result["latest"]["period"] == "2025-12-01"
    assert result["latest"]["value"] == pytest.approx(expected["2025-12-01"])
    channels = {b["value_label"] for b in result["breakdowns"]["channel"]}
    assert channels == {"chat", "email", "social"}
    rows = sum(b["rows"] for b in result["breakdowns"]["handled_by"])
    assert rows == result["latest"]["rows"]


def test_preview_names_missing_and_empty_columns(
    facilitator, agent, proposal, dataset, contacts_version
):
    columns = [dict(c) for c in contacts_version.columns]
    for c in columns:
        if c["name"] == "nps_score":
            c["non_null"] = 0  # as if nobody answered the survey this year
    contacts_version.columns = columns
    contacts_version.save()
    spec = {
        **REPEAT_RATE,
        "numerator": {"agg": "avg", "column": "nps_score"},
        "denominator": {"agg": "avg", "expr": "fatigue_score * 2"},
    }
    kpi = services.definition_set(
        actor=facilitator.user, revision=proposal.current_revision, dataset=dataset, spec=spec
    )
    result = definition_preview(actor=agent, kpi_definition=kpi)
    assert result["computable"] is False
    assert result["missing"] == ["fatigue_score"]
    assert result["empty"] == ["nps_score"]
    assert result["series"] == []


def test_preview_is_cached_per_definition_and_version(repeat_rate, agent, monkeypatch):
    first = definition_preview(actor=agent, kpi_definition=repeat_rate)

    def no_engine(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(engine, "sandbox", no_engine)
    assert definition_preview(actor=agent, kpi_definition=repeat_rate) == first
    key = preview.cache_key(repeat_rate, repeat_rate.dataset.current_version, 6)
    assert key.startswith(f"datasets:preview:1:{repeat_rate.organisation_id}:")
    assert cache.get(key) == first


def test_a_stopped_computation_is_reported_and_not_cached(repeat_rate, agent, monkeypatch):
    def slow(con, sql, timeout=None):
        raise engine.QueryFailed("The computation took longer than 5 seconds", "timeout")

    monkeypatch.setattr(engine, "query", slow)
    result = definition_preview(actor=agent, kpi_definition=repeat_rate)
    assert result["computable"] is False
    assert "longer than" in result["error"]
    monkeypatch.undo()
    assert definition_preview(actor=agent, kpi_definition=repeat_rate)["computable"] is True


def test_small_breakdown_cells_are_withheld(
    facilitator, agent, proposal, dataset, contacts_version
):
    spec = {**REPEAT_RATE, "dimensions": ["contact_id"], "filters": []}
    kpi = services.definition_set(
        actor=facilitator.user, revision=proposal.current_revision, dataset=dataset, spec=spec
    )
    cells = definition_preview(actor=agent, kpi_definition=kpi)["breakdowns"]["contact_id"]
    small = [c for c in cells if c["rows"] < preview.MIN_ROWS]
    assert small
    assert all(c["value"] is None and c["suppressed"] for c in small)
    assert len(cells) <= preview.MAX_CATEGORIES


def test_guests_see_aggregates(repeat_rate, guest_customer):
    result = definition_preview(actor=guest_customer, kpi_definition=repeat_rate)
    assert result["computable"] is True
    assert set(result) == {
        "computable",
        "missing",
        "empty",
        "not_numbers",
        "version_id",
        "grain",
        "latest",
        "series",
        "breakdowns",
    }


def test_preview_never_crosses_organisations(repeat_rate, other_org_participant):
    with pytest.raises(PermissionDenied):
        definition_preview(actor=other_org_participant, kpi_definition=repeat_rate)
    with pytest.raises(PermissionDenied):
        definition_preview(actor=None, kpi_definition=repeat_rate)


def test_preview_without_data_yet(facilitator, agent, proposal, dataset):
    kpi = services.definition_set(
        actor=facilitator.user,
        revision=proposal.current_revision,
        dataset=dataset,
        spec=REPEAT_RATE,
    )
    result = definition_preview(actor=agent, kpi_definition=kpi)
    assert result["computable"] is False
    assert result["no_data"] is True


def test_a_number_measure_over_a_text_column_is_named(
    facilitator, agent, proposal, dataset, contacts_version
):
    spec = {**REPEAT_RATE, "numerator": {"agg": "avg", "column": "channel"}}
    kpi = services.definition_set(
        actor=facilitator.user, revision=proposal.current_revision, dataset=dataset, spec=spec
    )
    result = definition_preview(actor=agent, kpi_definition=kpi)
    assert result["computable"] is False
    assert result["not_numbers"] == ["channel"]


def test_a_lost_dataset_file_is_a_message_not_a_crash(repeat_rate, agent):
    from django.core.files.storage import default_storage

    default_storage.delete(repeat_rate.dataset.current_version.file.name)
    result = definition_preview(actor=agent, kpi_definition=repeat_rate)
    assert result["computable"] is False
    assert "could not be read" in result["error"]
