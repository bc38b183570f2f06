"""The KPI tree in the data-stack exports (issue 20).

OpenMetadata: each metric's ``relatedMetrics`` names the metrics it is linked to in the tree,
either way (OpenMetadata's relation has no direction or kind; the kind stays in the catalogue).

dbt: each computable KPI's metric carries its links in ``meta.kpi_tree``; and where the tree
says a KPI is made of parts that add up — two or more accepted "is part of" links whose parts
are all computable, simple (no denominator) and additive (a count or a sum), unscaled — a
``derived`` metric ``<kpi>_from_parts`` adds them up, so the data team can check the whole
against the sum of its parts. Anything else (drivers, guards, averages, ratios) is not a
formula and is exported as meta only.
"""

from collections import defaultdict

from kpiworkshop.datasets.definition import Definition

from .exports.datastack import metric_name

ADDITIVE = frozenset({"count", "sum"})


def om_related(doc: dict) -> dict[str, list[str]]:
    """kpi uid -> the metric names it is linked to in the document's tree, sorted."""
    related: dict[str, set[str]] = defaultdict(set)
    for link in doc.get("tree") or []:
        related[link["from"]].add(metric_name(link["to"]))
        related[link["to"]].add(metric_name(link["from"]))
    return {uid: sorted(names) for uid, names in related.items()}


def _additive(definition: Definition) -> bool:
    return (
        definition.denominator is None
        and definition.numerator.agg in ADDITIVE
        and definition.scale == 1
    )


def dbt_tree(doc: dict, metrics: list[dict], definitions: dict[str, Definition]) -> list[dict]:
    """Put each link into the meta of the metrics it joins (``metrics`` changed in place) and
    return the derived "sum of its parts" metrics the definitions allow. ``definitions``:
    kpi uid -> the computable definition of each KPI exported as a metric."""
    by_name = {m["name"]: m for m in metrics}
    names = {e["kpi_uid"]: e["name"] for e in doc["entries"]}
    parts: dict[str, list[str]] = defaultdict(list)
    for link in doc.get("tree") or []:
        source, target = link["from"], link["to"]
        for uid, other, direction in ((source, target, "to"), (target, source, "from")):
            metric = by_name.get(metric_name(uid))
            if metric is not None and "meta" in metric:
                metric["meta"].setdefault("kpi_tree", []).append(
                    {"kind": link["kind"], direction: other, "name": names.get(other, "")}
                )
        if link["kind"] == "part_of":
            parts[target].append(source)
    derived = []
    for whole, members in sorted(parts.items()):
        members = sorted(set(members))
        if (
            len(members) < 2
            or whole not in definitions
            or not all(m in definitions and _additive(definitions[m]) for m in members)
        ):
            continue
        refs = [metric_name(m) for m in members]
        derived.append(
            {
                "name": f"{metric_name(whole)}_from_parts",
                "label": f"{names.get(whole, '')} (sum of its parts)",
                "description": "The sum of the KPIs the tree says it is made of: "
                + ", ".join(names.get(m, "") for m in members),
                "type": "derived",
                "type_params": {"expr": " + ".join(refs), "metrics": [{"name": r} for r in refs]},
                "meta": {"kpi_uid": whole, "kpi_tree": "sum of parts"},
            }
        )
    return derived
