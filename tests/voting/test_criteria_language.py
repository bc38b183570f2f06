"""Criteria the system writes (the multi-criteria defaults, "Overall") are stored as codes and
shown in each reader's language; a criterion the facilitator typed is shown as typed."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation

from kpiworkshop.voting import services
from kpiworkshop.voting.models import (
    DEFAULT_CRITERIA,
    DEFAULT_CRITERIA_CODES,
    Ballot,
    Criterion,
    Method,
)
from kpiworkshop.voting.services import criterion_code_for
from tests.conftest import as_guest, login

migration = importlib.import_module("kpiworkshop.voting.migrations.0003_criteria_as_codes")
titles = importlib.import_module("kpiworkshop.voting.migrations.0005_ballot_titles_as_codes")

EN, IT = "Hard to game", "Difficile da manipolare"
EN_ALIGNED, IT_ALIGNED = "Aligned with our goals", "In linea con i nostri obiettivi"
TYPED = "Costo per contatto"


def _italian_defaults() -> list[str]:
    """What an Italian facilitator's form posts when they keep the pre-filled criteria."""
    with translation.override("it"):
        return [str(c) for c in DEFAULT_CRITERIA]


@pytest.fixture
def italian_score_ballot(open_ballot):
    """A round an Italian facilitator created: the defaults in Italian plus one typed line."""
    with translation.override("it"):
        return open_ballot(
            Method.SCORE,
            criteria=[*_italian_defaults(), TYPED],
            secret=False,
            visibility="always",
        )


def test_default_criteria_keep_their_code_whatever_the_facilitators_language(
    italian_score_ballot, open_ballot
):
    rows = list(italian_score_ballot.criteria.order_by("position").values_list("code", "label"))
    assert [code for code, _label in rows] == [*DEFAULT_CRITERIA_CODES, ""]
    assert rows[3] == ("hard_to_game", EN)  # stored in English, shown translated
    assert rows[-1] == ("", TYPED)  # typed: as typed
    with translation.override("it"):
        blank = open_ballot(Method.SCORE, criteria=None)
    assert list(blank.criteria.values_list("code", flat=True)) == DEFAULT_CRITERIA_CODES
    approval = open_ballot(Method.APPROVAL)
    assert list(approval.criteria.values_list("code", "label")) == [("overall", "Overall")]


def test_a_default_is_recognised_in_either_language_case_and_spacing_aside():
    assert criterion_code_for(IT) == criterion_code_for(EN) == "hard_to_game"
    assert criterion_code_for("  hard   TO game ") == "hard_to_game"
    assert criterion_code_for("Hard to game, mostly") == ""


def test_the_same_default_in_two_languages_is_one_criterion(open_ballot):
    with pytest.raises(ValidationError) as error:
        open_ballot(Method.SCORE, criteria=[EN, IT])
    assert "Each criterion must be different." in str(error.value)


def test_each_reader_sees_the_default_criteria_in_their_language_on_the_ballot_page(
    client, italian_score_ballot, people, proposals
):
    ballot = italian_score_ballot
    agent = people[0][0]
    hard = ballot.criteria.get(code="hard_to_game")
    typed = ballot.criteria.get(code="")
    services.score_card_cast(
        actor=agent, ballot=ballot, proposal_id=proposals[0].pk, scores={hard.pk: 4, typed.pk: 2}
    )
    as_guest(client, agent)
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    # The score cards (rendered once per version and language, then shared) ...
    assert f">{EN}</legend>" in english and IT not in english
    assert f">{IT}</legend>" in italian and EN not in italian
    # ... and the results under them.
    assert f"{EN}: 4.0" in english
    assert f"{IT}: 4,0" in italian
    for html in (english, italian):
        assert f">{TYPED}</legend>" in html
    assert f"{TYPED}: 2.0" in english and f"{TYPED}: 2,0" in italian


def test_each_reader_sees_the_default_criteria_in_their_language_in_the_api(
    client, italian_score_ballot, facilitator, people, proposals
):
    ballot = italian_score_ballot
    hard = ballot.criteria.get(code="hard_to_game")
    typed = ballot.criteria.get(code="")
    services.score_card_cast(
        actor=people[0][0],
        ballot=ballot,
        proposal_id=proposals[0].pk,
        scores={hard.pk: 5, typed.pk: 3},
    )
    url = f"/api/v1/workshops/{ballot.workshop_id}/ballots/{ballot.pk}/results"
    login(client, facilitator)
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").json()
    top_en = next(r for r in english["rows"] if r["proposal_id"] == proposals[0].pk)
    top_it = next(r for r in italian["rows"] if r["proposal_id"] == proposals[0].pk)
    assert top_en["criteria"][EN] == 5 and IT not in top_en["criteria"]
    assert top_it["criteria"][IT] == 5 and EN not in top_it["criteria"]
    assert top_en["criteria"][TYPED] == top_it["criteria"][TYPED] == 3
    votes_en = {v["criterion_code"]: v["criterion"] for v in english["individual_votes"]}
    votes_it = {v["criterion_code"]: v["criterion"] for v in italian["individual_votes"]}
    assert votes_en == {"hard_to_game": EN, "": TYPED}
    assert votes_it == {"hard_to_game": IT, "": TYPED}


def test_the_facilitators_table_of_open_votes_names_overall_in_the_readers_language(
    client, open_ballot, facilitator, people, proposals
):
    ballot = open_ballot(Method.APPROVAL, secret=False, visibility="always")
    services.vote_cast(actor=people[0][0], ballot=ballot, proposal_id=proposals[0].pk, value=1)
    login(client, facilitator)
    url = f"/w/{ballot.workshop_id}/ballots/{ballot.pk}/"
    assert "<td>Overall</td>" in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "<td>Valutazione complessiva</td>" in italian


def test_the_migration_gives_old_text_criteria_their_code_and_takes_it_back(open_ballot):
    ballot = open_ballot(Method.SCORE, criteria=["A", "B", "C", "D"])
    a, b, c, d = ballot.criteria.order_by("position")
    # As rows looked before: the system's words stored in the facilitator's language.
    Criterion.objects.filter(pk=a.pk).update(label=IT, code="")
    Criterion.objects.filter(pk=b.pk).update(label=EN_ALIGNED, code="")
    Criterion.objects.filter(pk=c.pk).update(label="Valutazione complessiva", code="")
    Criterion.objects.filter(pk=d.pk).update(label=TYPED, code="")
    migration.forwards(apps, None)
    rows = list(ballot.criteria.order_by("position").values_list("code", "label"))
    assert rows == [
        ("hard_to_game", EN),
        ("aligned", EN_ALIGNED),
        ("overall", "Overall"),
        ("", TYPED),
    ]
    with translation.override("it"):
        assert [str(x) for x in ballot.criteria.order_by("position")] == [
            IT,
            IT_ALIGNED,
            "Valutazione complessiva",
            TYPED,
        ]
    migration.backwards(apps, None)
    rows = list(ballot.criteria.order_by("position").values_list("code", "label"))
    assert rows == [("", EN), ("", EN_ALIGNED), ("", "Overall"), ("", TYPED)]


def test_the_review_rounds_title_is_shown_in_each_readers_language_a_typed_one_as_typed(
    client, open_ballot, facilitator
):
    with translation.override("it"):
        review = open_ballot(Method.SCORE, title="Mantenere, modificare o ritirare?")
    typed = open_ballot(Method.DOTS, title="Giro uno")
    assert (review.title_code, review.title) == ("review", "Keep, change or retire?")
    assert (typed.title_code, typed.title) == ("", "Giro uno")
    login(client, facilitator)
    url = f"/w/{review.workshop_id}/ballots/"
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    italian = client.get(url, HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Keep, change or retire?" in english and "Mantenere" not in english
    assert "Mantenere, modificare o ritirare?" in italian and "Keep, change" not in italian
    assert "Giro uno" in english and "Giro uno" in italian
    page = client.get(f"{url}{review.pk}/", HTTP_ACCEPT_LANGUAGE="it").content.decode()
    assert "Mantenere, modificare o ritirare?</h1>" in page
    api = f"/api/v1/workshops/{review.workshop_id}/ballots"
    by_id = {b["id"]: b["title"] for b in client.get(api, HTTP_ACCEPT_LANGUAGE="it").json()}
    assert by_id == {review.pk: "Mantenere, modificare o ritirare?", typed.pk: "Giro uno"}


def test_the_title_migration_gives_the_review_title_its_code_and_takes_it_back(open_ballot):
    review = open_ballot(Method.DOTS, title="x")
    typed = open_ballot(Method.DOTS, title="Giro uno")
    Ballot.objects.filter(pk=review.pk).update(title="Mantenere, modificare o ritirare?")
    titles.forwards(apps, None)
    review.refresh_from_db()
    typed.refresh_from_db()
    assert (review.title_code, review.title) == ("review", "Keep, change or retire?")
    assert (typed.title_code, typed.title) == ("", "Giro uno")
    titles.backwards(apps, None)
    review.refresh_from_db()
    assert (review.title_code, review.title) == ("", "Keep, change or retire?")
