import csv
import io
import json
import os
import subprocess
import sys
import time

import jsonschema
import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from pypdf import PdfReader

from kpiworkshop.accounts.models import Role
from kpiworkshop.approval import services as approval_services
from kpiworkshop.approval.models import Decision
from kpiworkshop.catalog.exports import tabular as exports
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease, Export
from kpiworkshop.kpis.models import Proposal, ProposalKind
from kpiworkshop.mapping.models import AudienceLink, GoalLink
from kpiworkshop.workshops.models import Stage
from tests.factories import (
    AudienceFactory,
    BusinessGoalFactory,
    ParticipantFactory,
    WorkshopFactory,
)

from .conftest import NOTES, approve_all, make_proposal, publish

IT_NOTES = {
    "how_to_read": "Quota di contatti risolti al primo contatto.",
    "when_it_moves": "Guarda i ricontatti per motivo.",
    "pitfalls": "Chiudere i ticket in fretta lo gonfia.",
    "worked_example": "80 contatti su 100 risolti subito: 80%.",
}


@pytest.fixture
def published(
    approve_workshop,
    organisation,
    facilitator,
    agent,
    approvers,
    django_capture_on_commit_callbacks,
):
    fcr = make_proposal(approve_workshop, agent, "Risoluzione al primo contatto")
    bad = make_proposal(approve_workshop, agent, '=HYPERLINK("http://x")<b>bold</b>')
    Proposal.objects.filter(pk=fcr.pk).update(internal_fields=["baseline"])
    rev = fcr.current_revision
    rev.baseline = "INTERNAL-ONLY-42"
    rev.save()
    agents = AudienceFactory(organisation=organisation, name="Front line", key="front-line")
    churn = BusinessGoalFactory(organisation=organisation, name="Churn", key="")
    GoalLink.objects.create(proposal=fcr, goal=churn, strength="primary", created_by=facilitator)
    AudienceLink.objects.create(
        proposal=fcr, audience=agents, relation="sees", created_by=facilitator
    )
    approve_all([fcr, bad], approvers[0], facilitator, language="it")
    approval_services.training_notes_save(
        actor=facilitator, proposal=fcr, language="it", **IT_NOTES
    )
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator, language="it")
    return CatalogRelease.objects.get()


def _read(export: Export) -> bytes:
    with export.file.open("rb") as f:
        return f.read()


def test_csv_has_bom_columns_and_neutralised_formulas(published):
    data = _read(Export.objects.get(release=published, format="csv"))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0].keys()) == exports.CSV_COLUMNS
    names = {r["name"] for r in rows}
    assert "Risoluzione al primo contatto" in names
    assert '\'=HYPERLINK("http://x")bold' in names  # formula neutralised, HTML stripped
    fcr = next(r for r in rows if r["name"] == "Risoluzione al primo contatto")
    assert fcr["how_to_read"] == IT_NOTES["how_to_read"]
    assert fcr["audiences"] == "Front line" and fcr["goals"] == "Churn"
    assert "INTERNAL-ONLY-42" not in data.decode("utf-8-sig")
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_json_validates_against_its_schema(published):
    doc = json.loads(_read(Export.objects.get(release=published, format="json")))
    schema = json.loads(exports.SCHEMA_PATH.read_text())
    jsonschema.validate(doc, schema, format_checker=jsonschema.FormatChecker())
    assert doc["schema_version"] == "1.1"
    assert doc["version"] == "1.0" and doc["language"] == "it"
    fcr = next(e for e in doc["entries"] if e["name"] == "Risoluzione al primo contatto")
    assert fcr["goals"][0]["name"] == "Churn" and fcr["goals"][0]["kind"] == "primary"
    assert fcr["audiences"][0]["slug"] == "front-line"
    assert fcr["decisions"][0]["decision_label"] == "Approva"  # in the release's language
    assert "baseline" not in json.dumps(fcr) or fcr.get("baseline") == ""


def test_markdown_export_is_in_the_release_language(published):
    text = _read(Export.objects.get(release=published, format="md")).decode()
    assert text.startswith("# Catalogo KPI 1.0")
    assert IT_NOTES["pitfalls"] in text
    assert "<b>" not in text


def test_pdf_text_has_names_and_italian_notes(published):
    reader = PdfReader(
        io.BytesIO(_read(Export.objects.get(release=published, format="pdf", audience="")))
    )
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Catalogo KPI 1.0" in text
    assert "Risoluzione al primo contatto" in text
    assert "Chiudere i ticket in fretta lo gonfia." in text
    assert "come leggerlo" in text.lower()  # headings in Italian
    assert "INTERNAL-ONLY-42" not in text


def test_per_audience_pack_holds_only_its_kpis(published):
    export = Export.objects.get(release=published, format="pdf", audience="front-line")
    reader = PdfReader(io.BytesIO(_read(export)))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Risoluzione al primo contatto" in text
    assert "HYPERLINK" not in text
    cover = reader.pages[0].extract_text()
    assert "Per: Front line" in cover and "front-line" not in cover  # its name, not its slug


def test_export_command_writes_each_format(published, tmp_path):
    for fmt in ("csv", "json", "md", "pdf"):
        out = tmp_path / f"c.{fmt}"
        call_command("export_catalog", "1.0", "--format", fmt, "--output", str(out),
                     "--organisation", published.organisation.slug)  # fmt: skip
        assert out.stat().st_size > 100
    out = tmp_path / "agents.pdf"
    call_command("export_catalog", "1.0", "--format", "pdf", "--audience", "front-line",
                 "--output", str(out), "--organisation", published.organisation.slug)  # fmt: skip
    assert out.read_bytes().startswith(b"%PDF")


def test_export_command_refuses_unknown_release(published, tmp_path):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command(
            "export_catalog", "7.7", "--format", "csv", "--output", str(tmp_path / "x.csv"),
            "--organisation", published.organisation.slug,
        )  # fmt: skip


def test_a_release_version_exists_once(published):
    with pytest.raises(IntegrityError), transaction.atomic():
        CatalogRelease.objects.create(
            organisation=published.organisation, major=1, minor=0, language="en",
            effective_date=published.effective_date, published_by_name="x",
        )  # fmt: skip


def test_second_release_changes_and_retires_with_stable_identity(
    published, organisation, django_capture_on_commit_callbacks
):
    """A review workshop changes one KPI and retires the other: 2.0 (a retirement is major),
    the changed KPI keeps its identity and history."""
    fcr_entry = published.entries.get(name="Risoluzione al primo contatto")
    other = published.entries.exclude(pk=fcr_entry.pk).get()
    review = WorkshopFactory(organisation=organisation, stage=Stage.APPROVE)
    fac = ParticipantFactory(workshop=review, role=Role.FACILITATOR)
    boss = ParticipantFactory(workshop=review, role=Role.LEADERSHIP)
    change = make_proposal(review, fac, "Risoluzione al primo contatto", target="85%")
    retire = make_proposal(review, fac, other.name)
    Proposal.objects.filter(pk=change.pk).update(
        kind=ProposalKind.CHANGE, catalog_entry_id=fcr_entry.pk
    )
    Proposal.objects.filter(pk=retire.pk).update(
        kind=ProposalKind.RETIRE, catalog_entry_id=other.pk
    )
    approval_services.approval_decide(
        actor=boss, proposal=change, decision=Decision.APPROVE, reason="ok"
    )
    approval_services.approval_decide(
        actor=boss, proposal=retire, decision=Decision.APPROVE, reason="Nobody uses it."
    )
    approval_services.training_notes_save(actor=fac, proposal=change, language="en", **NOTES)
    with django_capture_on_commit_callbacks(execute=True):
        publish(review, fac, language="en")
    second = CatalogRelease.objects.exclude(pk=published.pk).get()
    assert second.version == "2.0"
    assert second.previous_id == published.pk
    assert [c["reason"] for c in second.changelog["retired"]] == ["Nobody uses it."]
    changed = second.changelog["changed"][0]
    assert changed["kpi_uid"] == str(fcr_entry.kpi_uid)
    assert "target" in {f["field"] for f in changed["fields"]}
    assert CatalogEntry.objects.filter(kpi_uid=fcr_entry.kpi_uid).count() == 2
    # The first release is untouched.
    published.refresh_from_db()
    assert published.entries.count() == 2


# --- the PDF packs, put together from pieces (catalog/exports/pdfpack.py) -----------------------


def _pdf(data: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(data))


def _links(reader: PdfReader) -> dict[str, int]:
    """Each internal link of the pack: its named destination -> the page it opens."""
    dests = reader.named_destinations
    found = {}
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot:
                name = str(annot["/Dest"])
                found[name] = reader.get_destination_page_number(dests[name])
    return found


def _outline(reader: PdfReader) -> list[tuple[str, int]]:
    flat = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                flat.append((item.title, reader.get_destination_page_number(item)))

    walk(reader.outline)
    return flat


def _first_line(reader: PdfReader, page: int) -> str:
    return reader.pages[page].extract_text().strip().splitlines()[0]


def test_pdf_contents_link_to_each_chapter_and_the_outline_lists_them(published):
    reader = _pdf(_read(Export.objects.get(release=published, format="pdf", audience="")))
    entries = list(published.entries.order_by("position"))
    links = _links(reader)
    assert set(links) == {f"kpi-{e.kpi_uid}" for e in entries} | {"changes"}
    for e in entries:  # each link opens the page where its chapter starts
        assert _first_line(reader, links[f"kpi-{e.kpi_uid}"]) == exports.plain(e.name)
    assert "Modifiche" in _first_line(reader, links["changes"])
    outline = _outline(reader)
    assert outline[0] == ("Catalogo KPI 1.0", 0)
    titles = [title for title, _page in outline]
    assert [t for t in titles if t in {exports.plain(e.name) for e in entries}] == [
        exports.plain(e.name) for e in entries
    ]
    for e in entries:
        assert dict(outline)[exports.plain(e.name)] == links[f"kpi-{e.kpi_uid}"]
    assert reader.metadata.title == "Catalogo KPI 1.0"


def test_per_audience_pack_reuses_the_chapter_pages_and_links_its_own_contents(published):
    whole = _pdf(_read(Export.objects.get(release=published, format="pdf", audience="")))
    own = _pdf(_read(Export.objects.get(release=published, format="pdf", audience="front-line")))
    fcr = published.entries.get(name="Risoluzione al primo contatto")
    links = _links(own)
    assert set(links) == {f"kpi-{fcr.kpi_uid}", "changes"}  # the other KPI is not there
    start, end = links[f"kpi-{fcr.kpi_uid}"], links["changes"]
    whole_start = _links(whole)[f"kpi-{fcr.kpi_uid}"]
    # The same pages but their number (drawn at assembly, last on the page).
    chapter = [own.pages[n].extract_text().rsplit("\n", 1) for n in range(start, end)]
    assert [number for _text, number in chapter] == [str(n + 1) for n in range(start, end)]
    assert [text for text, _number in chapter] == [
        whole.pages[n].extract_text().rsplit("\n", 1)[0]
        for n in range(whole_start, whole_start + len(chapter))
    ]
    assert "HYPERLINK" not in "\n".join(p.extract_text() for p in own.pages)
    assert [t for t, _p in _outline(own)].count("Risoluzione al primo contatto") == 1


def _page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in _pdf(data).pages]


def test_many_chapters_are_laid_out_by_a_second_process(published, settings, monkeypatch):
    from kpiworkshop.catalog.exports import pdfpack

    settings.KPIW_PDF_PROCESSES = 1
    alone = exports.export_render(release=published, fmt="pdf")
    started = []
    real_popen = pdfpack.subprocess.Popen

    def popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(pdfpack.subprocess, "Popen", popen)
    settings.KPIW_PDF_PROCESSES = 2
    settings.KPIW_PDF_PARALLEL_FROM = 2
    shared = exports.export_render(release=published, fmt="pdf")
    assert len(started) == 1 and started[0].returncode == 0
    assert _page_texts(shared) == _page_texts(alone)
    assert len(_links(_pdf(shared))) == 3  # two chapters and the changes, across pieces


def test_a_failing_layout_process_leaves_the_work_to_this_one(
    published, settings, monkeypatch, caplog
):
    from kpiworkshop.catalog.exports import pdfpack

    settings.KPIW_PDF_PROCESSES = 1
    alone = exports.export_render(release=published, fmt="pdf")
    monkeypatch.setattr(pdfpack, "CHILD_MODULE", "kpiworkshop.catalog.no_such_module")
    settings.KPIW_PDF_PROCESSES = 2
    settings.KPIW_PDF_PARALLEL_FROM = 2
    with caplog.at_level("WARNING", logger="kpiworkshop.catalog.exports.pdfpack"):
        fallback = exports.export_render(release=published, fmt="pdf")
    assert "PDF layout process failed" in caplog.text
    assert _page_texts(fallback) == _page_texts(alone)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_killed_worker_takes_its_layout_process_with_it(tmp_path):
    """SIGKILL of the worker mid-build (its retry builds everything again) leaves no layout
    process running on, and nothing in the temporary folder (the HTML and the piece go
    through pipes)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"TMPDIR": str(tmp_path)},
    )
    child = int(parent.stdout.readline())
    time.sleep(1)
    assert _running(child)  # still laying out
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(child)
    assert list(tmp_path.iterdir()) == []


PARENT_SCRIPT = """
import time
from kpiworkshop.catalog.exports import pdfpack
html = "<h2>x</h2><p>" + "A long sentence about a KPI. " * 40 + "</p>"
child = pdfpack.ChildPiece("<html><body>" + html * 3000 + "</body></html>")
print(child.proc.pid, flush=True)
time.sleep(60)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False


def test_the_pack_is_written_compact_like_weasyprint_writes(published, settings):
    """pypdf writes each object in clear: the pages, links and outline items go into
    compressed object streams instead, as WeasyPrint writes a PDF (the pack assembled from
    pieces was ~45 % bigger), and every reader still finds everything."""
    data = _read(Export.objects.get(release=published, format="pdf", audience=""))
    assert data.startswith(b"%PDF-1.7")
    assert b"/Type /ObjStm" in data and b"/Type /XRef" in data
    assert b"/Type /Page" not in data and b"/Subtype /Link" not in data  # none in clear
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) >= 4 and reader.metadata.title == "Catalogo KPI 1.0"
    assert reader.trailer["/Root"]["/Lang"] == "it"
    assert len(_links(reader)) == published.entries.count() + 1
