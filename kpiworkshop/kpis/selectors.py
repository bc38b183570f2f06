"""Reads the proposal pages need, each with its joins, so a page's query count is fixed here.

A proposal that was merged into another shows its comments, suggestions and supporters on the
proposal it was merged into: every read below takes "the proposal and its merged children"."""

import difflib
import re
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    Count,
    F,
    Prefetch,
    Q,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kpiworkshop.workshops.models import Participant, Workshop
from kpiworkshop.workshops.moderation import ModeratedKind, Moderation, shown_or_authored_by

from .models import (
    CHOICE_FIELDS,
    DEFINITION_FIELDS,
    LIST_CHOICES,
    Category,
    Channel,
    Comment,
    DuplicateCandidate,
    LibraryKPI,
    Proposal,
    ProposalState,
    Revision,
    Stance,
    Suggestion,
    Support,
)
from .similarity import DUPLICATE_THRESHOLD
from .targets import targets_text

SORTS = ("newest", "discussed")


def proposals_for_board(
    *,
    workshop: Workshop,
    actor: Participant | None,
    category: str = "",
    channel: str = "",
    state: str = "",
    mine: bool = False,
    author: Participant | None = None,
    q: str = "",
    sort: str = "newest",
    limit: int = 500,
    offset: int = 0,
) -> list[Proposal]:
    """The board: proposals with their current revision and counts, in one query. ``mine``
    keeps ``author``'s proposals (``actor``'s when no author is given)."""
    qs = Proposal.objects.filter(workshop=workshop).select_related("current_revision", "author")
    # No state chosen: what is on the board (open and decided), not withdrawn or merged ones.
    on_board = qs.visible().exclude(state=ProposalState.WITHDRAWN)
    qs = qs.filter(state=state) if state else on_board
    if category:
        qs = qs.filter(current_revision__category=category)
    if channel:
        # Channels are a JSON list of plain tokens; the quoted token matches exactly one value.
        qs = qs.filter(current_revision__channels__icontains=f'"{channel}"')
    if mine:
        author = author if author is not None else actor
        qs = qs.filter(author=author) if author is not None else qs.none()
    q = (q or "").strip()[:100]
    if q:
        qs = qs.filter(
            Q(current_revision__name__icontains=q) | Q(current_revision__measures__icontains=q)
        )
    qs = qs.order_by("-created_at", "-id")
    if sort != "discussed":
        proposals = list(qs[offset : offset + limit])
        attach_counts(proposals, workshop=workshop, actor=actor)
        return proposals
    # Most discussed: the counts decide the order, so all are counted (grouped queries), then
    # sorted and sliced here; a workshop's board holds hundreds of proposals, not millions.
    proposals = list(qs)
    attach_counts(proposals, workshop=workshop, actor=actor)
    proposals.sort(key=lambda p: (-p.comment_count, -p.supporter_count))  # stable: newest next
    return proposals[offset : offset + limit]


def _root(only: list[int] | None = None):
    """A row's family: the proposal it belongs to, or the one that proposal was merged into.
    A proposal named in ``only`` keeps its own rows even if it was merged (its own page)."""
    merged_or_own = Coalesce("proposal__merged_into_id", "proposal_id")
    if not only:
        return merged_or_own
    return Case(When(proposal_id__in=only, then=F("proposal_id")), default=merged_or_own)


def attach_counts(
    proposals: list[Proposal],
    *,
    workshop: Workshop,
    actor: Participant | None,
    only: list[int] | None = None,
) -> None:
    """Set comment (total and per stance, hidden ones excluded), open-suggestion and distinct
    supporter counts, merged children included, and ``i_support``, on every proposal.

    Four grouped queries over the workshop, whatever the number of proposals: each row is
    counted once for its family root, so the cost grows with the rows, not rows × proposals
    (as correlated subqueries per proposal would). ``only`` narrows the rows to the families
    of those proposal ids (one proposal's page). The one implementation of these counts."""
    scope = Q(proposal__workshop=workshop)
    if only is not None:
        scope &= Q(proposal_id__in=only) | Q(proposal__merged_into_id__in=only)
    comments: dict[int, dict[str, int]] = {}
    for root, stance, n in (
        Comment.objects.filter(scope, hidden_at__isnull=True, moderation=Moderation.SHOWN)
        .annotate(root=_root(only))
        .values_list("root", "stance")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_stance = comments.setdefault(root, {})
        by_stance[stance or ""] = by_stance.get(stance or "", 0) + n
    suggestions = dict(
        Suggestion.objects.filter(scope, state="open")
        .annotate(root=_root(only))
        .values_list("root")
        .annotate(n=Count("id"))
        .order_by()
    )
    supporters = dict(
        Support.objects.filter(scope)
        .annotate(root=_root(only))
        .values_list("root")
        .annotate(n=Count("participant_id", distinct=True))
        .order_by()
    )
    mine: set[int] = set()
    earlier: set[int] = set()  # supported on a revision that is no longer current (issue 20)
    if actor is not None:
        for root, revision_id, current_id in (
            Support.objects.filter(scope, participant=actor)
            .annotate(root=_root(only))
            .values_list("root", "revision_id", "proposal__current_revision_id")
        ):
            mine.add(root)
            if revision_id is not None and revision_id != current_id:
                earlier.add(root)
    for p in proposals:
        by_stance = comments.get(p.pk, {})
        p.comment_count = sum(by_stance.values())
        for stance in Stance.values:
            setattr(p, f"{stance}_count", by_stance.get(stance, 0))
        p.open_suggestion_count = suggestions.get(p.pk, 0)
        p.supporter_count = supporters.get(p.pk, 0)
        p.i_support = p.pk in mine
        p.i_support_earlier = p.pk in earlier


def proposal_get(*, workshop: Workshop, proposal_id: int) -> Proposal | None:
    return (
        Proposal.objects.filter(workshop=workshop, pk=proposal_id)
        .select_related("current_revision", "author", "merged_into__current_revision", "workshop")
        .first()
    )


@dataclass
class ProposalDetail:
    proposal: Proposal
    revisions: list[Revision]
    comments: list[Comment]  # top level, with ``thread`` replies prefetched
    suggestions: list[Suggestion]
    merged_children: list[Proposal] = field(default_factory=list)
    supporters: list[Participant] = field(default_factory=list)


def proposal_detail(
    *, proposal: Proposal, actor: Participant | None, with_comments: bool = True
) -> ProposalDetail:
    """Everything the proposal page shows, merged children's comments, suggestions and
    supporters included. ``with_comments=False``: no comments (the page takes its comment
    list from the shared fragment, ``fragments.comment_list``)."""
    attach_counts([proposal], workshop=proposal.workshop, actor=actor, only=[proposal.pk])
    children = list(
        Proposal.objects.filter(merged_into=proposal).select_related("current_revision", "author")
    )
    family = [proposal.pk, *[c.pk for c in children]]
    revisions = list(
        Revision.objects.filter(proposal=proposal)
        .select_related("author", "credited_to")
        .order_by("-number")
    )
    comments = _comments_of(family, actor) if with_comments else []
    suggestions = list(
        Suggestion.objects.filter(proposal_id__in=family)
        .select_related("author", "decided_by", "base_revision", "resulting_revision")
        .order_by("state", "-created_at")
    )
    supporters = list(
        Participant.objects.filter(
            pk__in=Support.objects.filter(proposal_id__in=family).values("participant_id")
        ).order_by("display_name")
    )
    return ProposalDetail(proposal, revisions, comments, suggestions, children, supporters)


def _comments_of(family, actor: Participant | None) -> list[Comment]:
    """The top-level comments of a proposal family (its ids, or a subquery of them) with their
    replies (``thread``). Waiting or hidden ones only to their author: the facilitator decides
    on them in the queue."""
    seen = shown_or_authored_by(actor)
    replies = (
        Comment.objects.filter(seen)
        .select_related("author", "hidden_by")
        .order_by("created_at", "id")
    )
    return list(
        Comment.objects.filter(seen, proposal_id__in=family, parent__isnull=True)
        .select_related("author", "hidden_by")
        .prefetch_related(Prefetch("replies", queryset=replies, to_attr="thread"))
        .order_by("created_at", "id")
    )


def proposal_comments(*, proposal: Proposal, actor: Participant | None) -> list[Comment]:
    """The comment list of a proposal's page alone: two queries (the proposals merged into
    it are a subquery). ``actor=None``: only what the whole room sees (the shared list,
    ``fragments.comment_list``)."""
    family = Proposal.objects.filter(Q(pk=proposal.pk) | Q(merged_into=proposal)).values("pk")
    return _comments_of(family, actor)


def comments_unshown_of(*, proposal: Proposal, actor: Participant | None) -> list[Comment]:
    """The viewer's own comments on a proposal (or on one merged into it) that the room does
    not see: waiting for the facilitator, or hidden with a reason. Shown to them beside the
    shared list, never in it. One query (none for a viewer who has not joined)."""
    if actor is None:
        return []
    return list(
        Comment.objects.filter(Q(proposal=proposal) | Q(proposal__merged_into=proposal))
        .filter(author=actor)
        .exclude(moderation=Moderation.SHOWN)
        .select_related("author")
        .order_by("created_at", "id")
    )


def revision_pair(*, proposal: Proposal, a: int, b: int) -> tuple[Revision, Revision] | None:
    found = {
        r.number: r
        for r in Revision.objects.filter(proposal=proposal, number__in=[a, b]).select_related(
            "author", "credited_to"
        )
    }
    if a not in found or b not in found:
        return None
    return found[a], found[b]


# --- Diffs ------------------------------------------------------------------------------------

_WORDS = re.compile(r"(\s+)")


def word_diff(old: str, new: str) -> SafeString:
    """Escaped HTML of ``new`` against ``old``, words removed in <del> and added in <ins>."""
    a, b = _WORDS.split(old or ""), _WORDS.split(new or "")
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(''.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(''.join(b[j1:j2]))}</ins>")
    return mark_safe("".join(out))  # noqa: S308 - every piece of user text is escaped above


def display_value(field_name: str, value) -> str:
    """A definition value as a reader sees it: labels for choices and lists, dated targets
    in words (one period per line)."""
    if field_name == "targets":
        return targets_text(value)
    if field_name in LIST_CHOICES:
        choices = LIST_CHOICES[field_name]
        return ", ".join(str(choices(v).label) for v in value or [] if v in choices.values)
    if field_name in CHOICE_FIELDS:
        choices = dict(Revision._meta.get_field(field_name).choices)
        return str(choices.get(value, value or ""))
    return value or ""


def field_label(name: str) -> str:
    """The label people see for a definition field ("What it measures"), in the active
    language; an unknown name is returned as it is."""
    if name not in DEFINITION_FIELDS:
        return name
    return str(capfirst(Revision._meta.get_field(name).verbose_name))


def suggestion_audit_text(event) -> str:
    """A suggestion in the history: the labels of the fields it changes, in the reader's
    language. Older events kept the field names in their label, comma separated."""
    fields = event.details.get("fields")
    if not isinstance(fields, list):
        fields = [f.strip() for f in event.target_label.split(",") if f.strip()]
    return ", ".join(field_label(str(f)) for f in fields)


def comment_audit_text(event) -> str:
    """A comment in the history: its number and stance, in the reader's language."""
    if "stance" not in event.details:  # older events: the label as it was written
        return event.target_label
    stance = event.details.get("stance")
    label = Stance(stance).label if stance in Stance.values else _("comment")
    return f"#{event.target_id} ({label})"


@dataclass
class FieldDiff:
    name: str
    label: str
    old: str
    new: str
    html: SafeString


def revision_diff(a: Revision, b: Revision, *, hidden: frozenset[str] = frozenset()) -> list:
    """Field-by-field differences from ``a`` to ``b``; fields in ``hidden`` are left out."""
    diffs = []
    for name in DEFINITION_FIELDS:
        if name in hidden:
            continue
        old = display_value(name, getattr(a, name))
        new = display_value(name, getattr(b, name))
        if old == new:
            continue
        diffs.append(FieldDiff(name, field_label(name), old, new, word_diff(old, new)))
    return diffs


# --- Duplicates ------------------------------------------------------------------------------


@dataclass
class DuplicatePair:
    first: Proposal
    second: Proposal
    score: float


def duplicate_pairs(
    *, workshop: Workshop, threshold: float = DUPLICATE_THRESHOLD
) -> list[DuplicatePair]:
    """Pairs of the workshop's open proposals that look like the same KPI, most similar first.
    The older of a pair comes first: it is the natural one to merge into. One query: the
    pairs were found when each revision was written (``services._duplicates_refresh``)."""
    candidates = (
        DuplicateCandidate.objects.filter(
            workshop=workshop,
            first__state=ProposalState.OPEN,
            second__state=ProposalState.OPEN,
            first__moderation=Moderation.SHOWN,
            second__moderation=Moderation.SHOWN,
            score__gte=threshold,
        )
        .select_related("first__current_revision", "second__current_revision")
        # A pair shows two names and two links: nothing else is read (a page lists hundreds).
        .only(
            "score",
            "first__state",
            "first__current_revision__name",
            "second__state",
            "second__current_revision__name",
        )
        .order_by("-score", "first_id", "second_id")
    )
    return [DuplicatePair(c.first, c.second, c.score) for c in candidates]


def mergeable_proposals(*, workshop: Workshop) -> list[Proposal]:
    """Proposals the facilitator may merge by hand: the live ones, oldest first."""
    return list(
        Proposal.objects.filter(
            workshop=workshop,
            state__in=[ProposalState.OPEN, ProposalState.CHANGES_REQUESTED],
            moderation=Moderation.SHOWN,
        )
        .select_related("current_revision")
        # Two lists of every live proposal on the page: only what an option shows.
        .only("id", "created_at", "current_revision__id", "current_revision__name")
        .order_by("created_at", "id")
    )


def merged_proposals(*, workshop: Workshop) -> list[Proposal]:
    return list(
        Proposal.objects.filter(workshop=workshop, state=ProposalState.MERGED)
        .select_related("current_revision", "merged_into__current_revision")
        .order_by("-merged_at")
    )


# --- Library ---------------------------------------------------------------------------------


def library_kpis(*, category: str = "", channel: str = "", q: str = "") -> list[LibraryKPI]:
    # Only known values reach the database: anything else (a typo, a NUL byte from a hostile
    # query string, which PostgreSQL refuses outright) simply matches nothing.
    if (category and category not in Category.values) or (
        channel and channel not in Channel.values
    ):
        return []
    qs = LibraryKPI.objects.all()
    if category:
        qs = qs.filter(category=category)
    if channel:
        qs = qs.filter(channels__icontains=f'"{channel}"')
    items = list(qs)
    q = (q or "").strip().lower()[:100]
    if q:
        # Search the texts in every language: the library is small (dozens of rows).
        items = [
            k
            for k in items
            if any(
                q in (t.get("name", "") + " " + t.get("measures", "")).lower()
                for t in k.translations.values()
            )
        ]
    return items


def library_get(*, slug: str) -> LibraryKPI | None:
    return LibraryKPI.objects.filter(slug=slug).first()


def comment_get(*, comment_id: int) -> Comment | None:
    """A comment by id (a reply's parent: ``comment_create`` checks it is on the proposal)."""
    return Comment.objects.filter(pk=comment_id).first()


def _family(proposal: Proposal) -> set[int]:
    """The proposal and those merged into it: their comments and suggestions show on it."""
    return {proposal.pk} | set(proposal.merged_children.values_list("pk", flat=True))


def comment_on(*, proposal: Proposal, comment_id: int) -> Comment | None:
    """A comment shown on ``proposal`` (its own or one of a proposal merged into it), or None."""
    comment = Comment.objects.filter(
        pk=comment_id, proposal__workshop_id=proposal.workshop_id
    ).first()
    if comment is None or comment.proposal_id not in _family(proposal):
        return None
    return comment


def suggestion_on(*, proposal: Proposal, suggestion_id: int) -> Suggestion | None:
    """A suggestion shown on ``proposal`` (its own or one of a proposal merged into it)."""
    return Suggestion.objects.filter(pk=suggestion_id, proposal_id__in=_family(proposal)).first()


# --- Moderation (workshops/moderation.py) ----------------------------------------------------


def _proposal_url(workshop_id: int, proposal_id: int) -> str:
    return reverse("kpis:detail", args=[workshop_id, proposal_id])


def _comment_about(comment: Comment) -> str:
    revision = comment.proposal.current_revision
    return revision.name if revision is not None else f"#{comment.proposal_id}"


def _proposal_text(proposal: Proposal) -> str:
    revision = proposal.current_revision
    if revision is None:
        return ""
    return f"{revision.name}\n\n{revision.measures}"


#: The open texts of this app that a workshop's moderation holds (registered from
#: AppConfig.ready): comments, and new proposals (their name and what they measure).
MODERATED_KINDS = [
    ModeratedKind(
        key="comment",
        label=_("Comment"),
        model_label="kpis.Comment",
        workshop_lookup="proposal__workshop",
        select_related=("proposal__current_revision",),
        text=lambda c: c.body,
        about=_comment_about,
        url=lambda c: _proposal_url(c.proposal.workshop_id, c.proposal_id) + f"#comment-{c.pk}",
    ),
    ModeratedKind(
        key="proposal",
        label=_("KPI proposal"),
        model_label="kpis.Proposal",
        workshop_lookup="workshop",
        select_related=("current_revision",),
        text=_proposal_text,
        about=lambda p: "",
        url=lambda p: _proposal_url(p.workshop_id, p.pk),
    ),
]


def proposals_waiting_for(*, workshop: Workshop, actor: Participant | None) -> list[Proposal]:
    """The actor's own proposals that the room does not see yet (waiting for the facilitator)
    or will not (hidden, with the reason): shown to their author above the board."""
    if actor is None:
        return []
    return list(
        Proposal.objects.filter(workshop=workshop, author=actor)
        .exclude(moderation=Moderation.SHOWN)
        .select_related("current_revision")
        .order_by("-created_at", "-id")
    )
