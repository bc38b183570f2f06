"""``{% url %}`` is ours (``core/templatetags/kpiw_url.py``): the same output as Django's tag,
each reversal remembered per process, and Django's behaviour wherever it cannot be."""

import uuid

import pytest
from django.template import Context, engines
from django.template.defaulttags import URLNode
from django.urls import NoReverseMatch, set_script_prefix

from kpiworkshop.core.templatetags import kpiw_url


def render(source, **context):
    return engines["django"].from_string(source).render(context)


def djangos(source, **context):
    """What Django's own ``URLNode`` renders for the same tag."""
    node = engines["django"].from_string(source).template.nodelist[0]
    plain = URLNode(node.view_name, node.args, node.kwargs, node.asvar)
    return plain.render(Context(context))


CASES = [
    ("{% url 'home' %}", {}),
    ("{% url 'mapping:tree' 5 %}", {}),
    ("{% url 'mapping:tree' pk %}", {"pk": 12}),
    ("{% url 'mapping:tree' pk=pk %}", {"pk": 7}),
    ("{% url 'workshops:join_code' code %}", {"code": "ABC<&>"}),
    ("{% url name 3 %}", {"name": "workshops:detail"}),
    ("{% url 'catalog:entry' 'org' '1.0' kpi %}", {"kpi": uuid.UUID(int=5)}),
]


@pytest.mark.parametrize(("source", "context"), CASES)
def test_the_same_output_as_djangos(source, context):
    assert render(source, **context) == djangos(source, **context)
    assert render(source, **context) == djangos(source, **context)  # remembered: the same


def test_every_template_gets_it_and_remembers():
    node = engines["django"].from_string("{% url 'home' %}").template.nodelist[0]
    assert isinstance(node, kpiw_url.RememberedURLNode)
    kpiw_url._reverse.cache_clear()
    for _ in range(3):
        render("{% url 'mapping:tree' 5 %}{% url 'mapping:tree' 6 %}")
    info = kpiw_url._reverse.cache_info()
    assert (info.misses, info.hits) == (2, 4)


def test_as_var_and_a_model_instance_argument():
    assert render("{% url 'mapping:tree' 5 as u %}[{{ u }}]") == "[/w/5/map/tree/]"

    class Thing:  # not a plain value: reversed as Django does, with its text
        def __str__(self):
            return "9"

    assert render("{% url 'mapping:tree' t %}", t=Thing()) == "/w/9/map/tree/"


def test_a_name_that_does_not_reverse_raises_and_is_not_remembered():
    kpiw_url._reverse.cache_clear()
    with pytest.raises(NoReverseMatch):
        render("{% url 'mapping:tree' 'x' %}")
    assert kpiw_url._reverse.cache_info().currsize == 0
    assert render("{% url 'mapping:tree' 'x' as u %}[{{ u }}]") == "[]"


def test_the_script_prefix_is_in_the_key():
    try:
        set_script_prefix("/kpi/")
        assert render("{% url 'home' %}") == "/kpi/"
    finally:
        set_script_prefix("/")
    assert render("{% url 'home' %}") == "/"
