"""The small helpers every app's views share (core/htmx.py)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from kpiworkshop.core.htmx import error_text, int_param, posted


@pytest.mark.parametrize(
    ("value", "expected"),
    [("7", 7), ("-3", -3), (None, 9), ("", 9), ("x", 9), ("1e3", 9), (str(2**31), 9), ("0", 0)],
)
def test_int_param_takes_only_plain_integers_a_column_holds(value, expected):
    assert int_param(value, 9) == expected


def test_error_text_reads_validation_errors_and_refusals():
    assert error_text(ValidationError(["One.", "Two."])) == "One. Two."
    assert error_text(ValidationError({"title": ["Too long."]})) == "Too long."
    assert error_text(PermissionDenied("Only the facilitator.")) == "Only the facilitator."
    assert error_text(PermissionDenied()) == "You cannot do that here."


def test_posted_binds_an_empty_post_but_not_a_get():
    rf = RequestFactory()
    empty = rf.post("/x/", {})
    assert posted(empty) is empty.POST
    assert posted(rf.get("/x/", {"a": "1"})) is None
