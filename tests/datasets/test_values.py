import pytest

from kpiworkshop.datasets.definition import Definition
from kpiworkshop.datasets.preview import preview_compute
from kpiworkshop.datasets.values import values_compute

from .conftest import REPEAT_RATE


def test_every_period_and_breakdown_agree_with_the_preview(contacts_version):
    definition = Definition.from_dict(REPEAT_RATE)
    values = values_compute(definitions={"k": definition}, version=contacts_version)["k"]
    preview = preview_compute(definition=definition, version=contacts_version, periods=36)
    totals = {v.period.isoformat(): v.value for v in values if not v.dimension}
    assert len(totals) == len(preview["series"]) >= 12
    for point in preview["series"]:
        assert totals[point["period"]] == pytest.approx(point["value"])
    latest = preview["latest"]["period"]
    for name, cells in preview["breakdowns"].items():
        by_label = {
            v.label: v.value
            for v in values
            if v.dimension == name and v.period.isoformat() == latest
        }
        for cell in cells:
            if cell.get("suppressed"):
                assert cell["value_label"] not in by_label
            else:
                assert by_label[str(cell["value_label"])] == pytest.approx(cell["value"])


def test_a_definition_the_data_cannot_give_gets_no_values(contacts_version):
    good = Definition.from_dict(REPEAT_RATE)
    bad = Definition.from_dict(
        {**REPEAT_RATE, "numerator": {"agg": "avg", "column": "fatigue_pulse_score"}}
    )
    result = values_compute(definitions={"good": good, "bad": bad}, version=contacts_version)
    assert set(result) == {"good"}


def test_definitions_sharing_a_query_get_the_same_values_as_alone(contacts_version):
    repeat = Definition.from_dict(REPEAT_RATE)
    aht = Definition.from_dict(
        {
            **REPEAT_RATE,
            "numerator": {"agg": "avg", "expr": "handle_time_s / 60.0"},
            "denominator": None,
            "filters": [{"column": "handled_by", "op": "is_not", "value": "chatbot"}],
            "scale": 1,
        }
    )
    together = values_compute(definitions={"r": repeat, "a": aht}, version=contacts_version)
    for key, d in (("r", repeat), ("a", aht)):
        alone = values_compute(definitions={key: d}, version=contacts_version)[key]
        assert [(v.period, v.dimension, v.label, v.rows) for v in together[key]] == [
            (v.period, v.dimension, v.label, v.rows) for v in alone
        ]
        assert [v.value for v in together[key]] == pytest.approx([v.value for v in alone])
    assert together["r"] != together["a"]
