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
