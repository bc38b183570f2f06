"""The PDF training pack as a reader gets it (issue 17, items 18, 19, 22): tagged, numbered,
Markdown rendered, in the pack's language, one card per KPI, and the same bytes wherever it
was made."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import translation
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from kpiworkshop.catalog.exports import packview
from kpiworkshop.catalog.exports import tabular as exports
from kpiworkshop.catalog.models import CatalogEntry, CatalogRelease, Export
from kpiworkshop.mapping.models import AudienceLink
from tests.factories import AudienceFactory

from .conftest import approve_all, make_proposal, publish

WHY = "Quante richieste sono **risolte** al primo contatto.\n\n- canale voce\n- chat"


@pytest.fixture
def pack_release(
    approve_workshop, organisation, facilitator, agent, approvers,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    fcr = make_proposal(
        approve_workshop, agent, "Risoluzione al primo contatto", why=WHY, target="80,5%",
        baseline="38.5000", thresholds="60 / 75", direction="higher",
    )  # fmt: skip
    other = make_proposal(approve_workshop, agent, "Costo per contatto")
    front = AudienceFactory(organisation=organisation, name="Front line", key="front-line")
    AudienceLink.objects.create(
        proposal=fcr, audience=front, relation="sees", created_by=facilitator
    )
    approve_all([fcr, other], approvers[0], facilitator, language="it")
    with django_capture_on_commit_callbacks(execute=True):
        publish(approve_workshop, facilitator, language="it")
    return CatalogRelease.objects.get()


def _stored(release, audience="") -> bytes:
    export = Export.objects.get(release=release, format="pdf", audience=audience)
    with export.file.open("rb") as f:
        return f.read()


def _texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _struct_kinds(reader: PdfReader) -> list[str]:
    kinds = []

    def walk(elem):
        elem = elem.get_object()
        if "/S" in elem:
            kinds.append(str(elem["/S"]))
        kids = elem.get("/K")
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, IndirectObject) and "/S" in kid.get_object():
                walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"]["/K"][0])
    return kinds


def test_every_pack_is_a_tagged_pdf(pack_release):
    for audience in ("", "front-line"):
        reader = PdfReader(io.BytesIO(_stored(pack_release, audience)))
        root = reader.trailer["/Root"]
        assert root["/MarkInfo"]["/Marked"] is True or root["/MarkInfo"]["/Marked"] == True  # noqa: E712
        kinds = _struct_kinds(reader)
        assert kinds[0] == "/Document"
        assert {"/H1", "/H2", "/H3", "/P", "/L", "/Figure"} <= set(kinds)
        # Every page's marked content is mapped to its elements, keyed by the page.
        nums = root["/StructTreeRoot"]["/ParentTree"]["/Nums"]
        keys = [int(nums[i]) for i in range(0, len(nums), 2)]
        pages = len(reader.pages)
        assert keys[:pages] == list(range(pages))
        assert [int(p["/StructParents"]) for p in reader.pages] == keys[:pages]
        # The contents' links (written at assembly) are tagged too: each is a Link's.
        annots = [a.get_object() for p in reader.pages for a in p.get("/Annots") or []]
        assert annots and sorted(int(a["/StructParent"]) for a in annots) == keys[pages:]
        for key, annot in zip(keys[pages:], annots, strict=True):
            link = nums[2 * key + 1].get_object()
            assert link["/S"] == "/Link" and link["/K"][-1]["/Obj"].get_object() == annot
        assert b"pdfuaid:part>1<" in root["/Metadata"].get_data()


def test_pages_are_numbered_and_the_contents_give_each_chapter_page(pack_release):
    data = _stored(pack_release)
    texts = _texts(data)
    assert [t.strip().rsplit("\n", 1)[-1] for t in texts] == [
        str(n) for n in range(1, len(texts) + 1)
    ]
    reader = PdfReader(io.BytesIO(data))
    contents = texts[1]
    for entry in pack_release.entries.all():
        page = next(
            n for n, t in enumerate(texts) if n > 1 and t.startswith(entry.name)
        )  # its chapter's first page
        line = next(line for line in contents.splitlines() if line.startswith(entry.name))
        assert line.endswith(f" {page + 1}")
    assert reader.metadata.title == "Catalogo KPI 1.0"


def test_markdown_in_kpi_fields_is_rendered_not_printed(pack_release):
    text = "\n".join(_texts(_stored(pack_release)))
    assert "risolte al primo contatto" in text
    assert "**" not in text
    assert "Valore di partenza: 38,5" in text  # a number in the pack's language
    assert "- canale voce" not in text and "canale voce" in text


def test_an_audience_pack_names_its_audience_in_its_title(pack_release):
    reader = PdfReader(io.BytesIO(_stored(pack_release, "front-line")))
    assert reader.metadata.title == "Catalogo KPI 1.0 — Front line"
    assert "Catalogo KPI 1.0 — Front line" in reader.pages[0].extract_text()


def test_an_audience_pack_lists_only_its_own_changes(organisation):
    """A retired KPI is news for the audiences it had; "unchanged" counts the audience's KPIs."""

    def release(major, previous=None, changelog=None):
        return CatalogRelease.objects.create(
            organisation=organisation, major=major, minor=0, language="en", previous=previous,
            effective_date=datetime.date(2026, 1, 1), published_by_name="x",
            changelog=changelog or {},
        )  # fmt: skip

    def entry(rel, name, audience=None, uid=None):
        return CatalogEntry.objects.create(
            release=rel, name=name, category="customer", **({"kpi_uid": uid} if uid else {}),
            audiences=[{"slug": audience, "name": audience, "kind": "sees"}] if audience else [],
        )  # fmt: skip

    first = release(1)
    kept = entry(first, "Kept", "agents")
    other = entry(first, "Other", "managers")
    theirs = entry(first, "Retired theirs", "agents")
    not_theirs = entry(first, "Retired not theirs", "managers")
    retired = [
        {"kpi_uid": str(e.kpi_uid), "name": e.name, "reason": "r"} for e in (theirs, not_theirs)
    ]
    second = release(2, first, {"added": [], "changed": [], "retired": retired, "unchanged": 2})
    entries = [
        entry(second, "Kept", "agents", kept.kpi_uid),
        entry(second, "Other", "managers", other.kpi_uid),
    ]
    log = exports.release_document(second, entries, audience="agents")["changelog"]
    assert [c["name"] for c in log["retired"]] == ["Retired theirs"]
    assert log["unchanged"] == 1
    assert exports.release_document(second, entries)["changelog"]["unchanged"] == 2


def test_the_command_writes_the_same_bytes_as_publishing_stored(pack_release, tmp_path):
    for audience in ("", "front-line"):
        out = tmp_path / f"pack-{audience}.pdf"
        call_command(
            "export_catalog", "1.0", "--format", "pdf", "--audience", audience, "--output",
            str(out), "--organisation", pack_release.organisation.slug,
        )  # fmt: skip
        assert out.read_bytes() == _stored(pack_release, audience)
    reader = PdfReader(io.BytesIO(_stored(pack_release, "front-line")))
    assert reader.metadata["/CreationDate"].startswith(
        "D:" + pack_release.published_at.astimezone(datetime.UTC).strftime("%Y%m%d%H%M")
    )


def test_the_pack_speaks_its_language_and_says_when_a_text_does_not(pack_release):
    texts = _texts(_stored(pack_release))
    assert "In vigore dal 1 gennaio 2026" in texts[0]  # not 2026-01-01
    chapter = next(t for t in texts if t.startswith("Costo per contatto"))
    # make_proposal writes the definition in English ("How we measure …").
    assert "Scritto in inglese" in chapter
    assert "How we measure" in chapter


def test_each_kpi_has_a_one_glance_card(pack_release):
    texts = _texts(_stored(pack_release))
    chapter = next(t for t in texts if t.startswith("Risoluzione al primo contatto"))
    lines = chapter.splitlines()
    card = lines[: lines.index("Come si calcola")]
    assert "COSA MISURA" in card and "QUALE DIREZIONE È BUONA" in card
    assert "↑ Più alto è meglio" in card and "80,5%" in card
    assert "QUANDO SI MUOVE" in card  # what to do when it moves, from the training notes


def test_the_target_scale_is_drawn_with_numbers_in_the_pack_language():
    definition = {"target": "80,5%", "baseline": "38.5000", "thresholds": "60 / 75",
                  "direction": "higher", "unit": "%"}  # fmt: skip
    with translation.override("it"):
        scale = packview.target_scale(definition)
    assert "obiettivo 80,5 %" in scale["text"] and "base 38,5" in scale["text"]
    assert "38.5000" not in scale["svg"] and "<title>" in scale["svg"]
    assert scale["svg"].count("<rect") == 3  # below, between and above the thresholds
    assert packview.target_scale({"direction": "higher"}) is None


def test_page_numbers_of_two_digits_read_left_to_right():
    from kpiworkshop.catalog.exports import pdfpack

    pages = "".join(f'<h2 style="break-before: page">Page {n}</h2>' for n in range(12))
    piece = pdfpack.piece_render(f"<html lang='en'><body>{pages}</body></html>")
    data = pdfpack.pack_assemble(
        [(piece, list(range(12)))], title="t", language="en",
        numbers=pdfpack.page_numbers_render(), created="2026-12-06T10:00:00+00:00",
    )  # fmt: skip
    # Each digit is drawn on its own (pypdf reads them as lines; a viewer shows "12").
    numbers = ["".join(t.strip().split("\n")[1:]) for t in _texts(data)]
    assert numbers == [str(n) for n in range(1, 13)]


# --- issue 20: each KPI's certification and dated targets with their bands ------------------

TARGETS = [
    {"period_kind": "year", "period_start": "2026-01-01", "value": "80.5",
     "amber_pct": "95", "red_pct": "90"},
    {"period_kind": "quarter", "period_start": "2027-01-01", "value": "85",
     "amber_pct": None, "red_pct": None},
]  # fmt: skip


@pytest.fixture
def certified_pack(
    approve_workshop, facilitator, agent, approvers, django_capture_on_commit_callbacks
):
    def build(language: str, direction: str = "higher", targets=TARGETS):
        from kpiworkshop.approval.models import Approval

        fcr = make_proposal(
            approve_workshop, agent, "FCR", direction=direction, targets=targets,
            intended_use="Steer the week's coaching.", not_used_for="Individual bonuses.",
        )  # fmt: skip
        approve_all([fcr], approvers[0], facilitator, language=language)
        Approval.objects.filter(proposal=fcr).update(created_at="2026-03-05T10:00:00+00:00")
        with django_capture_on_commit_callbacks(execute=True):
            publish(approve_workshop, facilitator, language=language)
        release = CatalogRelease.objects.get()
        chapter = next(t for t in _texts(_stored(release)) if t.startswith("FCR"))
        return " ".join(chapter.split())  # a table's cells may be read on separate lines

    return build


@pytest.mark.parametrize(
    "language, certified, rows",
    [
        (
            "en",
            "Certified Approved in release 1.0 by Lia (March 5, 2026)",
            ["DATED TARGETS", "AMBER BELOW", "RED BELOW",
             "2026 80.5 % 76.475 (95 %) 72.45 (90 %)", "Q1 2027 85 % no bands"],
        ),
        (
            "it",
            "Certificato Approvato nella versione 1.0 da Lia (5 marzo 2026)",
            ["OBIETTIVI DATATI", "AMBRA SOTTO", "ROSSO SOTTO",
             "2026 80,5 % 76,475 (95 %) 72,45 (90 %)", "1° trim. 2027 85 % nessuna fascia"],
        ),
    ],
)  # fmt: skip
def test_each_kpi_carries_its_certification_and_dated_targets_in_the_pack_language(
    certified_pack, language, certified, rows
):
    chapter = certified_pack(language)
    assert certified in chapter
    # No written target: the card shows the dated target of the release's effective date.
    card = {"en": "80.5 % for 2026", "it": "80,5 % per il periodo 2026"}[language]
    assert card in chapter
    for row in rows:
        assert row in chapter
    # Beside the use / non-use callout, not instead of it.
    assert "Individual bonuses." in chapter


def test_where_lower_is_better_the_pack_says_the_bands_lie_above(certified_pack):
    lower = [{"period_kind": "year", "period_start": "2026-01-01", "value": "300",
              "amber_pct": "105", "red_pct": "110"}]  # fmt: skip
    chapter = certified_pack("en", direction="lower", targets=lower)
    assert "AMBER ABOVE" in chapter and "RED ABOVE" in chapter
    assert "2026 300 % 315 (105 %) 330 (110 %)" in chapter


def test_a_kpi_without_dated_targets_or_approval_shows_neither(pack_release):
    entry = pack_release.entries.get(name="Costo per contatto")
    doc = exports.entry_document(entry, "it", release_version="1.0")
    doc["certification"] = None
    with translation.override("it"):
        shown = exports._pack_entry(doc, "it", datetime.date(2026, 1, 1))
    assert shown["certification"] == "" and shown["targets"] == []


@pytest.mark.parametrize(
    "written, on, shown",
    [
        ("90%", datetime.date(2026, 6, 1), ("90%", "")),  # a written target wins
        ("", datetime.date(2026, 6, 1), ("80.5", "2026")),  # the period holding the date
        ("", datetime.date(2027, 2, 10), ("85", "Q1 2027")),
        ("", datetime.date(2025, 5, 1), ("80.5", "2026")),  # else the next to come
        ("", datetime.date(2028, 1, 1), ("85", "Q1 2027")),  # else the last
    ],
)
def test_the_card_target_is_written_or_dated(written, on, shown):
    from kpiworkshop.catalog.exports import packview
    from kpiworkshop.kpis.targets import targets_export

    with translation.override("en"):
        assert packview.card_target(written, targets_export(TARGETS), on) == shown
    assert packview.card_target("", [], on) == ("", "")
