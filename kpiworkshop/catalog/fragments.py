"""The catalogue's shared fragments (``kpiworkshop.core.fragments``): a release's cards, a
KPI page's published parts, the diff of two releases. A published release never changes, so
its version is its identity (the release and its publication time); the organisation's slug
is in it too, as the links carry it. The reader's visibility (internal fields or not, from
``permissions.can_see_internal``) is the only audience."""

from django.template.loader import get_template, render_to_string
from django.utils.translation import get_language

from kpiworkshop.approval.models import NOTE_FIELDS, Decision
from kpiworkshop.core.fragments import Fragment
from kpiworkshop.kpis.models import Category as KpiCategory
from kpiworkshop.kpis.permissions import fields_hidden, fields_hidden_of
from kpiworkshop.mapping.models import Relation, Strength

from . import permissions, selectors
from .versioning import changelog_compute, release_version

CARD_TEMPLATE = "catalog/_catalogue_card.html"
#: Included by the entry's definition part (its digest joins that part's key through the
#: template digest of what a template includes).
CALLOUT_TEMPLATE = "kpis/_use_callout.html"
ENTRY_TEMPLATE = "catalog/entry_detail.html"
DIFF_TEMPLATE = "catalog/release_diff.html"
#: A release never changes: this only bounds memory.
RELEASE_MARKUP_TTL = 7 * 24 * 3600


def _audience(access, **_) -> dict:
    return {"internal": permissions.can_see_internal(access.reader)}


def _list(*, audience, organisation, release):
    entries = selectors.entries_for(release=release, full=False)
    card = get_template(CARD_TEMPLATE)
    context = {
        "organisation": organisation,
        "release": release,
        "internal": audience["internal"],
        "category_labels": dict(KpiCategory.choices),
    }
    rows = [selectors.listed(e, card.render(context | {"e": e}).strip()) for e in entries]
    return {"rows": rows, "facets": selectors.facets(entries)}


#: The release's KPI cards with what the filters need: filters and search run over the
#: cached rows and the page joins the cards that match (no markup of its own: ``extra``).
catalogue_list = Fragment(
    "catalogue-list",
    templates=(CARD_TEMPLATE,),
    inputs=("organisation", "release"),
    scope=lambda organisation, release, **_: (organisation.pk, release.pk),
    version=lambda organisation, release, **_: release_version(organisation, release),
    audience=_audience,
    compute=_list,
    timeout=RELEASE_MARKUP_TTL,
)


def _entry(*, audience, organisation, release, entry):
    from kpiworkshop.kpis.definition_fields import CALLOUT, callout

    from .exports.tabular import note_labels
    from .views import _shown_definition, target_rows_shown  # the page's field formatting

    language = get_language() or "en"
    hidden = fields_hidden(entry.internal_fields, see_internal=audience["internal"])
    notes = (entry.training_notes or {}).get(language) or (entry.training_notes or {}).get(
        release.language, {}
    )
    context = {
        "entry": entry,
        "definition": _shown_definition(entry, audience["internal"]),
        "use_callout": callout(
            {f: (entry.definition or {}).get(f) for f in CALLOUT if f not in hidden}
        ),
        "target_rows": target_rows_shown(entry, audience["internal"]),
        "notes": [(f, notes.get(f, "")) for f in NOTE_FIELDS],
        "notes_language": language
        if language in (entry.training_notes or {})
        else release.language,
        "decision_labels": dict(Decision.choices),
        "relation_labels": dict(Relation.choices) | dict(Strength.choices),
        "note_labels": dict(note_labels()),
    }
    return {
        part: render_to_string(f"{ENTRY_TEMPLATE}#entry-{part}", context)
        for part in ("definition", "notes", "decided")
    }


#: The KPI page's parts that show only the published entry (its definition with the fields
#: the reader may see, its training notes, its votes and decisions): ``extra`` holds each.
catalogue_entry = Fragment(
    "catalogue-entry",
    templates=(ENTRY_TEMPLATE, CALLOUT_TEMPLATE),
    inputs=("organisation", "release", "entry"),
    scope=lambda organisation, release, entry, **_: (organisation.pk, release.pk, entry.pk),
    version=lambda organisation, release, **_: release_version(organisation, release),
    audience=_audience,
    compute=_entry,
    timeout=RELEASE_MARKUP_TTL,
)


def _diff(*, audience, organisation, old, new, between):
    from .views import _field_label, _shown  # the page's field formatting, shared with it

    old_entries = selectors.entry_dicts(release=old)
    new_entries = selectors.entry_dicts(release=new)
    hidden = fields_hidden_of(
        (e.get("internal_fields") for e in old_entries + new_entries),
        see_internal=audience["internal"],
    )
    reasons = {}
    for r in between:
        reasons |= r.retired or {}
    log = changelog_compute(old_entries, new_entries, retired_reasons=reasons)
    for c in log.changed:
        c["fields"] = [
            f | {"field": _field_label(f["field"]), "old": _shown(f["field"], f["old"]),
                 "new": _shown(f["field"], f["new"])}
            for f in c["fields"]
            if f["field"] not in hidden
        ]  # fmt: skip
    from .tree_snapshot import tree_changes

    names = {e["kpi_uid"]: e["name"] for e in old_entries + new_entries}
    tree = tree_changes(old.tree, new.tree, names)
    context = {"old": old, "new": new, "log": log, "tree": tree}
    return render_to_string(f"{DIFF_TEMPLATE}#diff-log", context)


#: The comparison of two releases; ``between``: the releases after ``old`` up to ``new``,
#: whose retirement reasons it shows.
catalogue_diff = Fragment(
    "catalogue-diff",
    templates=(DIFF_TEMPLATE,),
    inputs=("organisation", "old", "new", "between"),
    scope=lambda organisation, old, new, **_: (organisation.pk, old.pk, new.pk),
    version=lambda organisation, old, new, between, **_: release_version(
        organisation, old, new, *between
    ),
    audience=_audience,
    compute=_diff,
    timeout=RELEASE_MARKUP_TTL,
)
