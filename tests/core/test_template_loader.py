from django.template import engines


def test_templates_are_compiled_once_per_process():
    """The cached loader (Django's default when ``loaders`` is not set, kept under
    template-partials' wrapper): a template is parsed once, not on every request."""
    outer = engines["django"].engine.template_loaders
    inner = [type(x).__module__ for loader in outer for x in getattr(loader, "loaders", [loader])]
    assert inner == ["django.template.loaders.cached"]
