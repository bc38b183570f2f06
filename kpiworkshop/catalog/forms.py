from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import Decision

#: A date picker: ``type="date"`` takes and gives ISO dates whatever the reader's locale, so
#: its value is written ISO (a localised "05/12/2026" would be an invalid value).
ISO_DATE_INPUT = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    pilot_until = forms.DateField(
        label=_("Pilot until"),
        required=False,
        widget=ISO_DATE_INPUT,
        help_text=_("Only for a pilot."),
    )


class QuorumForm(forms.Form):
    quorum = forms.IntegerField(
        label=_("Approvals needed"),
        min_value=1,
        max_value=50,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )


def _text(label, rows=3, **kwargs):
    return forms.CharField(
        label=label,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control"}),
        **kwargs,
    )


class NotesForm(forms.Form):
    how_to_read = _text(_("How to read it"))
    when_it_moves = _text(_("What to do when it moves"))
    pitfalls = _text(_("Pitfalls and gaming"))
    worked_example = _text(_("Worked example"))


class ResubmitForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    measures = _text(_("What it measures"))
    numerator = _text(_("Numerator (in words)"), rows=2, required=False)
    denominator = _text(_("Denominator (in words)"), rows=2, required=False)
    target = forms.CharField(
        label=_("Target"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    change_note = forms.CharField(
        label=_("What you changed"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class PublishForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the release"),
        choices=settings.LANGUAGES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    effective_date = forms.DateField(
        label=_("Effective from"),
        widget=ISO_DATE_INPUT,
    )
    next_review = forms.DateField(
        label=_("Next review"),
        required=False,
        widget=ISO_DATE_INPUT,
    )
    release_notes = _text(_("Release notes"), required=False)
    raise_major = forms.BooleanField(
        label=_("Make it a major version"),
        required=False,
        help_text=_("Retiring a KPI or changing a formula, unit or direction makes one anyway."),
    )


# --- review cycles, feedback, measured values (issue 10) ---------------------------------------

from .models import Answer  # noqa: E402


class FeedbackForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Is this KPI helping you do a good job?"),
        choices=Answer.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why hide it?"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class ValueForm(forms.Form):
    # Not max_length: that writes maxlength, which a date input does not take.
    period = forms.CharField(
        label=_("Period"),
        validators=[MaxLengthValidator(10)],
        help_text=_("A date, or a month as year-month."),
        widget=ISO_DATE_INPUT,
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=40,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )
    breakdown = forms.CharField(
        label=_("Breakdown (optional)"),
        required=False,
        max_length=60,
        help_text=_("E.g. a channel; leave empty for the overall value."),
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )


class ValuesImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: period, value and optionally breakdown; first line is the header."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )


class EntryReviewForm(forms.Form):
    next_review = forms.DateField(
        label=_("Next review of this KPI"),
        required=False,
        widget=ISO_DATE_INPUT,
    )


class ReviewKindForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Proposal"),
        choices=[
            ("keep", _("Keep")),
            ("change", _("Change")),
            ("retire", _("Retire")),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (required to retire)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )


class ReviewSettingsForm(forms.Form):
    interval_months = forms.IntegerField(
        label=_("Review every (months)"),
        min_value=1,
        max_value=36,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
    remind_days_before = forms.IntegerField(
        label=_("Remind this many days before"),
        min_value=0,
        max_value=90,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )
