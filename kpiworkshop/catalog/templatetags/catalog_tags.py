from django import template

register = template.Library()


@register.filter(name="get_item")
def get_item(mapping, key):
    """``mapping[key]`` in a template (None when missing)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter(name="is_list")
def is_list(value) -> bool:
    return isinstance(value, list | tuple)
