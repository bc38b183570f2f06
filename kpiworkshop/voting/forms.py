import re

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Role

from .models import DEFAULT_CRITERIA, SCORE_MAX, SCORE_MIN, ItemSource, Method, Visibility

#: Posted integers beyond this are refused before reaching any database column.
_INT_LIMIT = 2**31 - 1
_SCORE_FIELD = re.compile(r"score-(\d{1,18})")


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
    proposals = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposals"].valid_value = lambda value: True  # the service checks the ids

    def clean_proposals(self) -> list[int]:
        return [i for i in self.cleaned_data["proposals"] if abs(i) <= _INT_LIMIT]


class VoteForm(forms.Form):
    """One tap on a ballot card: the proposal and its value (approval, dots) or, for a
    multi-criteria card, every ``score-<criterion id>`` the card posts (``cleaned_data["scores"]``
    as {criterion id: score})."""

    proposal = forms.IntegerField(
        min_value=1, max_value=_INT_LIMIT, error_messages={"required": _("Choose a proposal.")}
    )
    value = forms.IntegerField(required=False, min_value=-_INT_LIMIT, max_value=_INT_LIMIT)
    reason = forms.CharField(required=False, strip=False)

    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.method = method

    def clean(self):
        data = super().clean()
        if self.method == Method.SCORE:
            scores = {}
            for key in self.data:
                match = _SCORE_FIELD.fullmatch(key)
                if not match:
                    continue
                try:
                    scores[int(match.group(1))] = int(self.data[key])
                except (TypeError, ValueError):
                    raise forms.ValidationError(
                        _("Give a score from %(lo)d to %(hi)d.")
                        % {"lo": SCORE_MIN, "hi": SCORE_MAX}
                    ) from None
            data["scores"] = scores
        elif data.get("value") is None and "value" not in self.errors:
            self.add_error("value", _("Choose a value."))
        return data

    def error_text(self) -> str:
        """The form's errors as one sentence for a card's alert."""
        return " ".join(str(e) for errors in self.errors.values() for e in errors)


class RankingForm(forms.Form):
    """A whole order (``order``: proposal ids, best first), or one move of it: ``move`` is
    ``up:<proposal id>`` or ``down:<proposal id>``."""

    order = forms.TypedMultipleChoiceField(coerce=int, required=False)
    move = forms.RegexField(regex=r"^(up|down):\d{1,9}$", required=False)
    reason = forms.CharField(required=False, strip=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].valid_value = lambda value: True  # any ids: the service checks them

    def clean_order(self) -> list[int]:
        return [i for i in self.cleaned_data["order"] if abs(i) <= _INT_LIMIT]

    def clean(self):
        data = super().clean()
        move = data.get("move") or ""
        direction, _sep, pid = move.partition(":")
        data["move_proposal"] = int(pid) if pid else None
        data["move_offset"] = -1 if direction == "up" else 1
        return data

    def error_text(self) -> str:
        if "move" in self.errors:
            return str(_("Choose a proposal to move."))
        return str(_("Rank every proposal of the round exactly once."))
