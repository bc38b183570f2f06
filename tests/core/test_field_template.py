import re

from django import forms
from django.template.loader import render_to_string


class _Form(forms.Form):
    name = forms.CharField(help_text="What people call it.")


def test_field_errors_are_where_the_control_says_they_are():
    # Django 5.2 points aria-describedby at "<id>_error": the message must carry that id, or a
    # screen reader announces an invalid field without saying why.
    form = _Form({"name": ""})
    form.is_valid()
    html = render_to_string("_field.html", {"field": form["name"]})
    described = re.search(r'aria-describedby="([^"]+)"', html).group(1).split()
    for target in described:
        assert f'id="{target}"' in html
    assert "This field is required." in html


def test_field_without_errors_has_no_error_box():
    form = _Form({"name": "FCR"})
    form.is_valid()
    html = render_to_string("_field.html", {"field": form["name"]})
    assert "invalid-feedback" not in html
