"""Every page the browser journeys visited is valid HTML (Nu HTML Checker, one JVM for all).

The journeys' contexts save each HTML page and each htmx fragment they load (conftest
``_save_document``; a fragment inside ``<template>`` of a minimal page); this test runs last
(``after_journeys``) and validates them. What is filtered and why: ``tests/html_check.py``.
"""

import pytest

from tests.e2e.conftest import SAVED_HTML
from tests.html_check import vnu_errors

pytestmark = pytest.mark.after_journeys


def test_every_visited_page_is_valid_html():
    if not SAVED_HTML:
        pytest.skip("no browser journey ran in this session: no page to validate")
    errors = vnu_errors(SAVED_HTML)
    assert not errors, f"{len(errors)} HTML error(s) in {len(SAVED_HTML)} pages:\n" + "\n".join(
        errors
    )
