"""The fields of the recognised KPI design template that a definition gained in issue 20 (key
performance question, intended use and explicit non-use, data collection method, collection
frequency, data custodian, limitations, leading or lagging), described once for the forms, the
pages, the library and the exports, so each of them needs only a line to carry them all.

The fields themselves are ``Revision`` columns (``models.USE_FIELDS``): they are part of
``DEFINITION_FIELDS``, so suggestions, revision diffs, release snapshots and changelogs follow
them like any other field. ``frequency`` keeps its meaning (how often the KPI is reported)
and is labelled "reporting frequency" beside ``collection_frequency``.

The data custodian is a person or a role in words, not a link to one of the organisation's
audiences: audiences live in ``mapping``, a layer above ``kpis``; a definition is proposed
before anything is mapped, often by a guest who does not know the audience list; and a library
KPI can suggest a custodian ("the WFM team") that no organisation's audience id could carry.
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import USE_FIELDS, Frequency, LeadLag, Revision

#: The choice fields among them, with their choices.
CHOICES = {"collection_frequency": Frequency, "lead_lag": LeadLag}
#: The texts among them: in the library, each has its words per language (``translations``).
TEXTS = [f for f in USE_FIELDS if f not in CHOICES]
#: Never internal-only: everyone, customers and agents too, reads what a KPI is for and what
#: it must not be used for ("control is only one purpose": DESIGN.md §1).
ALWAYS_SHOWN = frozenset({"intended_use", "not_used_for"})
#: Shown in the callout at the top of a KPI, not among the other definition rows.
CALLOUT = ("intended_use", "not_used_for")

#: The proposal form's fieldset for them: folded away, so the form stays short on a phone.
FIELDSET = ("more", _("More about this KPI"), USE_FIELDS)


def label(name: str) -> str:
    """The field's label in the active language ("Key performance question")."""
    return str(capfirst(Revision._meta.get_field(name).verbose_name))


def choice_label(name: str, value: str) -> str:
    """A choice field's value as a reader sees it ("" for no value or an unknown one)."""
    choices = CHOICES[name]
    return str(choices(value).label) if value in choices.values else ""


def library_values(*, columns: dict, texts: dict) -> dict:
    """A library KPI's values of these fields: its choice columns, its texts in one language
    (cut to the revision's field lengths)."""
    out = {f: columns.get(f) or "" for f in CHOICES}
    for f in TEXTS:
        value = texts.get(f, "") or ""
        limit = Revision._meta.get_field(f).max_length
        out[f] = value[:limit] if limit else value
    return out


def export_values(definition: dict, text: dict) -> dict:
    """The fields as the exports carry them: ``text`` holds the definition's texts already
    made plain by the exporter; a choice comes with its label (``lead_lag_label``). A field
    hidden from the export (absent from ``definition``) is empty."""
    out: dict = {f: text.get(f, "") for f in TEXTS}
    for f in CHOICES:
        value = definition.get(f) or ""
        out[f] = value
        out[f"{f}_label"] = choice_label(f, value)
    return out


def export_labels() -> list[tuple[str, str]]:
    """(key in an exported entry, label) for every field, in the definition's order; a
    choice field's key is its label's (``lead_lag_label``)."""
    return [(f"{f}_label" if f in CHOICES else f, label(f)) for f in USE_FIELDS]


def callout(values: dict) -> dict | None:
    """What the KPI is for and not for, for the callout every audience sees (``None`` when
    neither is written). ``values`` maps field names to their (shown) values."""
    use, not_for = values.get("intended_use") or "", values.get("not_used_for") or ""
    if not (use or not_for):
        return None
    return {
        "intended_use": use,
        "not_used_for": not_for,
        "intended_label": label("intended_use"),
        "not_label": label("not_used_for"),
    }


#: The fields' names in OpenMetadata's ``extension`` (its custom properties are camelCase).
OM_NAMES = {
    "key_question": "keyPerformanceQuestion",
    "intended_use": "intendedUse",
    "not_used_for": "notToBeUsedFor",
    "collection_method": "dataCollectionMethod",
    "collection_frequency": "collectionFrequency",
    "custodian": "dataCustodian",
    "limitations": "limitations",
    "lead_lag": "leadingOrLagging",
}


def datastack_meta(entry: dict) -> dict:
    """The fields of an exported entry (``export_values``) for dbt's ``meta``: codes for the
    choices, texts as written."""
    return {f: entry.get(f, "") for f in USE_FIELDS}


def om_extension(entry: dict) -> dict:
    """The same for OpenMetadata's ``extension``, under camelCase names."""
    return {OM_NAMES[f]: entry.get(f, "") for f in USE_FIELDS}
