from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from kpiworkshop.approval.forms import ISO_DATE_INPUT, text_field


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
    release_notes = text_field(_("Release notes"), required=False)
    raise_major = forms.BooleanField(
        label=_("Make it a major version"),
        required=False,
        help_text=_("Retiring a KPI or changing a formula, unit or direction makes one anyway."),
    )
