"""The session report: for each block, planned and actual time, who took part (people per
stakeholder group, never names) and what it produced; as a page, CSV and PDF.

Activity is read once for the whole session, source by source (a fixed number of queries
whatever the number of blocks, people or votes) and put into the blocks' time windows here.
What is read of a vote is who touched it and when — never what they chose — and only counts
leave this module: the people active in a block per group (for a vote, the turnout the board
already shows per group), the votes cast overall.
"""

import csv
import io
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kpiworkshop.accounts.models import Role
from kpiworkshop.kpis.models import Comment, Proposal, Suggestion, Support
from kpiworkshop.voting.models import Ballot, Vote
from kpiworkshop.workshops.models import Workshop

from .models import Block, RunSheet

#: The things a block can produce, in the order the report shows them.
PRODUCTS = ("proposals", "comments", "suggestions", "votes", "links", "rounds")


@dataclass
class BlockReport:
    block: Block
    planned_seconds: int
    actual_seconds: int | None
    people: dict[str, int] = field(default_factory=dict)  # role -> people active
    produced: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PRODUCTS, 0))
    groups: list[tuple[str, int]] = field(default_factory=list)  # (group label, people)
    outputs: list[tuple[str, int]] = field(default_factory=list)  # (product label, count)

    @property
    def people_total(self) -> int:
        return sum(self.people.values())

    @property
    def difference_abs_seconds(self) -> int | None:
        difference = self.difference_seconds
        return None if difference is None else abs(difference)

    @property
    def difference_seconds(self) -> int | None:
        if self.actual_seconds is None:
            return None
        return self.actual_seconds - self.planned_seconds


@dataclass
class SessionReport:
    sheet: RunSheet
    rows: list[BlockReport]
    roles: list[tuple[str, str]]  # (role, label) of the groups that took part
    planned_seconds: int
    actual_seconds: int | None


def _activity(workshop: Workshop, start: datetime, end: datetime):
    """(kind, participant id, role, when) of everything done in the workshop in the window."""
    window = {"created_at__gte": start, "created_at__lt": end}
    sources = [
        (
            "proposals",
            Proposal.objects.filter(workshop=workshop, **window).values_list(
                "author_id", "author__role", "created_at"
            ),
        ),
        (
            "comments",
            Comment.objects.filter(proposal__workshop=workshop, **window).values_list(
                "author_id", "author__role", "created_at"
            ),
        ),
        (
            "suggestions",
            Suggestion.objects.filter(proposal__workshop=workshop, **window).values_list(
                "author_id", "author__role", "created_at"
            ),
        ),
        (
            None,  # a support is taking part, not a product
            Support.objects.filter(proposal__workshop=workshop, **window).values_list(
                "participant_id", "participant__role", "created_at"
            ),
        ),
        (
            "votes",
            Vote.objects.filter(
                ballot__workshop=workshop, updated_at__gte=start, updated_at__lt=end
            ).values_list("participant_id", "role", "updated_at"),
        ),
    ]
    for model_name in ("GoalLink", "AudienceLink"):
        model = apps.get_model("mapping", model_name)
        sources.append(
            (
                "links",
                model.objects.filter(proposal__workshop=workshop, **window).values_list(
                    "created_by_id", "created_by__role", "created_at"
                ),
            )
        )
    # The KPI tree's links (issue 20): a link proposed in the block is what it produced.
    tree_link = apps.get_model("mapping", "TreeLink")
    sources.append(
        (
            "links",
            tree_link.objects.filter(workshop=workshop, **window).values_list(
                "proposed_by_id", "proposed_by__role", "created_at"
            ),
        )
    )
    for kind, rows in sources:
        for participant_id, role, when in rows:
            yield kind, participant_id, role, when


def session_report(*, sheet: RunSheet, blocks: list[Block]) -> SessionReport:
    """The report of a sheet's blocks (in order). Blocks not run yet have no actual time."""
    ran = [b for b in blocks if b.started_at is not None]
    rows = [
        BlockReport(
            block=b,
            planned_seconds=b.planned_minutes * 60,
            actual_seconds=(
                b.actual_seconds
                if b.ended_at is not None
                else (
                    max(0, b.allowed_seconds - (b.remaining_seconds() or 0))
                    if b.started_at is not None
                    else None
                )
            ),
        )
        for b in blocks
    ]
    by_block = {r.block.pk: r for r in rows}
    people: dict[int, dict[str, set[int]]] = {b.pk: {} for b in ran}
    if ran:
        ran.sort(key=lambda b: b.started_at)
        starts = [b.started_at for b in ran]
        now = timezone.now()
        end = sheet.finished_at or now
        for kind, participant_id, role, when in _activity(sheet.workshop, starts[0], end):
            i = bisect_right(starts, when) - 1
            if i < 0:
                continue
            block = ran[i]
            if block.ended_at is not None and when >= block.ended_at:
                continue  # between blocks (cannot happen while moving on is one step)
            people[block.pk].setdefault(role, set()).add(participant_id)
            if kind is not None:
                by_block[block.pk].produced[kind] += 1
        for ballot_opened in Ballot.objects.filter(
            workshop=sheet.workshop, opened_at__gte=starts[0], opened_at__lt=end
        ).values_list("opened_at", flat=True):
            i = bisect_right(starts, ballot_opened) - 1
            if i >= 0:
                by_block[ran[i].pk].produced["rounds"] += 1
    seen_roles = set()
    for block_id, groups in people.items():
        by_block[block_id].people = {role: len(ids) for role, ids in groups.items()}
        seen_roles |= groups.keys()
    roles = [(r.value, r.label) for r in Role if r.value in seen_roles]
    labels = product_labels()
    for row in rows:
        row.groups = [(label, row.people[role]) for role, label in roles if row.people.get(role)]
        row.outputs = [(labels[p], row.produced[p]) for p in PRODUCTS if row.produced[p]]
    actual = [r.actual_seconds for r in rows if r.actual_seconds is not None]
    return SessionReport(
        sheet=sheet,
        rows=rows,
        roles=roles,
        planned_seconds=sum(r.planned_seconds for r in rows),
        actual_seconds=sum(actual) if actual else None,
    )


def product_labels() -> dict[str, str]:
    return {
        "proposals": _("Proposals"),
        "comments": _("Comments"),
        "suggestions": _("Suggested edits"),
        "votes": _("Votes"),
        "links": _("Links"),
        "rounds": _("Rounds opened"),
    }


def report_csv(report: SessionReport) -> str:
    """One line per block; times in seconds and minutes; people per group; what it produced.
    Headers in the reader's language, numbers plain (for spreadsheets)."""
    out = io.StringIO()
    writer = csv.writer(out)
    labels = product_labels()
    writer.writerow(
        [
            _("Position"),
            _("Block"),
            _("Planned minutes"),
            _("Actual minutes"),
            _("Actual seconds"),
            _("Started"),
            _("Ended"),
            _("Action"),
            _("Action outcome"),
            _("People taking part"),
            *[_("People: %(group)s") % {"group": label} for _role, label in report.roles],
            *[labels[p] for p in PRODUCTS],
        ]
    )
    for row in report.rows:
        block = row.block
        writer.writerow(
            [
                block.position + 1,
                _csv_safe(block.title_text),
                block.planned_minutes,
                "" if row.actual_seconds is None else f"{row.actual_seconds / 60:.1f}",
                "" if row.actual_seconds is None else row.actual_seconds,
                block.started_at.isoformat(timespec="seconds") if block.started_at else "",
                block.ended_at.isoformat(timespec="seconds") if block.ended_at else "",
                block.get_action_display() if block.action else "",
                block.get_action_outcome_display() if block.action else "",
                row.people_total,
                *[row.people.get(role, 0) for role, _label in report.roles],
                *[row.produced[p] for p in PRODUCTS],
            ]
        )
    return out.getvalue()


def _csv_safe(text: str) -> str:
    """A spreadsheet must not run a typed title as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _no_network(url: str, *args, **kwargs):
    raise ValueError(f"the report PDF loads nothing from outside: {url}")


def report_pdf(report: SessionReport, *, context: dict) -> bytes:
    """The report as a PDF (WeasyPrint), tagged, nothing fetched from the network."""
    from weasyprint import HTML  # heavy: loaded only when a PDF is asked for

    html = render_to_string("runsheet/report_pdf.html", context)
    return HTML(string=html, url_fetcher=_no_network).write_pdf(pdf_tags=True)


def report_language() -> str:
    return translation.get_language() or "en"
