"""Figures quoted in training notes against a KPI's target and thresholds (issue 17, item 26)."""

from decimal import Decimal

import pytest
from django.utils import formats, translation
from hypothesis import given
from hypothesis import strategies as st

from kpiworkshop.approval.figures import definition_values, figures, stale_quotes


def _values(text):
    return [sorted(f.values) for f in figures(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("78 % is above the 75 % target", [[78], [75]]),
        ("78% is above the 75%", [[78], [75]]),
        ("78,5 % supera l'obiettivo del 75\u00a0%", [[Decimal("78.5")], [75]]),
        ("78.5 beats 75.0", [[Decimal("78.5")], [75]]),
        ("1.234,5 chiamate", [[Decimal("1234.5")]]),
        ("1,234.5 calls", [[Decimal("1234.5")]]),
        ("1.200.000 contatti", [[1200000]]),
        # Three digits after one separator: a decimal or thousands, both kept.
        ("1.200 calls", [[Decimal("1.2"), 1200]]),
        ("0,125", [[Decimal("0.125")]]),
        ("80/20 service level in 20s", [[80], [20], [20]]),
        ("H1 and v1.2.3 are not figures", []),
        ("No numbers here.", []),
        ("", []),
    ],
)
def test_figures_are_read_as_people_write_them(text, expected):
    assert _values(text) == expected


def test_figures_keep_what_was_written_for_the_warning():
    assert [f.raw for f in figures("above the 75 % target, 78%")] == ["75 %", "78%"]


def test_list_markers_of_the_thresholds_are_not_figures():
    assert definition_values(["1. Green: 80 % or more\n2. Amber: 70 %"]) == {80, 70}


def test_a_changed_target_flags_the_notes_that_quote_the_old_one():
    notes = ["78 % is above the 75 % target.", "Look at the repeat contacts."]
    assert stale_quotes(notes, before=["75 %", ""], after=["80 %", ""]) == ["75 %"]


def test_italian_notes_with_a_decimal_comma_are_flagged():
    notes = ["Con il 78,5 % siamo sopra l'obiettivo del 72,5 %."]
    assert stale_quotes(notes, before=["72.5%"], after=["80%"]) == ["72,5 %"]


def test_a_figure_still_in_the_definition_is_not_stale():
    """75 moved from the target to the amber threshold: notes quoting it still hold."""
    notes = ["Below 75 % is amber."]
    assert stale_quotes(notes, before=["75 %", "amber below 70 %"], after=["80 %", "75 %"]) == []


def test_notes_that_quote_no_old_figure_are_not_stale():
    assert stale_quotes(["78 % is good."], before=["75 %"], after=["80 %"]) == []
    assert stale_quotes(["75 % is the bar."], before=["75 %"], after=["75 %"]) == []


def test_each_stale_figure_is_listed_once():
    notes = ["75 % then 75% again", "and 60 %"]
    assert stale_quotes(notes, before=["75 %", "red below 60 %"], after=["80", "65"]) == [
        "75 %",
        "60 %",
    ]


@given(
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["en", "it"]),
)
def test_a_number_formatted_in_either_language_is_found_again(value, language):
    """Whatever the notes' language, a number as Django formats it there is read back."""
    with translation.override(language):
        text = formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    assert any(value in f.values for f in figures(f"The target is {text} %."))
