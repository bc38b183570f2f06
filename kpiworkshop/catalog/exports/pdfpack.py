"""The PDF training packs, laid out in pieces and put together page by page.

Laying pages out is most of a release's publishing time (WeasyPrint: about 20 ms of CPU a
page, 1 000 pages for 500 KPIs). Every chapter starts on a new page and the page numbers are
drawn at assembly (from ten digit forms, ``page_numbers_render``), so a pack is a plain
sequence of pieces laid out on their own: the front (cover and contents, laid out once the
chapters' lengths give the contents their numbers) and back (changes) of each pack, and the
chapters. The chapters are laid
out and drawn ONCE — half of them in a second process when there are many (the worker has two
cores) — and every pack, the whole one and each audience's, is put together from those same
chapter pages: pypdf copies the finished page objects, nothing is laid out or drawn twice.
The contents' links, the named destinations, the outline and the tags (a tagged PDF/UA
structure: WeasyPrint tags page by page, ``_write_tagged`` reads them as it writes) cross
pieces, so they are written here, at assembly, from what the layout reported.

The second process runs ``python -m kpiworkshop.catalog.exports.pdfpack OUTLINE_LEVEL``, HTML in on
its standard input, the piece out on its standard output (no files: nothing to leave behind):
WeasyPrint only (no Django, no database), on HTML the parent rendered in the release's language.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cached_property

log = logging.getLogger(__name__)

#: CSS pixels to PDF points (WeasyPrint's default zoom).
SCALE = 0.75
#: What the second process runs (``python -m``).
CHILD_MODULE = "kpiworkshop.catalog.exports.pdfpack"


def _no_network(url: str, *args, **kwargs):
    raise ValueError(f"no network access while building a PDF: {url[:80]}")


@dataclass
class Piece:
    """Laid-out, written pages: the PDF bytes and, per page, its anchors ``{name: [x, y]}``
    and internal links ``[[name, rect]]``, and its outline entries ``[level, label, page, x,
    y]`` (PDF points, origin bottom left)."""

    pdf: bytes
    pages: list[dict]
    bookmarks: list[list] = field(default_factory=list)

    @cached_property
    def reader(self):
        import io

        from pypdf import PdfReader

        return PdfReader(io.BytesIO(self.pdf))

    def pages_with_anchor(self, prefix: str) -> dict[str, list[int]]:
        """The pages of each section starting with an anchor ``prefix…`` (a section runs
        until the next one starts), keyed by the anchor's name."""
        sections: dict[str, list[int]] = {}
        current = None
        for number, page in enumerate(self.pages):
            starts = [a for a in page["anchors"] if a.startswith(prefix)]
            if starts:
                current = starts[0]
            if current is not None:
                sections.setdefault(current, []).append(number)
        return sections

    def to_json(self) -> dict:
        return {"pages": self.pages, "bookmarks": self.bookmarks}


def _inside(rect: list[float], outer: list[float]) -> bool:
    return (
        rect[0] >= outer[0] - 0.01
        and rect[1] >= outer[1] - 0.01
        and rect[2] <= outer[2] + 0.01
        and rect[3] <= outer[3] + 0.01
    )


def piece_render(html: str, *, outline_level: int = 0, tags: bool = True) -> Piece:
    """Lay out and write one piece. Internal links are taken out of the pages before
    writing (their targets may be in another piece) and reported for the assembly to write;
    ``outline_level`` is added to the level of each outline entry (the chapters, laid out
    without the cover's title, sit under it)."""
    from weasyprint import HTML  # heavy: loaded only where PDFs are built

    document = HTML(string=html, url_fetcher=_no_network).render()
    pages = []
    for page in document.pages:
        height = page.height
        anchors = {
            name: [x * SCALE, (height - y) * SCALE] for name, (x, y, *_) in page.anchors.items()
        }
        links = []
        for kind, target, (x1, y1, x2, y2), *_ in page.links:
            if kind != "internal":
                continue
            rect = [x1 * SCALE, (height - y2) * SCALE, x2 * SCALE, (height - y1) * SCALE]
            if links and links[-1][0] == target and _inside(rect, links[-1][1]):
                continue  # an inline box inside the link (its box is reported too)
            links.append([target, rect])
        page.links[:] = [link for link in page.links if link[0] != "internal"]
        pages.append({"anchors": anchors, "links": links})
    bookmarks: list[list] = []

    def flatten(tree, level):
        for label, (page_number, x, y), children, _state in tree:
            bookmarks.append([level + outline_level, label, page_number, x, y])
            flatten(children, level + 1)

    flatten(document.make_bookmark_tree(scale=SCALE, transform_pages=True), 0)
    pdf, trees = _write_tagged(document) if tags else (document.write_pdf(), [])
    for page, tree in zip(pages, trees, strict=False):
        page["tags"] = tree
    return Piece(pdf=pdf, pages=pages, bookmarks=bookmarks)


STRUCT_TYPES = {"/StructTreeRoot", "/StructElem", "/OBJR"}


def _write_tagged(document) -> tuple[bytes, list[list]]:
    """The document written as a tagged PDF, and its tags page by page as plain data (read
    from WeasyPrint's objects as it writes them: parsing them back from the PDF would cost
    more than the layout). WeasyPrint tags page by page: each top-level structure element
    and all below it belong to one page."""
    import pydyf

    _tag_capture_install()
    trees: list[list] = []

    def capture(pdf):
        objects = pdf.objects

        def get(ref):
            return objects[int(ref.split()[0])]

        def plain(value):
            if isinstance(value, pydyf.String):
                return {"s": str(value.string)}
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        def element(elem) -> dict:
            kids = []
            for kid in elem["K"]:
                if isinstance(kid, int):
                    kids.append(kid)
                elif get(kid).get("Type") != "/OBJR":  # a link's own annotation: not kept
                    kids.append(element(get(kid)))
            out = {"S": elem["S"][1:], "K": kids}
            for key in ("A", "Alt", "ActualText", "ID", "Lang"):
                if key in elem:
                    out[key] = plain(elem[key])
            return out

        numbers = {ref: n for n, ref in enumerate(pdf.page_references)}
        trees.extend([] for _ in numbers)
        tree = get(pdf.catalog["StructTreeRoot"])
        for ref in get(tree["K"][0])["K"]:
            elem = get(ref)
            trees[numbers[elem["Pg"]]].append(element(elem))
        # The piece's own tree is not written: the packs get theirs at assembly, and a
        # reader of the piece would parse every element (one object stream holds them all).
        get(tree["ParentTree"]).free = "f"
        for obj in objects:
            if isinstance(obj, dict) and obj.get("Type") in STRUCT_TYPES:
                obj.free = "f"
        for key in ("StructTreeRoot", "MarkInfo"):
            pdf.catalog.pop(key, None)

    _tag_capture.callback = capture
    try:
        data = document.write_pdf(pdf_tags=True)
    finally:
        _tag_capture.callback = None
    return data, trees


#: The capture of the thread writing a tagged piece (publishing may run in threads).
_tag_capture = threading.local()
_tag_capture_lock = threading.Lock()


def _tag_capture_install() -> None:
    """Wrap WeasyPrint's tagging (once per process) so that it hands its objects to the
    writing thread's ``_tag_capture.callback``."""
    import weasyprint.pdf as weasyprint_pdf

    with _tag_capture_lock:
        original = weasyprint_pdf.add_tags
        if getattr(original, "kpiw_capture", False):
            return

        def add_tags(pdf, *args, **kwargs):
            # WeasyPrint asks for ``pdf.page_references`` (a tuple built from every page) for
            # each structure element it writes: quadratic, a quarter of a 250-KPI piece's
            # writing time. No page is added while tagging, so the tuple is built once.
            own_class = pdf.__class__
            pdf.__class__ = _pages_fixed_class(own_class)
            pdf.kpiw_page_references = own_class.page_references.fget(pdf)
            try:
                original(pdf, *args, **kwargs)
            finally:
                pdf.__class__ = own_class
                del pdf.kpiw_page_references
            callback = getattr(_tag_capture, "callback", None)
            if callback is not None:
                callback(pdf)

        add_tags.kpiw_capture = True
        weasyprint_pdf.add_tags = add_tags


@functools.cache
def _pages_fixed_class(base: type) -> type:
    """``base`` (pydyf's PDF) with its page references read from ``kpiw_page_references``."""
    return type(
        f"PagesFixed{base.__name__}",
        (base,),
        {"page_references": property(lambda self: self.kpiw_page_references)},
    )


class ChildPiece:
    """A piece laid out by a second process while this one works: ``result()`` waits for
    it. If the process cannot run or fails, the piece is laid out here instead (slower, never
    wrong).

    Nothing goes through the file system: the HTML goes in on the process's standard input
    (written by a thread, so this one goes on at once), the piece comes back on its standard
    output and its errors in an anonymous temporary file. A worker killed half-way (SIGKILL,
    time limit) leaves nothing behind to clean up."""

    def __init__(self, html: str, *, outline_level: int = 0):
        self.html = html
        self.outline_level = outline_level
        self.proc: subprocess.Popen | None = None
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        try:
            self.proc = subprocess.Popen(  # noqa: S603 - our interpreter, our module, fixed args
                [sys.executable, "-m", CHILD_MODULE, str(outline_level)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.stderr,
                env=os.environ | {"KPIW_PDF_PARENT": str(os.getpid())},
            )
        except OSError:
            log.warning("could not start a PDF layout process; laying out here", exc_info=True)
            return
        self.feeder = threading.Thread(
            target=self._feed, args=(self.proc.stdin, html.encode("utf-8")), daemon=True
        )
        self.feeder.start()

    @staticmethod
    def _feed(pipe, data: bytes) -> None:
        try:
            with pipe:
                pipe.write(data)
        except (BrokenPipeError, OSError, ValueError):  # it died (or was stopped): seen in result()
            pass

    def result(self) -> Piece:
        try:
            if self.proc is not None:
                out = self.proc.stdout.read()
                if self.proc.wait() == 0:
                    meta, _newline, pdf = out.partition(b"\n")
                    return Piece(pdf=pdf, **json.loads(meta))
                self.stderr.seek(0)
                err = self.stderr.read().decode(errors="replace")[-2000:]
                log.warning("PDF layout process failed (%s); laying out here", err)
            return piece_render(self.html, outline_level=self.outline_level)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the process if it still runs (the build failed or timed out) and clean up."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.feeder.join()
            self.proc.stdout.close()
        self.stderr.close()


#: Objects per compressed object stream (what pydyf, WeasyPrint's writer, does too).
OBJECTS_PER_STREAM = 200


def _compact_writer():
    """A pypdf writer that writes like WeasyPrint: the small objects (pages, annotations,
    outline items, font dictionaries…) compressed together in object streams and the cross
    reference as a compressed stream (PDF 1.5). pypdf alone writes each in clear, which makes
    a pack assembled from pieces about 45 % bigger than the same pack laid out in one go."""
    import io
    import zlib

    from pypdf import PdfWriter
    from pypdf.generic import StreamObject

    def stream_object(out, idnum: int, head: str, data: bytes) -> None:
        out.write(
            f"{idnum} 0 obj\n<< {head} /Filter /FlateDecode /Length {len(data)} >>\n".encode()
        )
        out.write(b"stream\n" + data + b"\nendstream\nendobj\n")

    class CompactWriter(PdfWriter):
        def _write_pdf_structure(self, stream):
            assert not self._encryption, "no encryption here"
            stream.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
            self._xref_rows = rows = {}  # idnum: (type, field 2, field 3)
            self._next_id = len(self._objects) + 1
            pending: list[tuple[int, bytes]] = []

            def flush():
                if not pending:
                    return
                idnum, self._next_id = self._next_id, self._next_id + 1
                header, body, offset = [], [], 0
                for index, (number, data) in enumerate(pending):
                    rows[number] = (2, idnum, index)
                    header.append(f"{number} {offset}")
                    body.append(data)
                    offset += len(data) + 1
                head = (" ".join(header) + "\n").encode()
                rows[idnum] = (1, stream.tell(), 0)
                data = zlib.compress(head + b"\n".join(body), 6)
                stream_object(
                    stream, idnum, f"/Type /ObjStm /N {len(pending)} /First {len(head)}", data
                )
                pending.clear()

            for idnum, obj in enumerate(self._objects, start=1):
                if obj is None:
                    continue
                if isinstance(obj, StreamObject):
                    rows[idnum] = (1, stream.tell(), 0)
                    stream.write(f"{idnum} 0 obj\n".encode())
                    obj.write_to_stream(stream)
                    stream.write(b"\nendobj\n")
                else:
                    buf = io.BytesIO()
                    obj.write_to_stream(buf)
                    pending.append((idnum, buf.getvalue()))
                    if len(pending) >= OBJECTS_PER_STREAM:
                        flush()
            flush()
            return [], []

        def _write_xref_table(self, stream, object_positions, free_objects) -> int:
            rows = self._xref_rows
            idnum = self._next_id
            location = stream.tell()
            rows[idnum] = (1, location, 0)
            table = bytearray(
                (0).to_bytes(1, "big") + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
            )
            for number in range(1, idnum + 1):
                kind, a, b = rows.get(number, (0, 0, 0))
                table += kind.to_bytes(1, "big") + a.to_bytes(4, "big") + b.to_bytes(2, "big")
            refs = f"/Root {self.root_object.indirect_reference.idnum} 0 R"
            if self._info is not None:
                refs += f" /Info {self._info.indirect_reference.idnum} 0 R"
            if self._ID is not None:
                buf = io.BytesIO()
                self._ID.write_to_stream(buf)
                refs += " /ID " + buf.getvalue().decode("latin-1")
            stream_object(
                stream,
                idnum,
                f"/Type /XRef /Size {idnum + 1} /W [1 4 2] {refs}",
                zlib.compress(bytes(table), 6),
            )
            return location

        def _write_trailer(self, stream, xref_location: int) -> None:
            stream.write(f"startxref\n{xref_location}\n%%EOF\n".encode())

    return CompactWriter()


#: The advance of a digit of DejaVu Sans (all ten the same: 1303 of 2048 units) at the
#: footer's 7.5 pt, in PDF points.
DIGIT_ADVANCE = 1303 / 2048 * 7.5


def page_numbers_render() -> Piece:
    """Ten empty A4 pages, page ``d`` with the digit ``d`` where the pack's footer leaves room
    for the page number, bottom right: a number is drawn from them at assembly, its digits
    one advance apart (``DIGIT_ADVANCE``). The same ten pages for every pack and any length."""
    pages = "".join(f'<div class="p"><span>{d}</span></div>' for d in range(10))
    return piece_render(
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "@page { size: A4; margin: 0 }"
        "body { margin: 0; font: 7.5pt/3.2mm 'DejaVu Sans', sans-serif; color: #666 }"
        ".p { height: 297mm; position: relative } .p + .p { break-before: page }"
        ".p span { position: absolute; right: 16mm; bottom: 8.4mm }"
        f"</style></head><body>{pages}</body></html>",
        tags=False,
    )


def _pdf_date(iso: str) -> str:
    import datetime

    when = datetime.datetime.fromisoformat(iso)
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC)
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def _pdf_string(text: str) -> bytes:
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"
    return b"(" + data.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _pdf_value(value) -> bytes:
    """A tag attribute read by ``_write_tagged``, written as PDF."""
    if isinstance(value, dict):
        if set(value) == {"s"}:
            return _pdf_string(value["s"])
        return b"<<" + b"".join(f"/{k} ".encode() + _pdf_value(v) for k, v in value.items()) + b">>"
    if isinstance(value, list):
        return b"[" + b" ".join(_pdf_value(v) for v in value) + b"]"
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        return (f"{value:.4f}".rstrip("0").rstrip(".") or "0").encode()
    if isinstance(value, str) and value.startswith("/"):
        return value.encode()
    return _pdf_string(str(value))


def _ref(obj) -> bytes:
    return f"{obj.indirect_reference.idnum} 0 R".encode()


@functools.cache
def _struct_elem_class():
    from pypdf.generic import PdfObject

    class StructElem(PdfObject):
        """A structure element written as it is: pypdf's own objects cost 10 times more to
        build and write, and a 500-KPI pack has 50 000 elements a pack."""

        def __init__(self, head: bytes):
            self.head = head
            self.kids: list[bytes] = []

        def write_to_stream(self, stream, encryption_key=None) -> None:
            stream.write(self.head + b"/K[" + b" ".join(self.kids) + b"]>>")

    return StructElem


def _struct_build(writer, spec: dict, parent: bytes, page: bytes, marked: dict, links: list):
    """The structure element ``spec`` (from ``_write_tagged``) and all below it written in
    ``writer`` on ``page`` under ``parent`` (references); ``marked`` gets MCID -> element,
    ``links`` the Link elements in order."""
    head = b"<</Type/StructElem/S/" + spec["S"].encode() + b"/P " + parent + b"/Pg " + page
    for key in ("A", "Alt", "ActualText", "ID", "Lang"):
        if key in spec:
            head += f"/{key} ".encode() + _pdf_value(spec[key])
    elem = _struct_elem_class()(head)
    writer._add_object(elem)
    own = _ref(elem)
    if spec["S"] == "Link":
        links.append(elem)
    for kid in spec["K"]:
        if isinstance(kid, int):
            elem.kids.append(str(kid).encode())
            marked[kid] = elem.indirect_reference
        else:
            elem.kids.append(_ref(_struct_build(writer, kid, own, page, marked, links)))
    return elem


def _xmp(title: str, language: str, when: str) -> bytes:
    from xml.sax.saxutils import escape

    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
 xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>
<pdf:Producer>kpiworkshop (WeasyPrint, pypdf)</pdf:Producer>
<xmp:CreateDate>{escape(when)}</xmp:CreateDate><xmp:ModifyDate>{escape(when)}</xmp:ModifyDate>
<pdfuaid:part>1</pdfuaid:part>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="r"?>""".encode()


def pack_assemble(
    parts: list[tuple[Piece, list[int]]],
    *,
    title: str,
    language: str,
    numbers: Piece | None = None,
    created: str | None = None,
) -> bytes:
    """One PDF from pages of pieces, in order, with named destinations for every anchor (the
    first of each name), the internal links whose target is in the pack, the outline, the
    pieces' tags (a tagged PDF, PDF/UA) and, from ``numbers`` (the digits of
    ``page_numbers_render``), each page's number. ``created`` (ISO) dates the document:
    the same parts give the same bytes."""
    import io

    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DecodedStreamObject,
        DictionaryObject,
        Fit,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    stamps = numbers
    writer = _compact_writer()
    placed: list[tuple[Piece, int]] = []
    for piece, numbers in parts:
        for number in numbers:
            writer.add_page(piece.reader.pages[number])
            placed.append((piece, number))

    dests: dict[str, tuple[int, float, float]] = {}
    for index, (piece, number) in enumerate(placed):
        for name, (x, y) in piece.pages[number]["anchors"].items():
            dests.setdefault(name, (index, x, y))
    if dests:
        names = writer.get_named_dest_root()
        for name in sorted(dests):  # a name tree's keys are in order
            index, x, y = dests[name]
            names.extend(
                [
                    TextStringObject(name),
                    ArrayObject(
                        [
                            writer.pages[index].indirect_reference,
                            NameObject("/XYZ"),
                            FloatObject(x),
                            FloatObject(y),
                            NumberObject(0),
                        ]
                    ),
                ]
            )

    link_annots: dict[int, list] = {}  # page index: its links' annotations, None if not kept
    for index, (piece, number) in enumerate(placed):
        slots = link_annots.setdefault(index, [])
        for name, rect in piece.pages[number]["links"]:
            slots.append(None)
            if name in dests:
                slots[-1] = writer.add_annotation(
                    index,
                    DictionaryObject(
                        {
                            NameObject("/Type"): NameObject("/Annot"),
                            NameObject("/Subtype"): NameObject("/Link"),
                            NameObject("/Rect"): ArrayObject(FloatObject(v) for v in rect),
                            NameObject("/BS"): DictionaryObject(
                                {NameObject("/W"): NumberObject(0)}
                            ),
                            NameObject("/Dest"): TextStringObject(name),
                        }
                    ),
                )

    by_page: dict[tuple[int, int], list[list]] = {}
    for piece in {id(piece): piece for piece, _numbers in parts}.values():
        for mark in piece.bookmarks:
            by_page.setdefault((id(piece), mark[2]), []).append(mark)
    stack: list[tuple[int, object]] = []  # (level, outline item) of the open ancestors
    for index, (piece, number) in enumerate(placed):
        for level, label, _page, x, y in by_page.pop((id(piece), number), []):
            while stack and stack[-1][0] >= level:
                stack.pop()
            item = writer.add_outline_item(
                label,
                index,
                parent=stack[-1][1] if stack else None,
                fit=Fit.xyz(left=x, top=y, zoom=0),
            )
            stack.append((level, item))

    _tags_write(writer, placed, link_annots)
    if stamps is not None:
        _numbers_stamp(writer, stamps)
    info = {"/Title": title, "/Producer": "kpiworkshop (WeasyPrint, pypdf)"}
    if created:
        info |= {"/CreationDate": _pdf_date(created), "/ModDate": _pdf_date(created)}
    writer.add_metadata(info)
    root = writer.root_object
    root[NameObject("/Lang")] = TextStringObject(language)
    metadata = DecodedStreamObject()
    metadata.set_data(_xmp(title, language, created or ""))
    metadata.update({NameObject("/Type"): NameObject("/Metadata"),
                     NameObject("/Subtype"): NameObject("/XML")})  # fmt: skip
    root[NameObject("/Metadata")] = writer._add_object(metadata)
    root[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _tags_write(writer, placed: list[tuple[Piece, int]], link_annots: dict[int, list]) -> None:
    """The pack's structure tree: each placed page's elements copied under one Document
    element, in page order, and the parent tree that maps each page's marked contents to
    them (keyed by the page's index). A page's link annotations (written at assembly) join
    its Link elements, in order, when there are as many of each (one line a link: the
    contents)."""
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        NameObject,
        NullObject,
        NumberObject,
    )

    tree = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    tree_ref = writer._add_object(tree)
    document = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject("/Document"),
            NameObject("/P"): tree_ref,
        }
    )
    writer._add_object(document)
    kids, nums, annot_nums = ArrayObject(), ArrayObject(), ArrayObject()
    document_id = _ref(document)
    for index, (piece, number) in enumerate(placed):
        page = writer.pages[index]
        page_id = _ref(page)
        marked: dict[int, object] = {}
        links: list = []
        for spec in piece.pages[number].get("tags") or []:
            elem = _struct_build(writer, spec, document_id, page_id, marked, links)
            kids.append(elem.indirect_reference)
        if marked:
            nums.append(NumberObject(index))
            nums.append(ArrayObject(marked.get(i, NullObject()) for i in range(max(marked) + 1)))
            page[NameObject("/StructParents")] = NumberObject(index)
        elif "/StructParents" in page:
            del page["/StructParents"]
        slots = link_annots.get(index, [])
        if slots and len(links) == len(slots):
            for link, annot in zip(links, slots, strict=True):
                if annot is None:
                    continue
                annot_key = len(placed) + len(annot_nums) // 2
                annot[NameObject("/StructParent")] = NumberObject(annot_key)
                annot_nums += [NumberObject(annot_key), link.indirect_reference]
                link.kids.append(b"<</Type/OBJR/Obj " + _ref(annot) + b"/Pg " + page_id + b">>")
    nums += annot_nums
    document[NameObject("/K")] = kids
    tree[NameObject("/K")] = ArrayObject([document.indirect_reference])
    tree[NameObject("/ParentTree")] = writer._add_object(
        DictionaryObject({NameObject("/Nums"): nums})
    )
    tree[NameObject("/ParentTreeNextKey")] = NumberObject(len(placed) + len(annot_nums) // 2)
    writer.root_object[NameObject("/StructTreeRoot")] = tree_ref
    writer.root_object[NameObject("/MarkInfo")] = DictionaryObject(
        {NameObject("/Marked"): BooleanObject(True)}
    )


def _numbers_stamp(writer, digits: Piece) -> None:
    """Draw each page's number from the forms of ``digits`` (``page_numbers_render``), right
    aligned, marked as a pagination artifact (not content a screen reader reads)."""
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        IndirectObject,
        NameObject,
    )

    def stream(data: bytes):
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)

    forms = {}
    for digit, source in enumerate(digits.reader.pages):
        form = DecodedStreamObject()
        form.set_data(source.get_contents().get_data())
        form.update(
            {
                NameObject("/Type"): NameObject("/XObject"),
                NameObject("/Subtype"): NameObject("/Form"),
                NameObject("/BBox"): ArrayObject(source.mediabox),
                NameObject("/Resources"): source["/Resources"].get_object().clone(writer),
            }
        )
        forms[NameObject(f"/KpiwDigit{digit}")] = writer._add_object(form.flate_encode())
    before = stream(b"q\n")
    for index, page in enumerate(writer.pages):
        number = str(index + 1)
        draw = b"".join(  # left to right, as it is read
            f"q 1 0 0 1 {shift * DIGIT_ADVANCE:.4f} 0 cm /KpiwDigit{digit} Do Q ".encode()
            for shift, digit in enumerate(number, start=1 - len(number))
        )
        after = stream(b"\nQ\n/Artifact <</Type /Pagination>> BDC " + draw + b"EMC\n")
        resources = DictionaryObject(page["/Resources"].get_object())
        own = resources.get("/XObject")
        own = DictionaryObject(own.get_object()) if own is not None else DictionaryObject()
        own.update(forms)
        resources[NameObject("/XObject")] = own
        page[NameObject("/Resources")] = resources
        contents = page.get("/Contents")
        if isinstance(contents, IndirectObject) and isinstance(contents.get_object(), list):
            contents = contents.get_object()
        contents = list(contents) if isinstance(contents, list) else [contents]
        page[NameObject("/Contents")] = ArrayObject([before, *contents, after])


def _die_with_parent() -> None:
    """A worker killed half-way (SIGKILL, time limit) takes this process with it (Linux
    PR_SET_PDEATHSIG; elsewhere the piece is finished and thrown away)."""
    import ctypes
    import signal

    parent = int(os.environ.get("KPIW_PDF_PARENT") or os.getppid())
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the call (or before we started)
        os._exit(1)


def _main(argv: list[str]) -> None:
    """Read the HTML on standard input; write one line of JSON (the pages' anchors and links,
    the outline) then the PDF on standard output."""
    _die_with_parent()
    (outline_level,) = argv
    html = sys.stdin.buffer.read().decode("utf-8")
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything else printed goes to the errors, not into the PDF
    piece = piece_render(html, outline_level=int(outline_level))
    with out:
        out.write(json.dumps(piece.to_json()).encode() + b"\n")
        out.write(piece.pdf)


if __name__ == "__main__":
    _main(sys.argv[1:])
