import datetime

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpiworkshop.approval.forms import ISO_DATE_INPUT

from . import periods
from .models import Answer


class FeedbackForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("Is this KPI helping you do a good job?"),
        choices=Answer.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
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
    """A measured value. The period's input fits the KPI's frequency (``kind``, see
    ``periods``): a month picker for a monthly KPI, a week picker for a weekly one, a list of
    quarters for a quarterly one, a date picker otherwise. Whatever the input, the server reads
    every form of period and says what it expected when it cannot."""

    # Not max_length: that writes maxlength, which date, month and week inputs do not take.
    period = forms.CharField(label=_("Period"), validators=[MaxLengthValidator(40)])
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

    def __init__(self, *args, kind: str = periods.DAY, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        last = timezone.localdate() + datetime.timedelta(days=periods.FUTURE_DAYS)
        field = self.fields["period"]
        control = {"class": "form-control"}
        if kind == periods.MONTH:
            field.label = _("Month")
            field.help_text = _("The month the value is for (to type it: year-month, 2026-11).")
            attrs = {"type": "month", "max": periods.period_value(last, kind), "min": "1990-01"}
            field.widget = forms.TextInput(attrs=control | attrs)
        elif kind == periods.WEEK:
            field.label = _("Week")
            field.help_text = _("The week the value is for, from Monday (to type it: 2026-W48).")
            attrs = {"type": "week", "max": periods.period_value(last, kind), "min": "1990-W01"}
            field.widget = forms.TextInput(attrs=control | attrs)
        elif kind == periods.QUARTER:
            field.label = _("Quarter")
            field.help_text = _("The quarter the value is for.")
            choices = [
                ("", _("Choose a quarter")),
                *periods.recent_quarters(timezone.localdate(), ahead_days=periods.FUTURE_DAYS),
            ]
            field.widget = forms.Select(attrs={"class": "form-select"}, choices=choices)
        else:
            field.label = _("Day")
            field.help_text = _("The day the value is for.")
            field.widget = forms.DateInput(
                attrs=control | {"type": "date", "max": last.isoformat(), "min": "1990-01-01"},
                format="%Y-%m-%d",
            )

    def clean_period(self) -> datetime.date:
        text = self.cleaned_data["period"]
        day = periods.parse_period_text(text, self.kind)
        if day is None:
            raise forms.ValidationError(periods.period_error(text, self.kind))
        return periods.period_start(day, self.kind)


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
