"""The release's exports: the PDF training pack (whole and per audience), CSV, JSON and
Markdown, built by the publish task and kept in Django's storage.

Every export is in the release's language and is safe to hand to anyone in the organisation:
fields marked internal-only are left out, vote figures are totals and per-group results only
(never names), text is the sanitised text, and CSV cells cannot start a spreadsheet formula.
"""

import csv
import datetime
import io
import json
from collections.abc import Callable
from pathlib import Path

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kpiworkshop.approval.models import Decision
from kpiworkshop.approval.selectors import vote_group_label
from kpiworkshop.kpis import definition_fields
from kpiworkshop.kpis.models import (
    LIST_CHOICES,
    Category,
    Direction,
    Frequency,
)
from kpiworkshop.kpis.permissions import fields_hidden
from kpiworkshop.kpis.targets import targets_cell, targets_export
from kpiworkshop.mapping.models import Relation, Strength

from ..certification import certification_of, certification_text
from ..models import (
    CatalogEntry,
    CatalogRelease,
    Export,
    ExportFormat,
    new_export_token,
)
from ..tree_snapshot import tree_attach, tree_pack
from . import packview, pdfpack

#: Bumped when the JSON document changes shape (schema/catalog-release.schema.json).
JSON_SCHEMA_VERSION = "1.1"

#: CSV columns, in order (docs/facilitator-guide.md lists what each holds).
CSV_COLUMNS = [
    "kpi_uid", "name", "category", "measures", "why", "numerator", "denominator", "unit",
    "direction", "baseline", "target", "thresholds", "frequency", "data_sources", "channels",
    "breakdowns", "purposes", "owner", "gaming_risks", "counter_metric", "goals", "audiences",
    "pilot_until", "how_to_read", "when_it_moves", "pitfalls", "worked_example", "decisions",
    "change", "certification", "targets", "tree_links",
    # Issue 20: the KPI design template's fields (definition_fields.py), after the others so
    # that a spreadsheet reading columns by position keeps working.
    *definition_fields.USE_FIELDS,
]  # fmt: skip
NOTE_KEYS = ["how_to_read", "when_it_moves", "pitfalls", "worked_example"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(text) -> str:
    """User text with any HTML removed (the sanitised text), for CSV, JSON and Markdown."""
    if text is None:
        return ""
    return (
        nh3.clean(str(text), tags=set())
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&#39;", "'")
    )


def neutralise(cell: str) -> str:
    """A spreadsheet reads a cell starting with = + - @ as a formula: prefix a quote."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value or ""


def _list_labels(field: str, values) -> list[str]:
    return [_label(LIST_CHOICES[field], v) for v in values or []]


def _notes(entry: CatalogEntry, language: str) -> dict:
    notes = entry.training_notes or {}
    chosen = notes.get(language) or next(iter(notes.values()), {})
    return {k: plain(chosen.get(k, "")) for k in NOTE_KEYS}


def _decision_label(value: str) -> str:
    return _label(Decision, value)


def entry_document(
    entry: CatalogEntry, language: str, change: str = "", *, release_version: str = ""
) -> dict:
    """One entry as the exports show it (internal-only fields left out), in the active
    language."""
    hidden = fields_hidden(entry.internal_fields, see_internal=False)  # exports are public
    d = {k: v for k, v in (entry.definition or {}).items() if k not in hidden}
    text = {k: plain(v) for k, v in d.items() if not isinstance(v, list)}
    return {
        "kpi_uid": str(entry.kpi_uid),
        "name": plain(entry.name),
        "category": entry.category,
        "category_label": _label(Category, entry.category),
        "measures": text.get("measures", ""),
        "why": text.get("why", ""),
        "numerator": text.get("numerator", ""),
        "denominator": text.get("denominator", ""),
        "unit": text.get("unit", ""),
        "direction": d.get("direction", ""),
        "direction_label": _label(Direction, d.get("direction", "")),
        "baseline": text.get("baseline", ""),
        "target": text.get("target", ""),
        "thresholds": text.get("thresholds", ""),
        "targets": targets_export(d.get("targets"), direction=d.get("direction", "")),
        "frequency": d.get("frequency", ""),
        "frequency_label": _label(Frequency, d.get("frequency", "")),
        "data_sources": text.get("data_sources", ""),
        "channels": _list_labels("channels", d.get("channels")),
        "breakdowns": _list_labels("breakdowns", d.get("breakdowns")),
        "purposes": _list_labels("purposes", d.get("purposes")),
        "owner": text.get("owner", ""),
        "gaming_risks": text.get("gaming_risks", ""),
        **definition_fields.export_values(d, text),
        # Issue 19: how it is computed (dataset, spec, the dataset's columns), or None.
        "computable": d.get("computable") or None,
        "counter_metric": plain(entry.counter_metric),
        "goals": [
            {
                "slug": g.get("slug", ""),
                "name": plain(g.get("name")),
                "kind": g.get("kind", ""),
                "kind_label": _label(Strength, g.get("kind", "")),
            }
            for g in entry.goals or []
        ],
        "audiences": [
            {
                "slug": a.get("slug", ""),
                "name": plain(a.get("name")),
                "kind": a.get("kind", ""),
                "kind_label": _label(Relation, a.get("kind", "")),
            }
            for a in entry.audiences or []
        ],
        "pilot_until": entry.pilot_until.isoformat() if entry.pilot_until else None,
        "training_notes": _notes(entry, language),
        "decisions": [
            {
                "decision": x.get("decision"),
                "decision_label": _decision_label(x.get("decision", "")),
                "reason": plain(x.get("reason")),
                "approver": plain(x.get("approver")),
                "pilot_until": x.get("pilot_until"),
                "current": bool(x.get("current")),
            }
            for x in entry.decisions or []
        ],
        # Issue 20: "approved in release X by …, on …" (certification.py).
        "certification": certification_of(entry, release_version=release_version),
        "votes": [
            {
                "ballot": plain(v.get("ballot")),
                "method": v.get("method", ""),
                "secret": bool(v.get("secret")),
                "percent": v.get("percent"),
                "voters": v.get("voters"),
                "groups": [
                    {
                        "role": g.get("role", ""),
                        "label": vote_group_label(g),
                        "percent": g.get("percent"),
                    }
                    for g in v.get("groups") or []
                ],
            }
            for v in entry.votes or []
        ],
        "change": change,
    }


def release_document(
    release: CatalogRelease, entries: list[CatalogEntry], *, audience: str = ""
) -> dict:
    """The whole release as one document (the JSON export; the other formats render it).
    Call inside ``translation.override(release.language)``."""
    log = release.changelog or {}
    status = {c["kpi_uid"]: "added" for c in log.get("added", [])} | {
        c["kpi_uid"]: "changed" for c in log.get("changed", [])
    }
    if audience:
        entries = [e for e in entries if audience in {a.get("slug") for a in e.audiences or []}]
        # An audience's pack lists only its own KPIs' changes: a retired KPI is news for the
        # audiences it had in the previous release, and "unchanged" counts its own KPIs.
        shown = {str(e.kpi_uid) for e in entries}
        was_theirs = _previous_kpis(release, audience) if log.get("retired") else set()
        log = log | {
            "added": [c for c in log.get("added", []) if c["kpi_uid"] in shown],
            "changed": [c for c in log.get("changed", []) if c["kpi_uid"] in shown],
            "retired": [c for c in log.get("retired", []) if c["kpi_uid"] in was_theirs],
            "unchanged": sum(1 for uid in shown if uid not in status),
        }
    doc = {
        "schema_version": JSON_SCHEMA_VERSION,
        "organisation": plain(release.organisation.name),
        "version": release.version,
        "language": release.language,
        "effective_date": release.effective_date.isoformat(),
        "next_review": release.next_review.isoformat() if release.next_review else None,
        "published_at": release.published_at.isoformat(),
        "published_by": plain(release.published_by_name),
        "workshop": plain(release.workshop.title) if release.workshop else None,
        "release_notes": plain(release.release_notes),
        "audience": audience or None,
        "changelog": {
            "previous_version": release.previous.version if release.previous else None,
            "added": [
                {"kpi_uid": c["kpi_uid"], "name": plain(c["name"])} for c in log.get("added", [])
            ],
            "changed": [
                {
                    "kpi_uid": c["kpi_uid"],
                    "name": plain(c["name"]),
                    "fields": [f["field"] for f in c["fields"]],
                }
                for c in log.get("changed", [])
            ],
            "retired": [
                {"kpi_uid": c["kpi_uid"], "name": plain(c["name"]), "reason": plain(c["reason"])}
                for c in log.get("retired", [])
            ],
            "unchanged": log.get("unchanged", 0),
        },
        "entries": [
            entry_document(
                e,
                release.language,
                status.get(str(e.kpi_uid), "unchanged"),
                release_version=release.version,
            )
            for e in entries
        ],
    }
    return tree_attach(doc, release.tree)


def _previous_kpis(release: CatalogRelease, audience: str) -> set[str]:
    """The KPIs (uids) that were ``audience``'s in the release before ``release``."""
    if not release.previous_id:
        return set()
    rows = CatalogEntry.objects.filter(release_id=release.previous_id).values_list(
        "kpi_uid", "audiences"
    )
    return {
        str(uid) for uid, audiences in rows if audience in {a.get("slug") for a in audiences or []}
    }


SCHEMA_PATH = Path(__file__).parent.parent / "schema" / "catalog-release.schema.json"


def render_json(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=2).encode()


def render_csv(doc: dict) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for e in doc["entries"]:
        notes = e["training_notes"]
        row = {
            **{k: e.get(k, "") for k in CSV_COLUMNS},
            "category": e["category_label"],
            "direction": e["direction_label"],
            "frequency": e["frequency_label"],
            **{k: e[f"{k}_label"] for k in definition_fields.CHOICES},
            "channels": "; ".join(e["channels"]),
            "breakdowns": "; ".join(e["breakdowns"]),
            "purposes": "; ".join(e["purposes"]),
            "goals": "; ".join(g["name"] for g in e["goals"]),
            "audiences": "; ".join(a["name"] for a in e["audiences"]),
            "pilot_until": e["pilot_until"] or "",
            "targets": targets_cell(e.get("targets") or []),
            "tree_links": "; ".join(f"{t['kind_label']} {t['to_name']}" for t in e["tree_links"]),
            **{k: notes.get(k, "") for k in NOTE_KEYS},
            "decisions": " | ".join(
                f"{d['decision_label']}: {d['reason']} ({d['approver']})"
                for d in e["decisions"]
                if d["current"]
            ),
            "certification": certification_text(e["certification"]),
        }
        writer.writerow([neutralise(str(row.get(k) or "")) for k in CSV_COLUMNS])
    # The BOM makes spreadsheets read the file as UTF-8 (accents right).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _md_block(text: str) -> str:
    return text.strip() + "\n\n" if text.strip() else ""


def render_markdown_export(doc: dict) -> bytes:
    out = [f"# {_('KPI catalogue')} {doc['version']} — {doc['organisation']}\n\n"]
    out.append(f"{_('Effective from')}: {doc['effective_date']}\n\n")
    if doc["next_review"]:
        out.append(f"{_('Next review')}: {doc['next_review']}\n\n")
    out.append(_md_block(doc["release_notes"]))
    out.append(f"## {_('Changes')}\n\n")
    out.append(_changelog_md(doc["changelog"]))
    for e in doc["entries"]:
        out.append(f"## {e['name']}\n\n")
        out.append(f"*{e['category_label']}*\n\n")
        if e["certification"]:
            out.append(f"**{_('Certified')}:** {certification_text(e['certification'])}\n\n")
        for key, label in _definition_labels():
            value = e.get(key)
            if isinstance(value, list):
                value = ", ".join(value)
            if value:
                out.append(f"**{label}:** {value}\n\n")
        out.append(_targets_md(e))
        if e["goals"]:
            out.append(f"**{_('Goals')}:** {', '.join(g['name'] for g in e['goals'])}\n\n")
        if e["audiences"]:
            out.append(f"**{_('Audiences')}:** {', '.join(a['name'] for a in e['audiences'])}\n\n")
        out.append(f"### {_('Training notes')}\n\n")
        for key, label in note_labels():
            out.append(f"**{label}**\n\n{_md_block(e['training_notes'].get(key, ''))}")
        out.append(f"### {_('How it was decided')}\n\n")
        for d in e["decisions"]:
            if d["current"]:
                out.append(f"- {d['decision_label']} — {d['approver']}: {d['reason']}\n")
        for v in e["votes"]:
            groups = ", ".join(f"{g['label']} {g['percent']}%" for g in v["groups"])
            overall = f"{v['percent']}%" if v["percent"] is not None else "—"
            out.append(f"- {v['ballot']}: {overall}" + (f" ({groups})" if groups else "") + "\n")
        out.append("\n")
    return "".join(out).encode()


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _targets_md(e: dict) -> str:
    """The dated targets with their bands as a Markdown table (the PDF pack's rows)."""
    rows = packview.dated_targets(e.get("targets"))
    if not rows:
        return ""
    if e["direction"] == "lower":
        amber, red = _("Amber above"), _("Red above")
    else:
        amber, red = _("Amber below"), _("Red below")
    unit = f" {_md_cell(e['unit'])}" if e["unit"] else ""
    lines = [
        f"**{_('Dated targets')}:**\n\n",
        f"| {_('Period')} | {_('Target')} | {amber} | {red} |\n",
        "|---|---|---|---|\n",
    ]
    for t in rows:
        bands = f"{t['amber']} | {t['red']}" if t["amber"] else f"{_('no bands')} | —"
        lines.append(f"| {t['period']} | {t['target']}{unit} | {bands} |\n")
    return "".join(lines) + "\n"


def _changelog_md(log: dict) -> str:
    lines = []
    for c in log["added"]:
        lines.append(f"- {_('Added')}: {c['name']}\n")
    for c in log["changed"]:
        lines.append(f"- {_('Changed')}: {c['name']} ({', '.join(c['fields'])})\n")
    for c in log["retired"]:
        lines.append(f"- {_('Retired')}: {c['name']} — {c['reason']}\n")
    lines.append(f"- {_('Unchanged')}: {log['unchanged']}\n\n")
    return "".join(lines)


def _definition_labels() -> list[tuple[str, str]]:
    return [
        ("measures", _("What it measures")),
        ("why", _("Why it matters")),
        ("numerator", _("Numerator")),
        ("denominator", _("Denominator")),
        ("unit", _("Unit")),
        ("direction_label", _("Direction")),
        ("baseline", _("Baseline")),
        ("target", _("Target")),
        ("thresholds", _("Thresholds")),
        ("frequency_label", _("Reporting frequency")),
        ("data_sources", _("Data sources")),
        ("channels", _("Channels")),
        ("owner", _("Owner")),
        ("gaming_risks", _("Gaming risks and unintended effects")),
        ("counter_metric", _("Counter-metric")),
        ("pilot_until", _("Pilot until")),
        *definition_fields.export_labels(),
    ]


def note_labels() -> list[tuple[str, str]]:
    return [
        ("how_to_read", _("How to read it")),
        ("when_it_moves", _("What to do when it moves")),
        ("pitfalls", _("Pitfalls and gaming")),
        ("worked_example", _("Worked example")),
    ]


def _css_string(text: str) -> SafeString:
    """Text as a CSS string literal that cannot close the string nor the <style> element."""
    escaped = "".join(c if c.isalnum() or c in " .,-·:()" else f"\\{ord(c):x} " for c in text)
    return mark_safe(f'"{escaped}"')  # noqa: S308 - every other character is escaped


def _audience_name(doc: dict) -> str | None:
    # An audience's pack names the audience, not its slug (the document keeps the slug: it
    # is the JSON export's).
    return next(
        (
            a["name"]
            for e in doc["entries"]
            for a in e.get("audiences") or []
            if doc.get("audience") and a.get("slug") == doc["audience"] and a.get("name")
        ),
        doc.get("audience"),
    )


def pack_title(doc: dict) -> str:
    """The pack's title: the catalogue and its version, and the audience of an audience's pack."""
    title = f"{_('KPI catalogue')} {doc['version']}"
    audience = _audience_name(doc)
    return f"{title} — {audience}" if audience else title


#: The definition fields of a KPI's "How it is calculated" table, in order.
CALC_FIELDS = ["unit", "frequency_label", "baseline", "thresholds", "data_sources", "owner"]
CALC_FIELDS += ["collection_frequency_label", "custodian", "lead_lag_label"]  # issue 20
#: The fields written as Markdown, rendered in the pack.
MARKDOWN_FIELDS = ["measures", "why", "numerator", "denominator", "gaming_risks"]
MARKDOWN_FIELDS += ["intended_use", "not_used_for", "collection_method", "limitations"]


def _pack_entry(e: dict, language: str, effective: datetime.date) -> dict:
    """What the pack shows of one entry, beyond the document's own fields (``effective``: the
    release's effective date, which picks the dated target the card shows)."""
    notes = e["training_notes"]
    text_lang = packview.text_language(
        " ".join(e[k] for k in ("name", "measures", "why", "numerator", "denominator"))
    )
    notes_lang = packview.text_language(" ".join(notes.values()))
    calc_labels = dict(_definition_labels())
    target, target_period = packview.card_target(e["target"], e["targets"], effective)
    return {
        "md": {k: packview.markdown(e[k]) for k in MARKDOWN_FIELDS},
        "notes": [
            (key, label, packview.markdown(notes.get(key, ""))) for key, label in note_labels()
        ],
        "when_it_moves": packview.markdown(notes.get("when_it_moves", "")),
        "sign": packview.DIRECTION_SIGNS.get(e["direction"], ""),
        "scale": packview.target_scale(e),
        "target": target,
        "target_period": target_period,
        "calc": [
            (
                calc_labels[k],
                packview.figure(e[k]) if k == "baseline" else packview.inline_markdown(e[k]),
            )
            for k in CALC_FIELDS
            if e.get(k)
        ]
        + ([(_("Channels"), ", ".join(e["channels"]))] if e["channels"] else []),
        "pilot_until": packview.long_date(e["pilot_until"]),
        "text_language": text_lang if text_lang and text_lang != language else None,
        "text_language_note": packview.written_in(text_lang)
        if text_lang and text_lang != language
        else "",
        "notes_language": notes_lang if notes_lang and notes_lang != language else None,
        "notes_language_note": packview.written_in(notes_lang)
        if notes_lang and notes_lang != language
        else "",
        "decisions": [
            (d, packview.inline_markdown(d["reason"])) for d in e["decisions"] if d["current"]
        ],
        # Issue 20: the certification and the dated targets with their bands.
        "certification": certification_text(e["certification"]),
        "targets": packview.dated_targets(e["targets"]),
    }


def _pack_html(
    doc: dict,
    *,
    cover_only: bool = False,
    chapters_only: bool = False,
    page_numbers: dict[str, int] | None = None,
) -> str:
    """The pack's HTML: the front and back (``cover_only``; ``page_numbers`` are the contents'
    numbers, anchor -> page) or the chapters (``chapters_only``)."""
    # The chapters are every pack's: their footer names the catalogue, not an audience.
    title = f"{_('KPI catalogue')} {doc['version']}" if chapters_only else pack_title(doc)
    footer = f"{title} · {doc['organisation']}"
    audience_name = _audience_name(doc)
    language = doc["language"]
    numbers = page_numbers or {}
    effective = datetime.date.fromisoformat(doc["effective_date"])
    return render_to_string(
        "catalog/export_pack.html",
        {
            "doc": doc,
            "title": pack_title(doc),
            "entries": [(e, _pack_entry(e, language, effective)) for e in doc["entries"]]
            if not cover_only
            else [(e, {"page": numbers.get(f"kpi-{e['kpi_uid']}")}) for e in doc["entries"]],
            "cover_only": cover_only,
            "chapters_only": chapters_only,
            "footer_css": _css_string(footer[:120]),
            "audience_name": audience_name,
            "effective_date": packview.long_date(doc["effective_date"]),
            "next_review": packview.long_date(doc["next_review"]),
            "release_notes": packview.markdown(doc["release_notes"]),
            "page_numbers": numbers,
            "tree": tree_pack(doc) if not chapters_only else None,
        },
    )


def _pack_front(doc: dict, chapters: dict[str, tuple]) -> pdfpack.Piece:
    """The pack's cover, contents (with the page of each chapter) and changes, laid out once
    the chapters' lengths are known. The contents' own length is a guess checked after the
    layout (laid out again if wrong: a number's width does not change how many lines the
    contents take)."""
    lengths = [len(chapters[e["kpi_uid"]][1]) for e in doc["entries"] if e["kpi_uid"] in chapters]
    uids = [e["kpi_uid"] for e in doc["entries"] if e["kpi_uid"] in chapters]
    front_length = 1 + -(-(len(uids) + 1) // TOC_LINES_PER_PAGE)  # the cover, the contents
    for _attempt in range(3):
        numbers, page = {}, front_length + 1
        for uid, length in zip(uids, lengths, strict=True):
            numbers[f"kpi-{uid}"] = page
            page += length
        numbers["changes"] = page
        front = pdfpack.piece_render(_pack_html(doc, cover_only=True, page_numbers=numbers))
        back = front.pages_with_anchor("changes").get("changes", [])
        if len(front.pages) - len(back) == front_length:
            break
        front_length = len(front.pages) - len(back)
    return front


#: About how many KPIs the contents list on one page (a first guess of its length).
TOC_LINES_PER_PAGE = 42


def _pack(
    doc: dict, front: pdfpack.Piece, chapters: dict[str, tuple], numbers: pdfpack.Piece, when
) -> bytes:
    """One pack: its own cover and contents, the chapters of its KPIs (already laid out,
    shared by every pack), its own changes; every page numbered."""
    sections = front.pages_with_anchor("changes")
    back = sections.get("changes", [])
    parts = [(front, [n for n in range(len(front.pages)) if n not in back])]
    parts += [chapters[e["kpi_uid"]] for e in doc["entries"] if e["kpi_uid"] in chapters]
    parts.append((front, back))
    return pdfpack.pack_assemble(
        parts, title=pack_title(doc), language=doc["language"], numbers=numbers, created=when
    )


#: The share of the chapters laid out by the second process. Half: this one lays out the
#: packs' fronts and puts the packs together only once every chapter is laid out (the
#: contents need their page numbers), so both halves should end together; giving the second
#: process more evens the two processes' CPU time but makes the build longer.
CHILD_SHARE = 0.5


#: Progress weights of the PDF steps (about their share of the time for 500 KPIs).
PDF_STEPS = {"chapters here": 3, "chapters there": 3, "fronts": 1, "pack": 1}


def _pdf_packs(
    doc: dict,
    others: list[dict],
    on_step: Callable[[str], None] | None = None,
    *,
    whole: bool = True,
) -> list[bytes]:
    """The PDF pack of ``doc`` (unless not ``whole``) and of each of ``others`` (the same
    release for one audience: their entries are among ``doc``'s). The chapters are laid out
    for ``doc`` whatever packs are asked for, so that an audience's pack is the same bytes
    whether it was made with the others at publishing or alone (``export_catalog``). With
    many chapters, some of them are laid out by a second process while this one lays out
    the rest. ``on_step`` is told each step of ``PDF_STEPS`` done."""
    step = on_step or (lambda name: None)
    entries = doc["entries"]
    split = len(entries)
    if settings.KPIW_PDF_PROCESSES > 1 and len(entries) >= settings.KPIW_PDF_PARALLEL_FROM:
        split = round(len(entries) * (1 - CHILD_SHARE))
    child = None
    if split < len(entries):
        child = pdfpack.ChildPiece(
            _pack_html(doc | {"entries": entries[split:]}, chapters_only=True), outline_level=1
        )
    try:
        pieces = []
        if split:
            pieces.append(
                pdfpack.piece_render(
                    _pack_html(doc | {"entries": entries[:split]}, chapters_only=True),
                    outline_level=1,
                )
            )
        step("chapters here")
        if child is not None:
            pieces.append(child.result())
        step("chapters there")
    finally:
        if child is not None:
            child.close()
    chapters = {
        anchor[4:]: (piece, numbers)
        for piece in pieces
        for anchor, numbers in piece.pages_with_anchor("kpi-").items()
    }
    docs = ([doc] if whole else []) + others
    fronts = [_pack_front(d, chapters) for d in docs]
    step("fronts")
    numbers = pdfpack.page_numbers_render()
    when = doc["published_at"]
    packs = []
    for d, front in zip(docs, fronts, strict=True):
        packs.append(_pack(d, front, chapters, numbers, when))
        step("pack")
    return packs


def render_pdf(doc: dict) -> bytes:
    return _pdf_packs(doc, [])[0]


RENDERERS = {
    ExportFormat.PDF: render_pdf,
    ExportFormat.CSV: render_csv,
    ExportFormat.JSON: render_json,
    ExportFormat.MD: render_markdown_export,
}


def export_render(*, release: CatalogRelease, fmt: str, audience: str = "", entries=None) -> bytes:
    """One stored format's bytes (``render.export_render`` adds the data-stack formats). An
    audience's PDF pack is built the way publishing builds it (the same bytes as the stored
    one)."""
    if entries is None:
        entries = list(CatalogEntry.objects.filter(release=release).order_by("position", "id"))
    with translation.override(release.language):
        if fmt == ExportFormat.PDF and audience:
            whole = release_document(release, entries)
            own = release_document(release, entries, audience=audience)
            return _pdf_packs(whole, [own], whole=False)[0]
        doc = release_document(release, entries, audience=audience)
        return RENDERERS[fmt](doc)


def _export_save(
    release, fmt: str, audience: str, audience_name: str, data: bytes, folder: str = ""
) -> Export:
    token = new_export_token()
    export = Export(
        release=release,
        format=fmt,
        audience=audience,
        audience_name=audience_name,
        token=token,
        size=len(data),
    )
    # The stored name carries the random token too: guessing it gives nothing.
    # ``folder``: the publish attempt's own (issue 17), removed whole if the attempt fails.
    name = f"{folder or release.organisation_id}/{token}.{fmt}"
    export.file.save(name, ContentFile(data), save=False)
    export.save()
    return export


def release_audiences(entries: list[CatalogEntry]) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for e in entries:
        for a in e.audiences or []:
            if a.get("slug"):
                seen.setdefault(a["slug"], a.get("name", a["slug"]))
    return sorted(seen.items())


def exports_build(
    *,
    release: CatalogRelease,
    on_progress: Callable[[int], None] | None = None,
    folder: str = "",
) -> list[Export]:
    """Every export of a release: the four formats for the whole catalogue, and a PDF pack
    per audience, written under ``folder`` (in ``catalog/``). Runs inside the publish
    transaction: a failure leaves no Export rows; the publish removes the folder's files."""
    entries = list(CatalogEntry.objects.filter(release=release).order_by("position", "id"))
    audiences = release_audiences(entries)
    # Progress: 1 a text export, the PDF steps by their weight (the PDF packs are saved
    # together at the end, in moments).
    total = 3 + sum(PDF_STEPS.values()) + PDF_STEPS["pack"] * len(audiences)
    progress = 0
    built = []

    def done(weight: int = 1):
        nonlocal progress
        progress += weight
        if on_progress:
            on_progress(round(55 * progress / total))

    with translation.override(release.language):
        doc = release_document(release, entries)
        for fmt in (ExportFormat.CSV, ExportFormat.JSON, ExportFormat.MD):
            built.append(_export_save(release, fmt, "", "", RENDERERS[fmt](doc), folder))
            done()
        parts = [
            (slug, name, release_document(release, entries, audience=slug))
            for slug, name in audiences
        ]
        packs = _pdf_packs(
            doc, [d for _slug, _name, d in parts], on_step=lambda name: done(PDF_STEPS[name])
        )
        built.append(_export_save(release, ExportFormat.PDF, "", "", packs[0], folder))
        for (slug, name, _doc), data in zip(parts, packs[1:], strict=True):
            built.append(_export_save(release, ExportFormat.PDF, slug, name, data, folder))
    return built
