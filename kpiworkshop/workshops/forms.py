from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from kpiworkshop.accounts.models import Role


class WorkshopForm(forms.Form):
    organisation = forms.TypedChoiceField(label=_("Organisation"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=150)
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this workshop and what should come out of it. Markdown is allowed."),
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]
        if len(self.fields["organisation"].choices) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = self.fields["organisation"].choices[0][0]
        self.helper = FormHelper()
        self.helper.form_tag = False
        # On the widget, not crispy's Field(autofocus=True), which writes autofocus="True".
        self.fields["title"].widget.attrs["autofocus"] = True
        self.helper.layout = Layout("organisation", "title", "purpose")


class WorkshopEditForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=150)
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Markdown is allowed."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class StageForm(forms.Form):
    stage = forms.CharField(max_length=16)
    expected_stage = forms.CharField(max_length=16)


EXPIRY_CHOICES = [
    ("", _("Never")),
    ("2", _("In 2 hours")),
    ("8", _("In 8 hours")),
    ("24", _("In 1 day")),
    ("168", _("In 1 week")),
    ("720", _("In 30 days")),
]


class InvitationForm(forms.Form):
    role = forms.ChoiceField(label=_("Role of the people joining"), choices=Role.choices)
    label = forms.CharField(
        label=_("Label (optional)"),
        required=False,
        max_length=80,
        help_text=_("For you, e.g. “Room A, morning”."),
    )
    expires_in_hours = forms.TypedChoiceField(
        label=_("Code expires"),
        choices=EXPIRY_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    max_uses = forms.IntegerField(
        label=_("Maximum people (optional)"), required=False, min_value=1, max_value=10000
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "inv")
        super().__init__(*args, **kwargs)
        self.fields["role"].initial = Role.AGENT
        # Rendered with the plain templates/_field.html (this form sits on a busy page), so
        # the widgets carry Bootstrap's classes and their error state themselves.
        for name, field in self.fields.items():
            css = "form-select" if name in {"role", "expires_in_hours"} else "form-control"
            if self.is_bound and name in self.errors:
                css += " is-invalid"
            field.widget.attrs["class"] = css
        self.helper = FormHelper()
        self.helper.form_tag = False


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Join code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
                "class": "form-control form-control-lg text-uppercase join-code-input",
            }
        ),
        help_text=_("The six characters shown on the screen, e.g. K7P 3QX."),
    )

    def __init__(self, *args, autofocus: bool = False, **kwargs):
        """``autofocus`` where the code is what the page is for (``/join/``), not on home."""
        super().__init__(*args, **kwargs)
        if autofocus:
            self.fields["code"].widget.attrs["autofocus"] = True
        self.helper = FormHelper()
        self.helper.form_tag = False


class GuestJoinForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your name, as others will see it"),
        max_length=60,
        widget=forms.TextInput(attrs={"autocomplete": "nickname", "autofocus": True}),
        help_text=_("A first name or a nickname is enough. No account needed."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
