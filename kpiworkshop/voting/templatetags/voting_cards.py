"""The parts of a ballot card's vote controls that depend on the viewer's own votes.

One function, ``control_bits``, decides them for both ways a card is drawn:

- after a tap, the vote view renders the ``vote-controls`` partial for one card, and the
  ``vote_bits`` filter computes the bits from the card's value;
- the ballot page's card list is a shared fragment (``voting.fragments.ballot_cards``) with
  *slots* in their place (``vote_bits`` and ``score_checked`` return the slots when the card
  carries the rendering's ``core.fragments.Slots``); each viewer's own bits are filled into
  it by ``Shared.fill`` (the one slot mechanism, ``core.fragments``).
"""

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from django import template
from django.utils.html import conditional_escape
from django.utils.translation import get_language, ngettext

register = template.Library()

#: The bits each method's controls need, by name (every one a slot on the shared page).
BITS = {
    "approval": ("voted", "yes_cls", "yes_pressed", "no_cls", "no_pressed"),
    "dots": ("voted", "minus", "minus_disabled", "dots", "given", "plus"),
    "score": ("voted",),
    "ranking": ("voted",),
}


def control_bits(method: str, value: int | None) -> Mapping[str, str]:
    """What a card's controls show of one person's vote ``value`` (None: not voted), as
    markup-ready strings (read-only: each is built once per process and language, as a ballot
    page asks for twenty of them and a room's votes take a handful of values)."""
    return _control_bits(method, value, get_language())


@lru_cache(maxsize=1024)
def _control_bits(method: str, value: int | None, language: str | None) -> Mapping[str, str]:
    # ``language`` is in the key only: ``ngettext`` reads the active one itself.
    bits = {"voted": " voted" if value else ""}
    if method == "approval":
        bits |= {
            "yes_cls": "btn-success" if value == 1 else "btn-outline-success",
            "yes_pressed": "true" if value == 1 else "false",
            "no_cls": "btn-secondary" if value == 0 else "btn-outline-secondary",
            "no_pressed": "true" if value == 0 else "false",
        }
    elif method == "dots":
        n = value or 0
        bits |= {
            "minus": str(n - 1),
            "minus_disabled": "" if n else " disabled",
            "dots": "●" * n,
            "given": str(conditional_escape(ngettext("%(n)s dot", "%(n)s dots", n) % {"n": n})),
            "plus": str(n + 1),
        }
    return MappingProxyType(bits)


def card_slot_values(method: str, pid: int | str, value: int | None) -> dict[str, str]:
    """The slot values of one card's bits (see ``vote_bits``)."""
    return {f"{pid}:{k}": v for k, v in control_bits(method, value).items()}


class ScoreSlot:
    """Stands for a person's score on one criterion of one card in the shared rendering."""

    def __init__(self, slots, pid, criterion_id):
        self.prefix = f"{pid}:s:{criterion_id}"
        self.slots = slots


def score_slot_name(pid, criterion_id, n: int) -> str:
    return f"{pid}:s:{criterion_id}:{n}"


@register.filter
def vote_bits(card: dict, method: str) -> dict:
    """``control_bits`` for a card, or its slots when the card is drawn for sharing."""
    get = card.get if isinstance(card, dict) else lambda key: getattr(card, key, None)
    slots = get("slots")
    if slots:
        return {k: slots.slot(f"{get('pid')}:{k}") for k in BITS[method]}
    return control_bits(method, get("value"))


@register.filter
def score_checked(value, n: int) -> str:
    """' checked' on the radio of the score given (or its slot on a shared rendering)."""
    if isinstance(value, ScoreSlot):
        return value.slots.slot(f"{value.prefix}:{n}")
    return " checked" if value == n else ""
