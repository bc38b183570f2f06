from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from . import definition_fields
from . import targets as kpi_targets
from .models import (
    DEFINITION_FIELDS,
    Breakdown,
    Category,
    Channel,
    Direction,
    Frequency,
    LeadLag,
    ProposalState,
    Purpose,
    Revision,
    Stance,
)

BLANK = [("", "—")]

#: How the proposal form groups its fields: the required ones first, the rest folded away.
FIELDSETS = [
    ("essentials", _("The essentials"), ["name", "measures", "category"]),
    (
        "why",
        _("Why it matters and how it is computed"),
        ["why", "numerator", "denominator", "unit"],
    ),
    (
        "targets",
        _("Direction, baseline and targets"),
        ["direction", "baseline", "target", "thresholds", "frequency", "targets"],
    ),
    ("scope", _("Channels, breakdowns and purpose"), ["channels", "breakdowns", "purposes"]),
    (
        "use",
        _("Data, ownership and side effects"),
        ["data_sources", "owner", "gaming_risks", "counter_metric_text", "training_notes"],
    ),
    definition_fields.FIELDSET,
]


def _text(
    name: str, *, long: bool = False, required: bool = False, help_text: str = ""
) -> forms.CharField:
    f = Revision._meta.get_field(name)
    widget = forms.Textarea(attrs={"rows": 3}) if long else forms.TextInput()
    return forms.CharField(
        label=capfirst(f.verbose_name),
        required=required,
        max_length=f.max_length,
        widget=widget,
        help_text=help_text,
    )


class TargetsField(forms.CharField):
    """Dated targets as lines of text, one period each (``kpis.targets.targets_parse``): a
    plain textarea works without JavaScript and on a phone. Shows a stored list as lines in
    the reader's notation; cleans to the stored list, or says which line is wrong."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}))
        super().__init__(required=False, max_length=4000, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return kpi_targets.targets_lines(value)
        return value

    def clean(self, value):
        text = super().clean(value)
        return kpi_targets.targets_validate(kpi_targets.targets_parse(text), direction=None)


class DefinitionForm(forms.Form):
    """The fields of one KPI definition. Used to propose, to revise and to suggest."""

    name = _text("name", required=True)
    measures = _text("measures", long=True, required=True)
    category = forms.ChoiceField(label=_("Macro-category"), choices=[*BLANK, *Category.choices])
    why = _text("why", long=True)
    numerator = _text("numerator", long=True)
    denominator = _text("denominator", long=True)
    unit = _text("unit")
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[*BLANK, *Direction.choices], required=False
    )
    baseline = _text("baseline")
    target = _text("target")
    thresholds = _text("thresholds", long=True)
    frequency = forms.ChoiceField(
        label=_("Reporting frequency"), choices=[*BLANK, *Frequency.choices], required=False
    )
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    breakdowns = forms.MultipleChoiceField(
        label=_("Breakdowns"),
        choices=Breakdown.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    purposes = forms.MultipleChoiceField(
        label=_("Purpose"),
        choices=Purpose.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    data_sources = _text("data_sources")
    owner = _text("owner")
    gaming_risks = _text("gaming_risks", long=True)
    counter_metric_text = _text("counter_metric_text")
    training_notes = _text("training_notes", long=True)
    # The KPI design template's fields (issue 20), all optional, folded in "More about this KPI".
    key_question = _text(
        "key_question", help_text=_("The question this KPI answers, in one sentence.")
    )
    intended_use = _text(
        "intended_use",
        long=True,
        help_text=_("Who uses it for what: steering the day, coaching, planning, a review…"),
    )
    not_used_for = _text(
        "not_used_for",
        long=True,
        help_text=_("For example: not for individual bonuses, not to rank agents."),
    )
    collection_method = _text(
        "collection_method",
        long=True,
        help_text=_("How the data are gathered: system logs, a survey after the contact…"),
    )
    collection_frequency = forms.ChoiceField(
        label=_("Collection frequency"), choices=[*BLANK, *Frequency.choices], required=False
    )
    custodian = _text(
        "custodian", help_text=_("Who collects the data and answers for their quality.")
    )
    limitations = _text("limitations", long=True)
    lead_lag = forms.ChoiceField(
        label=_("Leading or lagging"), choices=[*BLANK, *LeadLag.choices], required=False
    )
    targets = TargetsField(
        label=_("Dated targets"),
        help_text=_(
            "One period per line: period; target; amber below (% of the target); red below "
            "(% of the target). E.g. “2027; 85; 95; 90” or “2027-Q1; 80”. When lower is "
            "better the bands are above the target: “2027; 300; 105; 110”."
        ),
    )
    change_note = forms.CharField(label=_("What changed and why"), required=False, max_length=300)

    def definition(self) -> dict:
        return {f: self.cleaned_data.get(f) for f in DEFINITION_FIELDS}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("targets") and "direction" in cleaned:
            try:
                kpi_targets.targets_validate(
                    cleaned["targets"], direction=cleaned.get("direction") or ""
                )
            except forms.ValidationError as exc:
                self.add_error("targets", exc)
        return cleaned

    def fieldsets(self):
        return [
            {"id": key, "legend": legend, "fields": [self[n] for n in names], "open": i == 0}
            for i, (key, legend, names) in enumerate(FIELDSETS)
        ]


class SuggestionForm(DefinitionForm):
    reason = forms.CharField(
        label=_("Why this change"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["change_note"]


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    stance = forms.ChoiceField(
        label=_("Stance"), choices=[("", _("No stance")), *Stance.choices], required=False
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300)


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("All categories")), *Category.choices], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("All channels")), *Channel.choices], required=False
    )
    state = forms.ChoiceField(
        label=_("State"), choices=[("", _("On the board")), *ProposalState.choices], required=False
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        choices=[("newest", _("Newest")), ("discussed", _("Most discussed"))],
        required=False,
    )
    mine = forms.BooleanField(label=_("Only mine"), required=False)


class LibraryFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = BoardFilterForm.base_fields["category"]
    channel = BoardFilterForm.base_fields["channel"]


class MergeForm(forms.Form):
    source = forms.IntegerField(widget=forms.HiddenInput)
    target = forms.IntegerField(widget=forms.HiddenInput)


class InternalFieldsForm(forms.Form):
    fields_ = forms.MultipleChoiceField(
        label=_("Internal-only fields (customers do not see them)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fields_"].choices = [
            (n, capfirst(Revision._meta.get_field(n).verbose_name))
            for n in DEFINITION_FIELDS
            if n not in {"name", "measures", "category", *definition_fields.ALWAYS_SHOWN}
        ]
