"""The guided form of a computable definition: what a supervisor can fill in without SQL. It
lays out and collects the fields; ``Definition.from_dict`` (through the service) validates."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .definition import AGGREGATIONS, GRAINS, OPERATORS
from .models import Dataset, Verdict

NONE = [("", "—")]


class DefinitionForm(forms.Form):
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), label=_("Dataset to read"))
    numerator_agg = forms.ChoiceField(label=_("Numerator: count"), choices=[])
    numerator_column = forms.ChoiceField(label=_("of the column"), required=False, choices=[])
    numerator_expr = forms.CharField(
        label=_("Or of an expression in SQL (for the data team)"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "off"}),
    )
    numerator_filter_column = forms.ChoiceField(
        label=_("Numerator only where"), required=False, choices=[]
    )
    numerator_filter_op = forms.ChoiceField(
        label=pgettext_lazy("filter", "condition"), required=False, choices=[]
    )
    numerator_filter_value = forms.CharField(label=_("value"), required=False, max_length=200)
    numerator_filter2_column = forms.ChoiceField(label=_("and where"), required=False, choices=[])
    numerator_filter2_op = forms.ChoiceField(
        label=pgettext_lazy("filter", "condition"), required=False, choices=[]
    )
    numerator_filter2_value = forms.CharField(label=_("value"), required=False, max_length=200)
    denominator_agg = forms.ChoiceField(label=_("Denominator: count"), required=False, choices=[])
    denominator_column = forms.ChoiceField(label=_("of the column"), required=False, choices=[])
    filter_column = forms.ChoiceField(label=_("Both only where"), required=False, choices=[])
    filter_op = forms.ChoiceField(
        label=pgettext_lazy("filter", "condition"), required=False, choices=[]
    )
    filter_value = forms.CharField(
        label=_("value"),
        required=False,
        max_length=600,
        help_text=_("For “is one of”, separate the values with commas."),
    )
    where = forms.CharField(
        label=_("Or a condition in SQL (for the data team)"),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocapitalize": "off"}),
    )
    time_column = forms.ChoiceField(label=_("Time column"), choices=[])
    grain = forms.ChoiceField(
        label=_("One value per"), choices=list(GRAINS.items()), initial="month"
    )
    dimensions = forms.MultipleChoiceField(
        label=_("May be broken down by"),
        required=False,
        choices=[],
        widget=forms.CheckboxSelectMultiple,
    )
    scale = forms.ChoiceField(
        label=_("Shown as"),
        choices=[("1", _("the value itself")), ("100", _("a percentage (× 100)"))],
        initial="1",
    )

    def __init__(self, *args: Any, datasets: list[Dataset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.filter(pk__in=[d.pk for d in datasets])
        names: list[str] = []
        for d in datasets:
            if d.current_version is not None:
                names += [c["name"] for c in d.current_version.columns if c["name"] not in names]
        columns = [(n, n) for n in names]
        aggs = list(AGGREGATIONS.items())
        ops = list(OPERATORS.items())
        self.fields["numerator_agg"].choices = aggs
        self.fields["denominator_agg"].choices = [("", _("none: the numerator alone")), *aggs]
        for name in ("numerator_column", "denominator_column"):
            self.fields[name].choices = NONE + columns
        for name in ("numerator_filter_column", "numerator_filter2_column", "filter_column"):
            self.fields[name].choices = NONE + columns
        for name in ("numerator_filter_op", "numerator_filter2_op", "filter_op"):
            self.fields[name].choices = NONE + ops
        self.fields["time_column"].choices = columns
        self.fields["dimensions"].choices = columns

    def spec(self) -> dict[str, Any]:
        """The definition as the service takes it (validated there)."""
        data = self.cleaned_data
        numerator: dict[str, Any] = {"agg": data["numerator_agg"]}
        if data["numerator_column"]:
            numerator["column"] = data["numerator_column"]
        if data["numerator_expr"].strip():
            numerator["expr"] = data["numerator_expr"].strip()
        numerator["filters"] = [
            *_filter(
                data["numerator_filter_column"],
                data["numerator_filter_op"],
                data["numerator_filter_value"],
            ),
            *_filter(
                data["numerator_filter2_column"],
                data["numerator_filter2_op"],
                data["numerator_filter2_value"],
            ),
        ]
        spec: dict[str, Any] = {
            "numerator": numerator,
            "time_column": data["time_column"],
            "grain": data["grain"],
            "filters": _filter(data["filter_column"], data["filter_op"], data["filter_value"]),
            "where": data["where"].strip(),
            "dimensions": list(data["dimensions"]),
            "scale": int(data["scale"]),
        }
        if data["denominator_agg"]:
            spec["denominator"] = {"agg": data["denominator_agg"]}
            if data["denominator_column"]:
                spec["denominator"]["column"] = data["denominator_column"]
        return spec


def _typed(value: str) -> Any:
    text = value.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text


def _filter(column: str, op: str, value: str) -> list[dict[str, Any]]:
    if not column and not op:
        return []
    item: dict[str, Any] = {"column": column, "op": op}
    if op in ("in", "not_in"):
        item["value"] = [_typed(v) for v in value.split(",") if v.strip()]
    elif value.strip():
        item["value"] = _typed(value)
    return [item]


class UploadForm(forms.Form):
    """Upload a new version of a dataset (or a first one, under a new name)."""

    dataset = forms.ModelChoiceField(
        queryset=Dataset.objects.none(),
        required=False,
        label=_("Upload to dataset"),
        empty_label=None,
    )
    new_name = forms.CharField(label=_("Or a new dataset named"), required=False, max_length=80)
    file = forms.FileField(
        label=_("File (CSV in UTF-8 with column names in the first row, or Parquet)")
    )
    descriptions = forms.CharField(
        label=_("Column descriptions"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: column: what it holds."),
    )

    def __init__(self, *args: Any, datasets: list[Dataset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dataset"]
        field.queryset = Dataset.objects.filter(pk__in=[d.pk for d in datasets])
        field.empty_label = "—"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("dataset") and not (data.get("new_name") or "").strip():
            raise forms.ValidationError(_("Choose a dataset or name a new one."))
        return data

    def column_descriptions(self) -> dict[str, str]:
        out = {}
        for line in self.cleaned_data["descriptions"].splitlines():
            name, sep, text = line.partition(":")
            if sep and name.strip() and text.strip():
                out[name.strip()] = text.strip()
        return out


class FeasibilityForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Can it be computed with our data?"), choices=[])
    note = forms.CharField(
        label=_("What is missing or partial (for leadership)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["verdict"].choices = Verdict.choices
