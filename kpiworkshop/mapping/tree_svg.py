"""The KPI tree drawn as SVG, on the server: no JavaScript library, no download, the same
drawing on the projector, in the catalogue and in the PDF pack.

Layered, left to right: the goals in the first column, the KPIs that serve them in the next,
their drivers, parts and guards after that (``tree.Tree``'s rows and depths). Left to right
because a room's tree is wide and shallow: four or five columns fit a 1920-pixel projector at
full size, and more KPIs make the drawing taller (the page scrolls), never smaller to read.

Every node is focusable (a KPI is a link to its mapping page, a goal a focusable group) with
its whole meaning in its ``aria-label``; ``static/js/tree.js`` adds arrow keys. Accepted links
are solid lines, proposed ones dashed; a node's kind is written in it, not only coloured.
"""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .models import LinkKind, LinkState
from .tree import Node, Tree, kind_text

COLUMN = 380
BOX_W, BOX_H = 330, 78
ROW = 94
PAD = 12
FONT = 19
SMALL = 15
#: Characters per line of a node's name at FONT pixels in BOX_W (a conservative average).
LINE_CHARS = 30

KIND_CLASS = {
    LinkKind.DRIVES: "k-drives",
    LinkKind.PART_OF: "k-part",
    LinkKind.GUARDS: "k-guards",
    "primary": "k-goal",
    "secondary": "k-goal",
}


def _lines(text: str, width: int = LINE_CHARS, most: int = 2) -> list[str]:
    """A name in at most ``most`` lines of about ``width`` characters, cut with an ellipsis."""
    words, lines, line = str(text).split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if len(candidate) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return [ln if len(ln) <= width + 8 else ln[: width + 7] + "…" for ln in lines]


def node_description(node: Node) -> str:
    """The whole meaning of a node in one sentence, for screen readers and the list."""
    if node.type == "goal":
        return _("Goal: %(name)s") % {"name": node.label}
    if node.type == "unplaced":
        return node.label
    parent = node.parent.label if node.parent is not None else ""
    if node.parent is not None and node.parent.type == "goal":
        text = _("%(name)s serves the goal %(goal)s (%(kind)s)") % {
            "name": node.label,
            "goal": parent,
            "kind": kind_text(node.kind),
        }
    elif node.parent is not None and node.parent.type == "kpi":
        text = f"{node.label} {node.kind_label} {parent}"
    else:
        text = node.label
    if node.state == LinkState.PROPOSED:
        text += " " + _("(proposed)")
    for kind, state, other in node.also:
        more = _("also %(kind)s %(other)s") % {"kind": kind_text(kind), "other": other}
        if state == LinkState.PROPOSED:
            more += " " + _("(proposed)")
        text += "; " + more
    return text


def _xy(node: Node) -> tuple[int, int]:
    return PAD + node.depth * COLUMN, PAD + round(node.row * ROW)


def _curve(a: Node, b: Node, cls: str, dashed: bool) -> SafeString:
    """A line from parent ``a``'s right edge to child ``b``'s left edge."""
    ax, ay = _xy(a)
    bx, by = _xy(b)
    x1, y1 = ax + BOX_W, ay + BOX_H // 2
    x2, y2 = bx, by + BOX_H // 2
    if x2 <= x1:  # a link back to an earlier column: round the outside
        x1, x2 = ax, bx + BOX_W
    mid = (x1 + x2) // 2
    return format_html(
        '<path class="edge {}{}" d="M{} {} C{} {} {} {} {} {}"/>',
        cls,
        " proposed" if dashed else "",
        x1,
        y1,
        mid,
        y1,
        mid,
        y2,
        x2,
        y2,
    )


def _node(node: Node) -> SafeString:
    x, y = _xy(node)
    names = _lines(node.label)
    kind = kind_text(node.kind) if node.type == "kpi" else ""
    if node.type == "kpi" and node.state == LinkState.PROPOSED:
        kind = f"{kind} · {_('proposed')}" if kind else _("proposed")
    top = y + (22 if kind else 30)
    texts = []
    if kind:
        texts.append(
            format_html('<text class="kind" x="{}" y="{}">{}</text>', x + 12, y + 20, kind)
        )
    for i, line in enumerate(names):
        texts.append(
            format_html(
                '<text class="name" x="{}" y="{}">{}</text>', x + 12, top + 22 * (i + 1) - 2, line
            )
        )
    box = format_html(
        '<rect class="box" x="{}" y="{}" width="{}" height="{}" rx="8"/>', x, y, BOX_W, BOX_H
    )
    body = box + format_html_join("", "{}", ((t,) for t in texts))
    classes = f"tree-node t-{node.type} {KIND_CLASS.get(node.kind, '')}"
    if node.state == LinkState.PROPOSED:
        classes += " proposed"
    parent = node.parent.key if node.parent is not None else ""
    description = node_description(node)
    if node.type == "kpi" and node.href:
        return format_html(
            '<a class="{}" href="{}" data-key="{}" data-parent="{}" aria-label="{}">{}</a>',
            classes,
            node.href,
            node.key,
            parent,
            description,
            body,
        )
    return format_html(
        '<g class="{}" tabindex="0" role="group" data-key="{}" data-parent="{}" aria-label="{}">'
        "{}</g>",
        classes,
        node.key,
        parent,
        description,
        body,
    )


def tree_svg(tree: Tree, *, label: str, css: str = "", fluid: bool = False) -> SafeString:
    """The drawing: an ``<svg>`` at its natural size (CSS lets it shrink to a phone's width,
    where the page shows the list instead). Empty string for an empty tree. ``css``: a style
    sheet to put inside the drawing, for renderers that style SVG only from within it
    (WeasyPrint, for the PDF pack); pages use ``static/css/tree.css`` (no inline style: CSP).
    ``fluid``: as wide as its container, its height from its proportions (a printed page)."""
    if not tree.roots:
        return mark_safe("")
    width = PAD * 2 + tree.depth * COLUMN + BOX_W
    height = PAD * 2 + max(tree.rows - 1, 0) * ROW + BOX_H
    nodes = list(tree.walk())
    edges = [
        _curve(n.parent, n, KIND_CLASS.get(n.kind, ""), n.state == LinkState.PROPOSED)
        for n in nodes
        if n.parent is not None and n.parent.type != "unplaced"
    ]
    edges += [
        _curve(parent, child, "extra " + KIND_CLASS.get(kind, ""), state == LinkState.PROPOSED)
        for child, parent, kind, state in tree.extra
    ]
    return format_html(
        '<svg class="kpi-tree" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
        '{size} role="group" aria-label="{label}" data-tree>'
        '{style}<g class="edges" aria-hidden="true">{edges}</g><g class="nodes">{nodes}</g></svg>',
        style=format_html("<style>{}</style>", css) if css else "",
        size=mark_safe('width="100%"')
        if fluid
        else format_html('width="{}" height="{}"', width, height),
        w=width,
        h=height,
        label=label,
        edges=format_html_join("", "{}", ((e,) for e in edges)),
        nodes=format_html_join("", "{}", ((_node(n),) for n in nodes)),
    )


# --- The list (phone, screen readers) ---------------------------------------------------------


def _list_text(node: Node) -> SafeString:
    if node.type == "goal":
        return format_html(
            '<span class="badge text-bg-dark me-1">{}</span><strong>{}</strong>',
            _("Goal"),
            node.label,
        )
    if node.type == "unplaced":
        return format_html("<em>{}</em>", node.label)
    parts = [format_html('<span class="n">{}</span>', node.label)]
    if node.parent is not None and node.parent.type == "kpi":
        kind = format_html("{} {}", node.kind_label, node.parent.label)
        parts.append(format_html(' <span class="tree-kind">— {}</span>', kind))
    elif node.parent is not None and node.parent.type == "goal":
        parts.append(format_html(' <span class="tree-kind">— {}</span>', node.kind_label))
    if node.dashed:
        parts.append(
            format_html(' <span class="badge text-bg-light border">{}</span>', _("proposed"))
        )
    for word, proposed, other in node.also_shown:
        more = _("also %(word)s %(other)s") % {"word": word, "other": other}
        if proposed:
            more += " (" + _("proposed") + ")"
        parts.append(format_html('<span class="tree-also">{}</span>', more))
    return format_html_join("", "{}", ((p,) for p in parts))


def _list_item(node: Node) -> SafeString:
    """One node of the list. Its look is in ``static/css/tree.css`` (``.tree-list``), not in
    classes on every element: the list goes to every phone, a hundred items long."""
    proposed = mark_safe(' class="proposed"') if node.dashed else ""
    text = _list_text(node)
    if node.children:
        opener = (
            format_html(
                '<a class="tree-open" href="{}">{}</a>',
                node.href,
                _("Open %(name)s") % {"name": node.label},
            )
            if node.href
            else ""
        )
        children = format_html_join("", "{}", ((_list_item(c),) for c in node.children))
        return format_html(
            '<li{} id="node-{}"><details open><summary>{}</summary>{}<ul>{}</ul></details></li>',
            proposed,
            node.key,
            text,
            opener,
            children,
        )
    if node.href:
        text = format_html('<a href="{}">{}</a>', node.href, text)
    return format_html(
        '<li{} id="node-{}"><div class="tree-leaf">{}</div></li>', proposed, node.key, text
    )


def tree_list(tree: Tree) -> SafeString:
    """The same tree as nested lists, each node with children a ``<details>`` that opens and
    closes (keyboard and screen readers included): the phone's view. Written here, not as a
    recursive template include: a hundred includes cost more than the rest of the page."""
    items = format_html_join("", "{}", ((_list_item(r),) for r in tree.roots))
    return format_html("<ul>{}</ul>", items)
