from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Role

from .models import DEFAULT_CRITERIA, ItemSource, Method, Visibility

VOTING_ROLES = [(r.value, r.label) for r in Role if r != Role.LEADERSHIP]


class BallotForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    method = forms.ChoiceField(
        label=_("Method"), choices=Method.choices, widget=forms.RadioSelect, initial=Method.DOTS
    )
    item_source = forms.ChoiceField(
        label=_("Proposals on the ballot"),
        choices=ItemSource.choices,
        widget=forms.RadioSelect,
        initial=ItemSource.OPEN,
    )
    eligible_roles = forms.MultipleChoiceField(
        label=_("Who may vote"),
        choices=VOTING_ROLES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: everyone who votes in this stage."),
    )
    dot_budget = forms.IntegerField(
        label=_("Dots per person"), min_value=1, max_value=100, initial=5, required=False
    )
    dot_cap = forms.IntegerField(
        label=_("Maximum dots on one proposal (optional)"),
        min_value=1,
        max_value=100,
        required=False,
    )
    criteria = forms.CharField(
        label=_("Criteria (multi-criteria score)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line; each is scored from 1 to 5."),
    )
    secret = forms.BooleanField(
        label=_("Secret ballot: nobody can see who voted what"), required=False, initial=True
    )
    visibility = forms.ChoiceField(
        label=_("Show results"), choices=Visibility.choices, initial=Visibility.WHEN_REVEALED
    )
    duration_minutes = forms.IntegerField(
        label=_("Timer in minutes (optional)"), min_value=1, max_value=1440, required=False
    )
    reason_required = forms.BooleanField(
        label=_("Ask for a short reason with each vote"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criteria"].initial = "\n".join(str(c) for c in DEFAULT_CRITERIA)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        data = super().clean()
        data["criteria"] = [
            line.strip() for line in (data.get("criteria") or "").splitlines() if line.strip()
        ]
        data["dot_budget"] = data.get("dot_budget") or 5
        return data


class ShortlistForm(forms.Form):
    top = forms.IntegerField(
        label=_("Shortlist the top"), min_value=1, max_value=500, required=False
    )
    proposals = forms.TypedMultipleChoiceField(coerce=int, required=False, choices=())

    def __init__(self, *args, ballot_item_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposals"].choices = [(i, i) for i in ballot_item_ids]
