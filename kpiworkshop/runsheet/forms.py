from django import forms
from django.utils.translation import gettext_lazy as _

from .library import template_choices
from .models import MAX_MINUTES, BlockAction
from .services import ACTION_STAGES, MAX_INSTRUCTION, MAX_TITLE


def _styled(form: forms.Form, selects: set[str]) -> None:
    """Bootstrap's classes and error state on the widgets (rendered with _field.html)."""
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput):
            continue
        css = "form-select" if name in selects else "form-control"
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        field.widget.attrs["class"] = css


class BlockForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=MAX_TITLE)
    planned_minutes = forms.IntegerField(
        label=_("Planned minutes"),
        min_value=1,
        max_value=MAX_MINUTES,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    instruction = forms.CharField(
        label=_("Instruction for the room"),
        required=False,
        max_length=MAX_INSTRUCTION,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown on every phone and on the projector while the block runs."),
    )
    action = forms.ChoiceField(
        label=_("When the block starts"), choices=BlockAction.choices, required=False
    )
    action_stage = forms.ChoiceField(label=_("Stage to move to"), required=False)
    action_ballot = forms.TypedChoiceField(
        label=_("Voting round"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Empty: the next round waiting to be opened, or the last one opened."),
    )

    def __init__(self, *args, ballots=(), **kwargs):
        super().__init__(*args, **kwargs)
        from kpiworkshop.workshops.models import Stage

        self.fields["action_stage"].choices = [("", "—")] + [
            (s, Stage(s).label) for s in ACTION_STAGES
        ]
        self.fields["action_ballot"].choices = [("", "—")] + [(b.pk, b.title_text) for b in ballots]
        _styled(self, {"action", "action_stage", "action_ballot"})


START_CHOICES = [*template_choices(), ("scratch", _("An empty run-sheet (from scratch)"))]


class PrepareForm(forms.Form):
    start = forms.ChoiceField(
        label=_("Start from"), choices=START_CHOICES, widget=forms.RadioSelect, required=False
    )
    source = forms.TypedChoiceField(
        label=_("Or copy the run-sheet of a past workshop"),
        coerce=int,
        empty_value=None,
        required=False,
    )

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "—")] + [(w.pk, w.title) for w in sources]
        self.fields["source"].widget.attrs["class"] = "form-select"
        self.fields["start"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        if not data.get("start") and not data.get("source"):
            raise forms.ValidationError(_("Choose a template, an empty sheet or a past workshop."))
        return data


CONTROL_CHOICES = ["next", "pause", "resume", "extend", "reveal"]


class ControlForm(forms.Form):
    do = forms.ChoiceField(choices=[(c, c) for c in CONTROL_CHOICES])
    block = forms.IntegerField(min_value=1, max_value=2**63 - 1)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")])
    position = forms.IntegerField(min_value=0, max_value=1000, required=False)


def parse_order(raw: str) -> list[int] | None:
    """The ids of a drag-and-drop order ("4,2,7"), or None if it is not a list of ids."""
    try:
        ids = [int(part) for part in (raw or "").split(",") if part.strip()]
    except ValueError:
        return None
    if not ids or any(not 0 < i < 2**63 for i in ids) or len(ids) > 100:
        return None
    return ids
