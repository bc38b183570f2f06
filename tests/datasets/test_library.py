"""The KPI library's computable definitions (datasets/library.py) against the library's words
(fixtures/kpi_library.json) and the synthetic contacts dataset."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from kpiworkshop.datasets import engine, library, synthetic
from kpiworkshop.datasets.definition import Definition
from kpiworkshop.datasets.forms import DefinitionForm

LIBRARY = json.loads((Path(settings.BASE_DIR) / "fixtures" / "kpi_library.json").read_text())
BY_SLUG = {kpi["slug"]: kpi for kpi in LIBRARY}


@pytest.fixture(scope="module")
def small_contacts(tmp_path_factory) -> Path:
    return synthetic.generate(tmp_path_factory.mktemp("lib") / "contacts.parquet", rows=4000)


def test_every_library_kpi_has_a_definition_or_the_data_it_needs():
    slugs = set(BY_SLUG)
    assert set(library.DEFINITIONS) | set(library.DATA_NEEDED) == slugs
    assert not set(library.DEFINITIONS) & set(library.DATA_NEEDED)
    for slug, note in library.DATA_NEEDED.items():
        assert note["en"].strip() and note["it"].strip(), slug
        assert note["en"] != note["it"], slug


def test_the_data_needed_note_follows_the_language():
    assert "HR" in library.data_needed("agent-attrition", "en")
    assert "dipendenti" in library.data_needed("agent-attrition", "it")
    assert library.data_needed("csat") == ""


@pytest.mark.parametrize("slug", sorted(library.DEFINITIONS))
def test_each_definition_validates_and_computes_on_the_synthetic_dataset(slug, small_contacts):
    kpi = BY_SLUG[slug]
    spec = library.library_spec(slug, breakdowns=kpi["breakdowns"])
    definition = Definition.from_dict(spec)
    assert definition.dimensions  # every computable library KPI may be broken down
    assert definition.columns() <= set(synthetic.DESCRIPTIONS)
    with engine.sandbox(str(small_contacts)) as con:
        rows = engine.query(con, definition.sql())
    assert len(rows) == 12
    for _period, num, den, count in rows:
        assert count > 0 and num is not None and den
        value = float(num) / float(den) * definition.scale
        if kpi["en"]["unit"] == "%":
            assert 0 < value < 100, (slug, value)
        elif slug == "nps":
            assert -100 <= value <= 100
        else:
            assert value > 0


@pytest.mark.parametrize("slug", sorted(library.DEFINITIONS))
def test_the_words_and_the_structure_agree(slug):
    """A ratio has a denominator in words in both languages, a single measure has none; a
    percentage is scaled by 100 and nothing else is; the filters' values are named in the
    words where they narrow the channels."""
    kpi = BY_SLUG[slug]
    definition = Definition.from_dict(library.library_spec(slug))
    for lang in ("en", "it"):
        assert bool(kpi[lang]["denominator"].strip()) == (definition.denominator is not None), (
            slug,
            lang,
        )
        assert kpi[lang]["numerator"].strip()
    assert (kpi["en"]["unit"] == "%") == (definition.scale == 100)
    for f in definition.filters:
        if f.column == "channel" and f.op == "in" and "chatbot" not in f.value:
            words = {"en": kpi["en"]["denominator"], "it": kpi["it"]["denominator"]}
            for lang, text in words.items():
                for channel in f.value:
                    name = {"email": "e-mail", "voice": "voce" if lang == "it" else "voice"}.get(
                        channel, channel
                    )
                    assert name in text.lower(), (slug, lang, channel)


@pytest.mark.parametrize("slug", sorted(library.DEFINITIONS))
def test_the_words_name_the_thresholds_the_definition_uses(slug):
    """A number the definition filters on (20 s answered, 5 s short abandon, a score of 4) and
    the 7-day window of repeat contacts are in the words, in both languages."""
    kpi = BY_SLUG[slug]
    definition = Definition.from_dict(library.library_spec(slug))
    filters = [*definition.filters, *definition.numerator.filters]
    numbers = {str(f.value) for f in filters if isinstance(f.value, int | float)}
    if "repeat_contact_7d" in definition.columns():
        numbers.add("7")
    for lang in ("en", "it"):
        words = kpi[lang]["numerator"] + " " + kpi[lang]["denominator"]
        for number in numbers:
            assert number in words, (slug, lang, number)


@pytest.mark.parametrize("slug", sorted(library.DEFINITIONS))
def test_each_definition_fits_the_guided_form_without_loss(slug):
    spec = library.library_spec(slug, breakdowns=BY_SLUG[slug]["breakdowns"])
    initial = library.form_initial(spec)
    columns = [{"name": name} for name in synthetic.DESCRIPTIONS]

    class Version:
        pass

    version = Version()
    version.columns = columns

    class Dataset:
        pk = 1
        current_version = version

    form = DefinitionForm(datasets=[Dataset()])
    data = {k: v for k, v in initial.items() if v not in ("", None)}
    form = DefinitionForm({**data, "dataset": ""}, datasets=[Dataset()])
    form.is_valid()
    # The dataset queryset is empty here: everything but the dataset is valid.
    assert set(form.errors) <= {"dataset"}, form.errors
    assert Definition.from_dict(form.spec()) == Definition.from_dict(spec)


# --- "Start from the library's definition" on the How it is computed page --------------------


@pytest.fixture
def from_library(workshop, agent):
    from kpiworkshop.kpis import services as kpi_services
    from kpiworkshop.kpis.models import LibraryKPI

    kpi_services.library_load()
    lib = LibraryKPI.objects.get(slug="service-level")
    return kpi_services.proposal_create(
        actor=agent,
        workshop=workshop,
        library_kpi=lib,
        definition=kpi_services.library_definition(library_kpi=lib, language="en"),
    )


def _url(proposal):
    from django.urls import reverse

    return reverse("datasets:kpi", args=[proposal.workshop_id, proposal.pk])


def test_the_form_offers_the_library_definition(client, facilitator, from_library, dataset):
    from tests.conftest import login

    login(client, facilitator)
    page = client.get(_url(from_library))
    assert b'data-testid="start-from-library"' in page.content
    assert b'data-testid="prefilled"' not in page.content


def test_start_from_the_library_prefills_the_form_and_saving_stays_the_post(
    client, facilitator, from_library, dataset, contacts_version
):
    from kpiworkshop.datasets.models import KpiDefinition
    from tests.conftest import login

    login(client, facilitator)
    page = client.get(_url(from_library) + "?start=library")
    assert page.status_code == 200
    assert b'data-testid="prefilled"' in page.content
    assert b"<html" in page.content
    form = page.context["form"]
    assert form.initial["numerator_filter2_column"] == "wait_time_s"
    assert form.initial["numerator_filter2_value"] == "20"
    assert form.initial["filter_value"] == "voice, chat"
    assert form.initial["dataset"] == dataset.pk
    assert not KpiDefinition.objects.exists()  # a GET writes nothing
    data = {k: v for k, v in form.initial.items() if v not in ("", None)}
    response = client.post(_url(from_library), data)
    assert response.status_code == 302
    saved = KpiDefinition.objects.get(revision=from_library.current_revision)
    expected = library.library_spec("service-level", breakdowns=from_library.library_kpi.breakdowns)
    assert Definition.from_dict(saved.spec) == Definition.from_dict(expected)


def test_htmx_start_from_the_library_gets_the_form_fragment(
    client, facilitator, from_library, dataset
):
    from tests.conftest import login

    login(client, facilitator)
    page = client.get(_url(from_library) + "?start=library", headers={"HX-Request": "true"})
    assert page.status_code == 200
    assert b"<html" not in page.content
    assert b'id="definition-form"' in page.content
    assert b'data-testid="prefilled"' in page.content


def test_a_library_kpi_without_definition_says_what_data_it_needs(
    client, facilitator, workshop, agent, dataset
):
    from kpiworkshop.kpis import services as kpi_services
    from kpiworkshop.kpis.models import LibraryKPI
    from tests.conftest import login

    kpi_services.library_load()
    lib = LibraryKPI.objects.get(slug="agent-attrition")
    proposal = kpi_services.proposal_create(
        actor=agent,
        workshop=workshop,
        library_kpi=lib,
        definition=kpi_services.library_definition(library_kpi=lib, language="en"),
    )
    login(client, facilitator)
    page = client.get(_url(proposal) + "?start=library")
    assert b'data-testid="start-from-library"' not in page.content
    assert b'data-testid="prefilled"' not in page.content
    assert b'data-testid="data-needed"' in page.content


def test_an_agent_gets_no_prefilled_form(client, agent, from_library, dataset):
    from tests.conftest import login

    login(client, agent)
    page = client.get(_url(from_library) + "?start=library")
    assert b"start-from-library" not in page.content
    assert b"numerator_agg" not in page.content


def test_the_offer_speaks_italian(client, facilitator, from_library, dataset):
    from tests.conftest import login

    login(client, facilitator)
    page = client.get(_url(from_library), headers={"Accept-Language": "it"})
    assert "Parti dalla definizione della libreria" in page.content.decode()
