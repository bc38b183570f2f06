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


@register.filter(name="vote_group_label")
def vote_group_label_filter(group: dict) -> str:
    """A snapshotted vote group's label in the reader's language (see the selector)."""
    from kpiworkshop.approval.selectors import vote_group_label

    return vote_group_label(group)
