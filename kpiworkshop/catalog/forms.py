from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Decision


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
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
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
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    next_review = forms.DateField(
        label=_("Next review"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    release_notes = _text(_("Release notes"), required=False)
    raise_major = forms.BooleanField(
        label=_("Make it a major version"),
        required=False,
        help_text=_("Retiring a KPI or changing a formula, unit or direction makes one anyway."),
    )
