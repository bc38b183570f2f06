from django import forms
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
    #: The revision the form showed (issue 20): the decision is refused if the KPI moved on.
    revision = forms.IntegerField(
        required=False, min_value=1, max_value=10**18, widget=forms.HiddenInput
    )


class QuorumForm(forms.Form):
    quorum = forms.IntegerField(
        label=_("Approvals needed"),
        min_value=1,
        max_value=50,
        widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
    )


def text_field(label, rows=3, **kwargs):
    return forms.CharField(
        label=label,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": rows, "class": "form-control"}),
        **kwargs,
    )


class NotesForm(forms.Form):
    how_to_read = text_field(_("How to read it"))
    when_it_moves = text_field(_("What to do when it moves"))
    pitfalls = text_field(_("Pitfalls and gaming"))
    worked_example = text_field(_("Worked example"))


class ResubmitForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=150, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    measures = text_field(_("What it measures"))
    numerator = text_field(_("Numerator (in words)"), rows=2, required=False)
    denominator = text_field(_("Denominator (in words)"), rows=2, required=False)
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
