"""Duplicate detection: pairs are found when a revision is written and read by the merge page
in one query, so a page load never compares every pair (issue 7, item 8)."""

import difflib
import re
from itertools import combinations

import pytest
from django.urls import reverse

from kpiworkshop.kpis import selectors, services, similarity
from kpiworkshop.kpis.models import DuplicateCandidate
from kpiworkshop.workshops.models import Stage
from tests.conftest import login

NAMES = [
    ("First contact resolution", "Requests solved at the first contact, any channel."),
    ("First-contact resolution rate", "Share of requests solved at the first contact."),
    ("Customer effort score", "How easy customers say it was to get help."),
    ("Customer effort", "How easy it was for customers to get help, from the survey."),
    ("Agent attrition", "Leavers per year over average headcount."),
    ("Repeat contacts within 7 days", "Requests that come back within a week."),
    ("Chatbot deflection", "Requests solved by the chatbot without an agent."),
    ("Average handling time", "Talk plus after-call work, per contact."),
]

_TOKEN = re.compile(r"\w+", re.UNICODE)
#: The merge page: session with its user, participant, workshop, pairs, mergeable, merged.
QUERIES = 5


def _old_similarity(a_name, a_measures, b_name, b_measures) -> float:
    """The rule as it was computed on every page load before (the oracle)."""

    def tokens(text):
        words = _TOKEN.findall(text.lower())
        return {t for t in words if t not in similarity.STOPWORDS and len(t) > 1}

    ta, tb = tokens(f"{a_name} {a_measures}"), tokens(f"{b_name} {b_measures}")
    jaccard = len(ta & tb) / len(ta | tb) if ta | tb else 0.0
    names = difflib.SequenceMatcher(None, a_name.lower(), b_name.lower()).ratio()
    return round(0.5 * jaccard + 0.5 * names, 3)


def _make(workshop, actor, rows):
    return [
        services.proposal_create(
            actor=actor,
            workshop=workshop,
            definition={"name": n, "measures": m, "category": "customer"},
        )
        for n, m in rows
    ]


def test_stored_pairs_are_exactly_the_pairs_the_rule_finds(workshop, agent):
    made = _make(workshop, agent, NAMES)
    expected = {
        (p.pk, q.pk): _old_similarity(*NAMES[i], *NAMES[j])
        for (i, p), (j, q) in combinations(enumerate(made), 2)
        if _old_similarity(*NAMES[i], *NAMES[j]) >= similarity.DUPLICATE_THRESHOLD
    }
    assert expected  # the fixture does hold look-alikes
    found = {
        (d.first.pk, d.second.pk): d.score for d in selectors.duplicate_pairs(workshop=workshop)
    }
    assert found == expected
    scores = [d.score for d in selectors.duplicate_pairs(workshop=workshop)]
    assert scores == sorted(scores, reverse=True)


def test_a_revision_that_no_longer_looks_alike_drops_its_pair(workshop, agent):
    a, b = _make(workshop, agent, NAMES[:2])
    assert [(d.first.pk, d.second.pk) for d in selectors.duplicate_pairs(workshop=workshop)] == [
        (a.pk, b.pk)
    ]
    services.proposal_revise(
        actor=agent,
        proposal=b,
        definition={"name": "Agent absence", "measures": "Days off sick per agent."},
    )
    assert selectors.duplicate_pairs(workshop=workshop) == []
    services.proposal_revise(
        actor=agent, proposal=b, definition=dict(zip(("name", "measures"), NAMES[1], strict=True))
    )
    assert len(selectors.duplicate_pairs(workshop=workshop)) == 1


def test_pairs_with_a_merged_proposal_leave_the_page_and_come_back_on_undo(
    workshop, agent, facilitator
):
    a, b = _make(workshop, agent, NAMES[:2])
    workshop.stage = Stage.REFINE
    workshop.save()
    services.proposal_merge(actor=facilitator, source=b, target=a)
    assert selectors.duplicate_pairs(workshop=workshop) == []
    b.refresh_from_db()
    services.proposal_unmerge(actor=facilitator, proposal=b)
    assert len(selectors.duplicate_pairs(workshop=workshop)) == 1
    assert DuplicateCandidate.objects.count() == 1


def test_the_merge_page_compares_nothing_on_load(client, workshop, agent, facilitator, monkeypatch):
    _make(workshop, agent, NAMES)
    workshop.stage = Stage.REFINE
    workshop.save()

    def compared(*args, **kwargs):
        raise AssertionError("the merge page compared proposals while loading")

    monkeypatch.setattr(similarity, "score", compared)
    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", compared)
    login(client, facilitator)
    html = client.get(reverse("kpis:merge", args=[workshop.pk])).content.decode()
    assert 'data-testid="duplicate-pair"' in html
    assert "First contact resolution" in html


@pytest.mark.parametrize("n", [1, 10, 100])
def test_merge_page_queries_do_not_grow(
    client, workshop, agent, facilitator, n, django_assert_num_queries
):
    rows = [(f"Repeat contact rate {i}", f"Requests back within {i} days") for i in range(n)]
    _make(workshop, agent, rows)
    workshop.stage = Stage.REFINE
    workshop.save()
    login(client, facilitator)
    url = reverse("kpis:merge", args=[workshop.pk])
    client.get(url)
    with django_assert_num_queries(QUERIES):
        assert client.get(url).status_code == 200
