"""Issue 17 item 9: numbers in the reader's locale, without trailing zeros ("Baseline 38.5000")."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from kpiworkshop.core.numbers import number_shown


@pytest.mark.parametrize(
    ("value", "en", "it"),
    [
        (Decimal("38.5000"), "38.5", "38,5"),
        (Decimal("100.0000"), "100", "100"),
        (Decimal("-0.0000"), "0", "0"),
        (Decimal("0.0001"), "0.0001", "0,0001"),
        (Decimal("1234567.2500"), "1234567.25", "1234567,25"),
        (72, "72", "72"),
        (7.5, "7.5", "7,5"),
        (None, "", ""),
    ],
)
def test_number_shown_in_the_readers_locale_without_trailing_zeros(value, en, it):
    with translation.override("en"):
        assert number_shown(value) == en
    with translation.override("it"):
        assert number_shown(value) == it


def test_number_filter_is_the_same_helper():
    template = Template("{% load kpiw %}{{ v|number }}")
    with translation.override("it"):
        assert template.render(Context({"v": Decimal("38.5000")})) == "38,5"
