"""The reviews' shared fragment (``kpiworkshop.core.fragments``): the blank forms of a KPI's
catalogue page (the feedback question, a measured value, a CSV import, the review date).

They are the same for every reader allowed them, and rendering them (a dozen widgets through
Django's form renderer) was half of that page's time: rendered once, with the CSRF token as
their slot, they are filled per request by ``views.review_entry_context``. A form sent back
with its errors, or the reader's own feedback answer, is rendered per request instead.

Nothing they show changes with the data: the key holds the entry (its URL and period kind;
an entry never changes within its release), the release's being current (who may answer),
the date the period input ends on (``today``) and the review date the form starts from."""

import datetime

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from kpiworkshop.catalog.versioning import release_version
from kpiworkshop.core.fragments import Fragment, Shared

from . import permissions, services
from .forms import EntryReviewForm, FeedbackForm, ValueForm, ValuesImportForm

TEMPLATE = "reviews/_entry.html"
#: The fragment's parts (``Shared.extra``), each the pieces around its ``csrf`` slot.
PARTS = ("feedback", "record", "review")


def _audience(access, organisation, entry, is_current, **_) -> dict:
    org_id = organisation.pk
    return {
        "answer": permissions.can_give_feedback(access.reader, org_id, is_current=is_current),
        "record": permissions.can_record_values(access.reader, org_id, entry.audiences),
        "manage": permissions.can_manage_reviews(access.reader, org_id),
    }


def _forms(*, audience, slots, organisation, release, entry, is_current, today, next_review):
    context = {
        "organisation": organisation,
        "release": release,
        "entry": entry,
        "csrf_token": slots.slot("csrf"),
    }
    out = {}
    if audience["answer"]:
        html = render_to_string(
            f"{TEMPLATE}#feedback-form", context | {"fb_form": FeedbackForm(), "fb_mine": None}
        )
        out["feedback"] = slots.split(html)
    if audience["record"]:
        form = ValueForm(kind=services.entry_period_kind(entry))
        html = render_to_string(
            f"{TEMPLATE}#record-forms",
            context | {"value_form": form, "import_form": ValuesImportForm(), "import_errors": []},
        )
        out["record"] = slots.split(html)
    if audience["manage"]:
        start = datetime.date.fromisoformat(next_review) if next_review else None
        html = render_to_string(
            f"{TEMPLATE}#review-form",
            context | {"review_form": EntryReviewForm(initial={"next_review": start})},
        )
        out["review"] = slots.split(html)
    return out


#: The KPI page's blank review forms, for the parts the reader's audience flags allow
#: (``answer``, ``record``, ``manage``); ``today`` (ISO date) bounds the period input.
entry_forms = Fragment(
    "catalogue-entry-forms",
    templates=(TEMPLATE,),
    inputs=("organisation", "release", "entry", "is_current", "today", "next_review"),
    scope=lambda organisation, release, entry, **_: (organisation.pk, release.pk, entry.pk),
    # Blank forms change only with the inputs above and the templates (all in the key); the
    # organisation's slug is in their URLs, as in the catalogue's fragments.
    version=lambda organisation, release, **_: release_version(organisation, release),
    audience=_audience,
    compute=_forms,
    slots=("csrf",),
    timeout=24 * 3600,
)


def entry_form_part(shared: Shared, part: str, *, csrf: str) -> SafeString:
    """One blank form of ``entry_forms`` (``PARTS``), its CSRF slot filled."""
    return Shared(pieces=shared.extra[part]).fill({"csrf": csrf})
