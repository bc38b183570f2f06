"""The catalogue taken into the data stack (issues 10 and 19): dbt Semantic Layer YAML
(``semantic_models`` and ``metrics``) and OpenMetadata ``CreateMetricRequest`` JSON (one file per
KPI, in a byte-reproducible zip). ``docs/data-teams.md`` says how a data team loads them.

Both are built from the release document of ``exports.py`` (internal-only fields left out, text
sanitised), in the release's language, and from the computable definition each entry carries in
the release snapshot (``computable``: dataset, spec, the dataset's columns), so a published
release exports the same bytes forever, without reading live data.

Names come from the KPI's stable uid (``kpi_<12 hex digits>``), never from its display name or
position: a rename or a reordering changes no metric name. A KPI without a computable
definition is not a dbt metric (a placeholder would compute nothing); the YAML lists it with the
reason in its header, and OpenMetadata gets its formula in words (language ``External``).

Filters shared by numerator and denominator become the metric's ``filter`` in dbt's
``{{ Dimension('<entity>__<column>') }}`` syntax; a measure's own filters and a free condition
(``where``) are rendered into the measure's ``expr`` as ``CASE WHEN``. Checked by the real tools
(``make datastack-check``: ``dbt parse``, ``mf validate-configs``, ``mf query`` against the
preview, OpenMetadata's generated models): see ``scripts/datastack_check.py``.
"""

import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation
from sqlglot import exp

from kpiworkshop.datasets.definition import Definition, Filter, Measure
from kpiworkshop.datasets.expressions import expression_check
from kpiworkshop.kpis.definition_fields import datastack_meta, om_extension

from ..models import CatalogEntry, CatalogRelease

#: Keys every dbt Semantic Layer metric must have (dbt's metric spec).
DBT_REQUIRED = ("name", "label", "type", "type_params")
DBT_TYPES = ("simple", "ratio", "derived")
#: OpenMetadata's CreateMetricRequest (2.0.7): the fields we always fill.
OM_REQUIRED = ("name", "displayName", "description", "metricExpression")
#: OpenMetadata 2.0.7's enums (entity/data/metric.json, type/tagLabel.json).
OM_LANGUAGES = ("SQL", "Java", "JavaScript", "Python", "External")
OM_METRIC_TYPES = (
    "COUNT", "SUM", "AVERAGE", "RATIO", "PERCENTAGE", "MIN", "MAX", "MEDIAN", "MODE",
    "STANDARD_DEVIATION", "VARIANCE", "SIMPLE", "CUMULATIVE", "DERIVED", "CONVERSION", "OTHER",
)  # fmt: skip
OM_UNITS = (
    "COUNT", "DOLLARS", "PERCENTAGE", "TIMESTAMP", "SIZE", "REQUESTS", "EVENTS", "TRANSACTIONS",
    "OTHER",
)  # fmt: skip
OM_GRANULARITIES = ("SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR")
OM_LABEL_TYPES = ("Manual", "Propagated", "Automated", "Derived", "Generated")
OM_STATES = ("Suggested", "Confirmed")

_GRANULARITY = {
    "realtime": "SECOND",
    "hourly": "HOUR",
    "daily": "DAY",
    "weekly": "WEEK",
    "monthly": "MONTH",
    "quarterly": "QUARTER",
    "yearly": "YEAR",
}
#: dbt's measure aggregations for ours.
_DBT_AGG = {
    "count": "count",
    "count_distinct": "count_distinct",
    "sum": "sum",
    "avg": "average",
    "median": "median",
    "p90": "percentile",
}
_OM_TYPE = {
    "count": "COUNT",
    "count_distinct": "COUNT",
    "sum": "SUM",
    "avg": "AVERAGE",
    "median": "MEDIAN",
    "p90": "OTHER",
}


def metric_name(kpi_uid: str) -> str:
    """The KPI's dbt/OpenMetadata name: ``kpi_`` and the first 12 hex digits of its uid,
    stable across renames, reorderings and releases."""
    return "kpi_" + str(kpi_uid).replace("-", "").lower()[:12]


def identifier(name: str) -> str:
    """An ASCII snake-case identifier (a dataset's name as a dbt model and entity)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:60] or "dataset"
    return slug if slug[0].isalpha() else f"d_{slug}"


def _link(organisation_slug: str, version: str, kpi_uid: str) -> str:
    path = reverse("catalog:entry", args=[organisation_slug, version, kpi_uid])
    return settings.SITE_URL.rstrip("/") + path


def _document(release: CatalogRelease) -> dict:
    from .tabular import release_document

    entries = list(CatalogEntry.objects.filter(release=release).order_by("position", "id"))
    return release_document(release, entries)


def computable(entry: dict) -> tuple[Definition | None, str]:
    """The entry's checked definition and its dataset's name, or (None, reason)."""
    data = entry.get("computable")
    if not data or not isinstance(data, dict) or not data.get("spec"):
        return None, "no computable definition"
    try:
        definition = Definition.from_dict(data["spec"])
    except ValidationError:
        return None, "the computable definition does not validate"
    columns = {c.get("name") for c in data.get("columns") or []}
    missing = sorted(definition.columns() - columns) if columns else []
    if missing:
        return None, "not computable with the dataset's columns: " + ", ".join(missing)
    return definition, str(data.get("dataset") or "dataset")


def _meta(e: dict, doc: dict, link: str) -> dict:
    return {
        "kpi_uid": e["kpi_uid"],
        "catalogue_version": doc["version"],
        "owner": e["owner"],
        "category": e["category"],
        "unit": e["unit"],
        "direction": e["direction"],
        "baseline": e["baseline"],
        "target": e["target"],
        "thresholds": e["thresholds"],
        "targets": e.get("targets") or [],
        "frequency": e["frequency"],
        "audiences": [
            {"slug": a["slug"], "name": a["name"], "kind": a["kind"]} for a in e["audiences"]
        ],
        "goals": [{"slug": g["slug"], "name": g["name"], "kind": g["kind"]} for g in e["goals"]],
        "counter_metric": e["counter_metric"],
        "pilot_until": e["pilot_until"],
        "training_notes": link,
        **datastack_meta(e),
    }


# --- SQL pieces ---------------------------------------------------------------------------


def _sql(node: exp.Expression, dialect: str = "") -> str:
    return node.sql(dialect=dialect or None, comments=False)


def _measure_expr(measure: Measure, extra: exp.Expression | None) -> str:
    """The row-level expression a dbt measure aggregates: the column or expression, kept
    only on the rows the measure's own filters and ``extra`` keep (``CASE WHEN``); ``1`` for a
    count of rows."""
    value: exp.Expression
    if measure.expr:
        value = exp.paren(expression_check(measure.expr), copy=False)
    elif measure.column:
        value = exp.column(measure.column, quoted=True)
    else:
        value = exp.Literal.number(1)
    parts = [f.condition() for f in measure.filters]
    if extra is not None:
        parts.append(extra)
    if parts:
        cond = exp.and_(*parts, copy=False) if len(parts) > 1 else parts[0]
        value = exp.Case(ifs=[exp.If(this=cond, true=value)])
    return _sql(value, "duckdb")


def _dimension_filter(filters: tuple[Filter, ...], entity: str) -> str:
    """Filters in dbt's ``{{ Dimension('entity__column') }}`` syntax, joined with AND."""
    out = []
    for f in filters:
        cond = f.condition()
        for col in list(cond.find_all(exp.Column)):
            col.replace(exp.column("KPIW_DIMENSION_PLACEHOLDER"))
        text = _sql(cond, "duckdb")
        out.append(
            text.replace(
                "KPIW_DIMENSION_PLACEHOLDER", "{{ Dimension('" + f"{entity}__{f.column}" + "') }}"
            )
        )
    return " AND ".join(out)


# --- dbt ------------------------------------------------------------------------------------


def _description(e: dict) -> str:
    text = e["measures"] or e["name"]
    return f"{text}\n\n{e['why']}" if e["why"] else text


def render_dbt(release: CatalogRelease) -> bytes:
    """``semantic_models`` (one per dataset: ``ref('<dataset>')``, its primary entity, time
    and categorical dimensions, every measure) and ``metrics`` (simple, ratio, and derived
    where the definition scales the value), for dbt's Semantic Layer."""
    with translation.override(release.language):
        doc = _document(release)
    models: dict[str, dict] = {}
    metrics: list[dict] = []
    left_out: list[tuple[str, str, str]] = []
    kpis = []
    for e in doc["entries"]:
        name = metric_name(e["kpi_uid"])
        definition, dataset = computable(e)
        if definition is None:
            left_out.append((name, e["name"], dataset))
            continue
        ident = identifier(dataset)
        model = models.setdefault(
            ident,
            {"time": {}, "dims": {}, "measures": [], "columns": _columns(e)},
        )
        model["time"].setdefault(definition.time_column, None)
        kpis.append((e, name, definition, ident))
    for e, name, definition, ident in kpis:
        model = models[ident]
        # A filter on a time column cannot be a categorical Dimension(): it goes into the
        # measures' expr with the free condition.
        shared = tuple(f for f in definition.filters if f.column not in model["time"])
        conds = [f.condition() for f in definition.filters if f.column in model["time"]]
        if definition.where:
            conds.append(exp.paren(expression_check(definition.where), copy=False))
        for col in (*definition.dimensions, *(f.column for f in shared)):
            if col not in model["time"]:
                model["dims"].setdefault(col, None)
        where = (exp.and_(*conds, copy=False) if len(conds) > 1 else conds[0]) if conds else None
        parts = [("num", definition.numerator)]
        if definition.denominator is not None:
            parts.append(("den", definition.denominator))
        for suffix, measure in parts:
            m = {
                "name": f"{name}_{suffix}",
                "description": f"{e['name']} ({'numerator' if suffix == 'num' else 'denominator'})",
                "agg": _DBT_AGG[measure.agg],
                "expr": _measure_expr(measure, where),
                "agg_time_dimension": definition.time_column,
            }
            if measure.agg == "p90":
                m["agg_params"] = {"percentile": 0.9, "use_discrete_percentile": False}
            model["measures"].append(m)
        metrics.extend(_dbt_metrics(e, doc, release, name, definition, ident, shared))
    from ..tree_datastack import dbt_tree  # issue 20: the KPI tree

    metrics += dbt_tree(doc, metrics, {e["kpi_uid"]: d for e, _n, d, _i in kpis})
    semantic_models = [
        _semantic_model(ident, model, doc["version"]) for ident, model in sorted(models.items())
    ]
    header = [
        f"# KPI catalogue {doc['version']} of {_one_line(doc['organisation'])}, "
        "for dbt's Semantic Layer (docs/data-teams.md).",
        "# Metric names come from each KPI's stable uid (meta.kpi_uid); the label is its name.",
        "# Each semantic model reads ref('<dataset>'): a model with the dataset's columns.",
    ]
    if left_out:
        header.append("# Not exported as metrics (KPIs without a computable definition):")
        header += [f"#   {n}  {_one_line(label)}: {why}" for n, label, why in left_out]
    # libyaml's emitter where PyYAML has it (its wheels do): ten times the pure-Python one.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(
        {"version": 2, "semantic_models": semantic_models, "metrics": metrics},
        Dumper=dumper,
        allow_unicode=True,
        sort_keys=False,
        width=100,
    )
    return ("\n".join(header) + "\n" + body).encode()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:120]


def _columns(e: dict) -> dict[str, dict]:
    return {c.get("name"): c for c in (e.get("computable") or {}).get("columns") or []}


def _semantic_model(ident: str, model: dict, version: str) -> dict:
    columns = model["columns"]
    dims = []
    for col in model["time"]:
        dims.append(
            {
                "name": col,
                "type": "time",
                "description": columns.get(col, {}).get("description") or col,
                "type_params": {"time_granularity": "day"},
            }
        )
    for col in model["dims"]:
        dims.append(
            {
                "name": col,
                "type": "categorical",
                "description": columns.get(col, {}).get("description") or col,
            }
        )
    return {
        "name": ident,
        "description": f"The {ident} dataset as the KPI catalogue {version} reads it.",
        "model": f"ref('{ident}')",
        "defaults": {"agg_time_dimension": next(iter(model["time"]))},
        "primary_entity": ident,
        "dimensions": dims,
        "measures": model["measures"],
    }


def _dbt_metrics(
    e: dict,
    doc: dict,
    release: CatalogRelease,
    name: str,
    definition: Definition,
    entity: str,
    shared: tuple[Filter, ...],
) -> list[dict]:
    meta = _meta(e, doc, _link(release.organisation.slug, release.version, e["kpi_uid"]))
    meta |= {"dataset": entity, "grain": definition.grain, "scale": definition.scale}
    label = e["name"]
    where = _dimension_filter(shared, entity)
    scaled = definition.scale != 1
    base = f"{name}_base" if scaled else name
    out: list[dict] = []
    if definition.denominator is None:
        main: dict[str, Any] = {
            "name": base,
            "label": label if not scaled else f"{label} (unscaled)",
            "description": _description(e),
            "type": "simple",
            "type_params": {"measure": f"{name}_num"},
        }
    else:
        for suffix, part in (("num", "numerator"), ("den", "denominator")):
            out.append(
                {
                    "name": f"{name}_{suffix}",
                    "label": f"{label} ({part})",
                    "description": e[part] or f"{label} ({part})",
                    "type": "simple",
                    "type_params": {"measure": f"{name}_{suffix}"},
                    "meta": {"kpi_uid": e["kpi_uid"], "part_of": name},
                }
            )
        main = {
            "name": base,
            "label": label if not scaled else f"{label} (unscaled)",
            "description": _description(e),
            "type": "ratio",
            "type_params": {"numerator": f"{name}_num", "denominator": f"{name}_den"},
        }
    if where:
        main["filter"] = where
    if not scaled:
        out.append(main | {"meta": meta})
        return out
    main["meta"] = {"kpi_uid": e["kpi_uid"], "part_of": name}
    out.append(main)
    out.append(
        {
            "name": name,
            "label": label,
            "description": _description(e),
            "type": "derived",
            "type_params": {
                "expr": f"{base} * {definition.scale:g}",
                "metrics": [{"name": base}],
            },
            "meta": meta,
        }
    )
    return out


# --- OpenMetadata ---------------------------------------------------------------------------


def _om_tags(e: dict) -> list[dict]:
    tags = [f"KPICategory.{e['category']}"] if e["category"] else []
    tags += [f"BusinessGoal.{g['slug'] or identifier(g['name'])}" for g in e["goals"]]
    return [
        {"tagFQN": t, "source": "Classification", "labelType": "Manual", "state": "Confirmed"}
        for t in tags
    ]


def _om_granularity(e: dict, definition: Definition | None) -> str | None:
    if definition is not None:
        return definition.grain.upper()
    return _GRANULARITY.get(e["frequency"])


def om_metric(e: dict, doc: dict, link: str) -> dict:
    """One KPI as an OpenMetadata 2.0.7 ``CreateMetricRequest``."""
    name = metric_name(e["kpi_uid"])
    definition, dataset = computable(e)
    unit = _unit(e["unit"])
    entity: dict[str, Any] = {
        "name": name,
        "displayName": e["name"],
        "description": "\n\n".join(x for x in (e["measures"], e["why"]) if x) or e["name"],
    }
    if definition is not None:
        table = identifier(dataset)
        columns = _columns(e)
        entity["metricExpression"] = {
            "language": "SQL",
            "code": definition.sql(dialect="", table=table),
        }
        entity["metricType"] = (
            "RATIO" if definition.denominator is not None else _OM_TYPE[definition.numerator.agg]
        )
        entity["dimensions"] = [
            {
                "name": d,
                "type": "TIME" if d == definition.time_column else "CATEGORICAL",
                "description": columns.get(d, {}).get("description") or d,
                "expression": d,
            }
            for d in (definition.time_column, *definition.dimensions)
        ]
        where = definition.condition()
        measures = [("numerator", definition.numerator)]
        if definition.denominator is not None:
            measures.append(("denominator", definition.denominator))
        entity["measures"] = [
            {
                "name": f"{name}_{part[:3]}",
                "aggregation": m.agg,
                "description": e[part] or part,
                "expression": _sql(m.aggregate(), ""),
            }
            for part, m in measures
        ]
        if where is not None:
            entity["filters"] = [{"where": _sql(where, "")}]
    else:
        formula = (
            f"({e['numerator']}) / ({e['denominator']})"
            if e["numerator"] and e["denominator"]
            else e["measures"] or e["name"]
        )
        entity["metricExpression"] = {"language": "External", "code": formula}
        entity["metricType"] = "RATIO" if e["numerator"] and e["denominator"] else "OTHER"
    entity["unitOfMeasurement"] = unit
    if unit == "OTHER" and e["unit"]:
        entity["customUnitOfMeasurement"] = e["unit"]
    granularity = _om_granularity(e, definition)
    if granularity:
        entity["granularity"] = granularity
    entity["tags"] = _om_tags(e)
    # Owners are entity references in OpenMetadata (a user or team id); ours is a name, kept
    # in the extension for the data team to map (docs/data-teams.md).
    entity["extension"] = {
        "kpiUid": e["kpi_uid"],
        "catalogueVersion": doc["version"],
        "owner": e["owner"],
        "trainingNotes": link,
        "direction": e["direction"],
        "baseline": e["baseline"],
        "target": e["target"],
        "thresholds": e["thresholds"],
        "targets": e.get("targets") or [],
        "audiences": [a["name"] for a in e["audiences"]],
        **om_extension(e),
        "computable": definition is not None,
        **(
            {"dataset": identifier(dataset)}
            if definition is not None
            else {"notComputable": dataset}
        ),
    }
    return entity


def _zip_info(name: str, when: tuple) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=when)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the mode below is read
    info.external_attr = (0o100644 & 0xFFFF) << 16
    return info


def render_openmetadata(release: CatalogRelease) -> bytes:
    """A zip with one OpenMetadata ``CreateMetricRequest`` (JSON) per KPI, and an index.
    Byte-reproducible: entries sorted, each dated the release's publication (UTC), mode 0644."""
    with translation.override(release.language):
        doc = _document(release)
    published = release.published_at.astimezone(dt.UTC)
    when = (max(published.year, 1980), *published.timetuple()[1:6])
    from ..tree_datastack import om_related  # issue 20: the KPI tree

    related = om_related(doc)
    files: dict[str, bytes] = {}
    index = []
    for e in doc["entries"]:
        link = _link(release.organisation.slug, release.version, e["kpi_uid"])
        entity = om_metric(e, doc, link)
        if e["kpi_uid"] in related:
            entity["relatedMetrics"] = related[e["kpi_uid"]]
        filename = f"metrics/{entity['name']}.json"
        files[filename] = json.dumps(entity, ensure_ascii=False, indent=2).encode()
        index.append({"name": entity["name"], "file": filename, "kpi_uid": e["kpi_uid"]})
    files["index.json"] = json.dumps(
        {
            "catalogue": doc["organisation"],
            "version": doc["version"],
            "openmetadata": "2.0.7 CreateMetricRequest",
            "metrics": sorted(index, key=lambda i: i["file"]),
        },
        ensure_ascii=False,
        indent=2,
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for filename in sorted(files):
            archive.writestr(_zip_info(filename, when), files[filename])
    return buffer.getvalue()


def _unit(unit: str) -> str:
    """OpenMetadata's unit enum where the KPI's unit maps to one; OTHER with the text
    alongside (``customUnitOfMeasurement``) otherwise."""
    text = (unit or "").strip().lower()
    if text in ("%", "percent", "percentage", "percentuale"):
        return "PERCENTAGE"
    if text in ("$", "usd", "dollars"):
        return "DOLLARS"
    if text in ("count", "number", "numero", "n", "contacts", "contatti"):
        return "COUNT"
    return "OTHER"


#: format -> (renderer, file extension, content type)
DATASTACK_FORMATS = {
    "dbt": (render_dbt, "yml", "application/yaml"),
    "openmetadata": (render_openmetadata, "zip", "application/zip"),
}


def datastack_render(*, release: CatalogRelease, fmt: str) -> bytes:
    return DATASTACK_FORMATS[fmt][0](release)


def datastack_filename(release: CatalogRelease, fmt: str) -> str:
    return f"kpi-catalogue-{release.version}-{fmt}.{DATASTACK_FORMATS[fmt][1]}"


def datastack_response(*, release: CatalogRelease, fmt: str) -> HttpResponse:
    """The download of ``release`` in one of the ``DATASTACK_FORMATS`` (404 for any other),
    the same for the page and the API."""
    if fmt not in DATASTACK_FORMATS:
        raise Http404
    response = HttpResponse(
        datastack_render(release=release, fmt=fmt), content_type=DATASTACK_FORMATS[fmt][2]
    )
    response["Content-Disposition"] = f'attachment; filename="{datastack_filename(release, fmt)}"'
    return response
