"""Every audit action the reviews write is labelled by the reviews app, in English and Italian
(never the raw code), and the catalogue labels only its own: the split moved the labels with
the code that writes them."""

import re
from pathlib import Path

import pytest
from django.utils import translation

from kpiworkshop.catalog import audit_labels as catalog_labels
from kpiworkshop.core.audit import audit_action_label
from kpiworkshop.reviews import audit_labels as reviews_labels

ROOT = Path(__file__).resolve().parents[2] / "kpiworkshop"
ACTION = re.compile(r'"(catalog\.[a-z_]+)"')


def _written(app: str) -> set[str]:
    """The action codes an app's services write (the strings they pass to the audit helpers)."""
    return set(ACTION.findall((ROOT / app / "services.py").read_text()))


def test_each_app_labels_exactly_the_actions_it_writes():
    assert _written("reviews") == set(reviews_labels.AUDIT_LABELS)
    assert _written("catalog") == set(catalog_labels.AUDIT_LABELS)


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("action", sorted(_written("reviews")))
def test_every_review_action_reads_as_words_in_both_languages(action, language):
    with translation.override(language):
        label = audit_action_label(action)
    assert label and action not in label
    with translation.override("en"):
        english = audit_action_label(action)
    if language == "it":
        assert label != english, f"{action} has no Italian label"
