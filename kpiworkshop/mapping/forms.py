"""Forms of the Map stage. Ids of goals, audiences and KPIs are plain integers shown as a
select: the service looks them up inside the organisation, so a foreign id is a 404, never a
link (and never a list of what exists elsewhere)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kpiworkshop.kpis.models import Channel, Stance

from .models import (
    AudienceLevel,
    Cadence,
    Handler,
    Identity,
    LinkKind,
    LinkStanceKind,
    Place,
    Relation,
    Strength,
)

MAX_ID = 2**63 - 1


def _id_field(label, choices, *, required: bool = True) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        required=required,
        min_value=1,
        max_value=MAX_ID,
        widget=forms.Select(choices=choices, attrs={"class": "form-select"}),
    )


def _select(choices, label, *, initial=None, required=True) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=choices,
        initial=initial,
        required=required,
        widget=forms.Select(attrs={"class": "form-select"}),
    )


def _text(label, max_length, *, required=False, long=False, help_text="") -> forms.CharField:
    widget = (
        forms.Textarea(attrs={"class": "form-control", "rows": 2})
        if long
        else forms.TextInput(attrs={"class": "form-control"})
    )
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        strip=True,
        widget=widget,
        help_text=help_text,
    )


class GoalLinkForm(forms.Form):
    def __init__(self, *args, goals=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a goal"))] + [
            (g.pk, ("› " if getattr(g, "depth", 0) else "") + g.label) for g in goals
        ]
        self.fields["goal"] = _id_field(_("Goal"), choices)
        self.fields["strength"] = _select(
            Strength.choices, _("Primary or secondary"), initial=Strength.SECONDARY
        )
        self.fields["why"] = _text(
            _("Why, in one line"), 300, help_text=_("How this KPI moves the goal.")
        )


class AudienceLinkForm(forms.Form):
    def __init__(self, *args, audiences=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose an audience"))] + [(a.pk, a.label) for a in audiences]
        self.fields["audience"] = _id_field(_("Audience"), choices)
        self.fields["relation"] = _select(Relation.choices, _("They…"), initial=Relation.SEES)
        self.fields["cadence"] = _select(Cadence.choices, _("How often"), initial=Cadence.WEEKLY)
        self.fields["place"] = _select(
            [("", _("Not decided")), *Place.choices], _("Where"), required=False
        )
        self.fields["place_note"] = _text(
            _("Where, in words"), 120, help_text=_("Optional, e.g. “the Monday huddle”.")
        )


def _checkboxes(choices, label) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class BreakdownsForm(forms.Form):
    handler = _checkboxes(Handler.choices, _("Who handled it"))
    channel = _checkboxes(Channel.choices, _("Channel"))
    identity = _checkboxes(Identity.choices, _("Customer identity"))
    request_type = _text(
        _("Request types"),
        1000,
        help_text=_("Separated by commas, e.g. billing, technical fault, move house."),
    )

    def values_by_dimension(self) -> dict[str, list[str]]:
        data = self.cleaned_data
        request_types = [v.strip() for v in (data.get("request_type") or "").split(",")]
        return {
            "handler": data.get("handler") or [],
            "channel": data.get("channel") or [],
            "identity": data.get("identity") or [],
            "request_type": [v for v in request_types if v],
        }


class CounterMetricForm(forms.Form):
    def __init__(self, *args, proposals=(), library=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter_proposal"] = _id_field(
            _("Another KPI of this workshop"),
            [("", "—")] + [(pk, name or f"#{pk}") for pk, name in proposals],
            required=False,
        )
        self.fields["library"] = _select(
            [("", "—")] + [(k.slug, k.name) for k in library],
            _("Or a KPI of the library"),
            required=False,
        )
        self.fields["text"] = _text(_("Or in words"), 200)


class LinkCommentForm(forms.Form):
    stance = forms.ChoiceField(
        label=_("Stance"),
        choices=Stance.choices,
        initial=Stance.CONCERN,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    body = forms.CharField(
        label=_("Comment"),
        max_length=2000,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("e.g. this is not something we can act on"),
            }
        ),
    )


class GoalForm(forms.Form):
    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_name_fields())
        self.fields["parent"] = _id_field(
            _("Part of"),
            [("", _("— a top-level goal —"))] + [(g.pk, g.label) for g in parents],
            required=False,
        )
        self.fields["order"] = forms.IntegerField(
            label=_("Order"),
            required=False,
            min_value=0,
            max_value=100000,
            widget=forms.NumberInput(attrs={"class": "form-control"}),
        )
        self.fields["is_active"] = forms.BooleanField(
            label=_("Active"),
            required=False,
            initial=True,
            help_text=_("A retired goal keeps its links but is no longer offered."),
            widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        )


def _name_fields() -> dict[str, forms.CharField]:
    """A goal's or an audience's name and description in each organisation language
    (``mapping.models.DATA_LANGUAGES``): each reader sees them in their own."""
    return {
        "name": _text(_("Name in English"), 150, required=True),
        "name_it": _text(
            _("Name in Italian"),
            150,
            help_text=_("Shown to people who read in Italian; if empty, they see the English."),
        ),
        "description": _text(_("Description in English"), 2000, long=True),
        "description_it": _text(_("Description in Italian"), 2000, long=True),
    }


class AudienceForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The names first, as on the goal's form.
        self.fields = {**_name_fields(), **self.fields}

    level = _select(AudienceLevel.choices, _("Level"), initial=AudienceLevel.TEAM)
    order = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=0,
        max_value=100000,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("A retired audience keeps its links but is no longer offered."),
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class MapSettingsForm(forms.Form):
    act_on_limit = forms.IntegerField(
        label=_("Most KPIs one audience should act on"),
        min_value=1,
        max_value=100,
        widget=forms.NumberInput(attrs={"class": "form-control input-narrow"}),
    )
    driver_limit = forms.IntegerField(
        label=_("Most drivers one KPI should have"),
        min_value=1,
        max_value=50,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control input-narrow"}),
    )


class TreeLinkForm(forms.Form):
    """Propose a link of the KPI tree: "<KPI> drives / is part of / guards against <KPI>"."""

    def __init__(self, *args, kpis=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Choose a KPI")), *kpis]
        self.fields["from_proposal"] = _id_field(_("This KPI"), choices)
        self.fields["kind"] = _select(LinkKind.choices, _("How"), initial=LinkKind.DRIVES)
        self.fields["to_proposal"] = _id_field(_("That KPI"), choices)
        self.fields["why"] = _text(
            _("Why, in one line"),
            200,
            required=True,
            help_text=_("For example: solved the first time, the customer does not call again."),
        )


class TreeStanceForm(forms.Form):
    stance = _select(LinkStanceKind.choices, _("Stance"))
    text = _text(_("Why (optional)"), 300)


class TreeDecideForm(forms.Form):
    decision = _select([("accept", _("Accept")), ("decline", _("Decline"))], _("Decision"))
    reason = _text(_("Reason for declining"), 300)


class TreeTakeOutForm(forms.Form):
    """Take an accepted link out of the tree (one form under the folded accepted links: the
    link is chosen from a list, not a form per line)."""

    link = forms.IntegerField(
        label=_("Link to take out"),
        min_value=1,
        max_value=2**62,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = _text(_("Reason for taking it out"), 300, required=True)
