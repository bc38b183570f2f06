"""The KPI tree as data: goals at the top, the KPIs that serve them, their drivers, parts and
guards below. Pure functions over ids, no query: the workshop's tree page, the coverage checks,
a release's snapshot, the catalogue and the PDF pack all build the same ``Tree`` from their own
rows.

A link (``from``, ``to``, kind) puts ``from`` under ``to``. Each KPI is placed once, under the
first parent a breadth-first walk from the goals reaches it by (accepted links before proposed
ones, a primary goal before a secondary one): a KPI with two parents is drawn once and its
other parents are listed as ``also`` links, so the drawing stays a tree and nothing is lost.
KPIs that reach no goal are placed under a last, unnamed root ("not yet in the tree").
"""

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .models import CYCLE_KINDS, LinkKind, LinkState

#: Order of a node's children: drivers, then parts, then guards.
KIND_ORDER = {LinkKind.DRIVES: 0, LinkKind.PART_OF: 1, LinkKind.GUARDS: 2}


def kind_text(kind: str) -> str:
    """What a line to a parent means, in words ("drives", "primary goal")."""
    if kind == "primary":
        return _("primary goal")
    if kind == "secondary":
        return _("secondary goal")
    return str(LinkKind(kind).label) if kind in LinkKind.values else ""


@dataclass(frozen=True)
class Edge:
    """One KPI-to-KPI link, as the tree reads it (ids are a workshop's proposal ids or a
    release's KPI uids)."""

    source: object
    target: object
    kind: str
    state: str = LinkState.ACCEPTED
    why: str = ""
    #: The link's own id where it has one (a workshop's link), for the page's buttons.
    link_id: int | None = None


@dataclass
class Node:
    key: str
    label: str
    #: "goal", "kpi" or "unplaced" (the root of the KPIs that reach no goal)
    type: str
    href: str = ""
    #: The KPI's id (a proposal id or a KPI uid); None for a root.
    kpi_id: object = None
    depth: int = 0
    #: How this node hangs under its parent: a LinkKind, "primary"/"secondary" under a goal.
    kind: str = ""
    #: The state of the link to the parent ("accepted" or "proposed"; goals' links: accepted).
    state: str = LinkState.ACCEPTED
    why: str = ""
    children: list["Node"] = field(default_factory=list)
    #: Other parents: [(kind, state, parent label)]
    also: list[tuple[str, str, str]] = field(default_factory=list)
    #: Set by the layout: the node's row (top to bottom) and its place on the drawing.
    row: float = 0.0
    parent: "Node | None" = field(default=None, repr=False)

    @property
    def kind_label(self) -> str:
        return kind_text(self.kind)

    @property
    def also_shown(self) -> list[tuple[str, bool, str]]:
        """The other parents in words: [(kind, proposed?, parent's name)]."""
        return [(kind_text(k), s == LinkState.PROPOSED, other) for k, s, other in self.also]

    @property
    def dashed(self) -> bool:
        return self.state == LinkState.PROPOSED


@dataclass
class Tree:
    roots: list[Node]
    #: Every link drawn besides the tree's own: (from node, to node, kind, state)
    extra: list[tuple[Node, Node, str, str]]
    depth: int
    rows: int
    kpi_count: int

    def walk(self) -> Iterable[Node]:
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


def tree_build(
    *,
    goals: list[tuple[object, str]],
    kpis: list[tuple[object, str, str]],
    goal_links: list[tuple[object, object, str]],
    edges: list[Edge],
    unplaced_label: str = "",
) -> Tree:
    """The tree from rows: ``goals`` (id, label) in order, ``kpis`` (id, label, href),
    ``goal_links`` (kpi id, goal id, "primary"/"secondary"), ``edges`` between KPIs (declined
    ones left out by the caller). A goal no KPI serves is left out: the tree shows what is
    measured; the coverage check names the unmeasured goals."""
    kpi_labels = {k: (label, href) for k, label, href in kpis}
    children: dict[object, list[Edge]] = defaultdict(list)
    for e in edges:
        if e.source in kpi_labels and e.target in kpi_labels and e.source != e.target:
            children[e.target].append(e)
    for kids in children.values():
        kids.sort(
            key=lambda e: (
                e.state != LinkState.ACCEPTED,
                KIND_ORDER.get(e.kind, 9),
                kpi_labels[e.source][0].lower(),
            )
        )
    under_goal: dict[object, list[tuple[object, str]]] = defaultdict(list)
    for kpi, goal, strength in sorted(goal_links, key=lambda g: g[2] != "primary"):
        if kpi in kpi_labels:
            under_goal[goal].append((kpi, strength))
    placed: dict[object, Node] = {}
    roots: list[Node] = []
    queue: deque[Node] = deque()
    also_goal: list[tuple[object, Node, str]] = []

    def place(kpi, parent: Node, kind: str, state: str, why: str) -> None:
        label, href = kpi_labels[kpi]
        node = Node(
            key=f"k{kpi}",
            label=label,
            type="kpi",
            href=href,
            kpi_id=kpi,
            depth=parent.depth + 1,
            kind=kind,
            state=state,
            why=why,
            parent=parent,
        )
        parent.children.append(node)
        placed[kpi] = node
        queue.append(node)

    # A KPI that drives (is part of, guards) another by an accepted link hangs under that KPI,
    # not under its goal as well: the goal's own row holds the KPIs at the top of the tree.
    below = {
        e.source
        for kids in children.values()
        for e in kids
        if e.state == LinkState.ACCEPTED and e.target in kpi_labels
    }
    deferred: list[tuple[object, Node, str]] = []
    for goal, label in goals:
        kids = under_goal.get(goal)
        if not kids:
            continue
        root = Node(key=f"g{goal}", label=label, type="goal")
        roots.append(root)
        for kpi, strength in sorted(kids, key=lambda k: kpi_labels[k[0]][0].lower()):
            if kpi in below:
                deferred.append((kpi, root, strength))
            elif kpi in placed:
                also_goal.append((kpi, root, strength))
            else:
                place(kpi, root, strength, LinkState.ACCEPTED, "")
    extra: list[tuple[Node, Node, str, str]] = []

    def walk_queue() -> None:
        while queue:
            node = queue.popleft()
            for e in children.get(node.kpi_id, []):
                if e.source in placed:
                    other = placed[e.source]
                    if other is not node:
                        extra.append((other, node, e.kind, e.state))
                        other.also.append((e.kind, e.state, node.label))
                else:
                    place(e.source, node, e.kind, e.state, e.why)

    walk_queue()
    # A deferred KPI whose parents never joined the tree (a cycle) goes under its goal after
    # all; one that did join keeps its goal as an "also".
    for kpi, root, strength in deferred:
        if kpi in placed:
            also_goal.append((kpi, root, strength))
        else:
            place(kpi, root, strength, LinkState.ACCEPTED, "")
            walk_queue()
    for kpi, root, strength in also_goal:
        extra.append((placed[kpi], root, strength, LinkState.ACCEPTED))
        placed[kpi].also.append((strength, LinkState.ACCEPTED, root.label))
    # What reaches no goal hangs under one more root, in name order, with its own subtrees.
    rest = sorted((k for k in kpi_labels if k not in placed), key=lambda k: kpi_labels[k][0])
    if rest:
        root = Node(key="unplaced", label=unplaced_label, type="unplaced")
        # The tops of what is left first (no parent among the rest), each with its subtree;
        # then whatever a cycle with no way in keeps out, still shown once.
        rest_set = set(rest)
        has_parent = {e.source for e in edges if e.source in rest_set and e.target in rest_set}
        for kpi in [k for k in rest if k not in has_parent] + rest:
            if kpi not in placed:
                place(kpi, root, "", LinkState.ACCEPTED, "")
                walk_queue()
        roots.append(root)
    tree = Tree(roots=roots, extra=extra, depth=0, rows=0, kpi_count=len(placed))
    _rows(tree)
    return tree


def _rows(tree: Tree) -> None:
    """A tidy layered layout: each leaf takes the next row, a parent sits level with the
    middle of its children. ``depth`` says the column."""
    next_row = 0
    deepest = 0

    def visit(node: Node) -> None:
        nonlocal next_row, deepest
        deepest = max(deepest, node.depth)
        if not node.children:
            node.row = next_row
            next_row += 1
            return
        for child in node.children:
            visit(child)
        node.row = (node.children[0].row + node.children[-1].row) / 2

    for root in tree.roots:
        visit(root)
    tree.depth = deepest
    tree.rows = next_row


# --- Checks on accepted links ---------------------------------------------------------------------


def _parents(edges: Iterable[tuple[object, object, str]]) -> dict[object, set]:
    up: dict[object, set] = defaultdict(set)
    for source, target, kind in edges:
        if kind in CYCLE_KINDS:
            up[source].add(target)
    return up


def closes_cycle(edges: Iterable[tuple[object, object, str]], new: tuple[object, object]) -> bool:
    """Would the link ``new`` (from, to) of a cycle kind close a cycle among ``edges``
    (from, to, kind)? It does when ``from`` is already above ``to``."""
    source, target = new
    up = _parents(edges)
    seen, stack = set(), [target]
    while stack:
        node = stack.pop()
        if node == source:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(up.get(node, ()))
    return False


def in_cycles(edges: Iterable[tuple[object, object, str]]) -> set:
    """The nodes that lie on a cycle of drives / is-part-of links (Tarjan's strongly connected
    components, iteratively: a tree of hundreds of KPIs must not hit the recursion limit)."""
    up = _parents(edges)
    index: dict[object, int] = {}
    low: dict[object, int] = {}
    on_stack: set = set()
    stack: list = []
    found: set = set()
    counter = 0
    for start in list(up):
        if start in index:
            continue
        work = [(start, iter(up.get(start, ())))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(up.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                if len(component) > 1 or node in up.get(node, ()):
                    found.update(component)
    return found


def reaching_goal(served: set, edges: Iterable[tuple[object, object, str]], kpis: Iterable) -> set:
    """The KPIs that reach a goal: those that serve one, and those linked (any kind) to a KPI
    that reaches one."""
    down: dict[object, set] = defaultdict(set)
    for source, target, _kind in edges:
        down[target].add(source)
    reached = set(served)
    queue = deque(served)
    while queue:
        node = queue.popleft()
        for child in down.get(node, ()):
            if child not in reached:
                reached.add(child)
                queue.append(child)
    return reached & set(kpis)


def driver_counts(edges: Iterable[tuple[object, object, str]]) -> dict[object, int]:
    """How many KPIs drive each KPI."""
    counts: dict[object, int] = defaultdict(int)
    for _source, target, kind in edges:
        if kind == LinkKind.DRIVES:
            counts[target] += 1
    return counts
