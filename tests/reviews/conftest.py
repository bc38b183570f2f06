"""The reviews tests share the catalogue's set-up: a workshop in the approve stage, approvers,
a shortlist, publishing, hand-built releases (``tests/catalog/review_helpers.py``)."""

from tests.catalog.conftest import (  # noqa: F401 (fixtures and helpers the reviews tests share)
    NOTES,
    _media_in_tmp,
    _outbox_in_the_test_thread,
    approve_all,
    approve_workshop,
    approvers,
    make_proposal,
    publish,
    shortlist,
)
