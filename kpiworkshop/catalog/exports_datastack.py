"""The catalogue taken into the data stack (issue 10): dbt Semantic Layer metrics as YAML and
OpenMetadata metric entities as JSON (one file per KPI, in a zip).

Both are built from the release document of ``exports.py`` (internal-only fields already left
out, text sanitised), in the release's language. Neither needs the data team's models: a dbt
metric names the measures it expects (``<kpi>_numerator``, ``<kpi>_denominator``, ``<kpi>``)
and the team binds them in its semantic models; OpenMetadata gets the formula in words as
``metricExpression`` with language ``Text``.
"""

import io
import json
import re
import unicodedata
import zipfile

import yaml
from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import translation

from .models import CatalogEntry, CatalogRelease

#: Keys every dbt Semantic Layer metric must have (dbt's metric spec).
DBT_REQUIRED = ("name", "label", "type", "type_params")
DBT_TYPES = ("simple", "ratio")
#: OpenMetadata's Metric entity: the fields we fill.
OM_REQUIRED = ("name", "displayName", "description", "metricExpression")

_GRANULARITY = {
    "realtime": "SECOND",
    "hourly": "HOUR",
    "daily": "DAY",
    "weekly": "WEEK",
    "monthly": "MONTH",
    "quarterly": "QUARTER",
    "yearly": "YEAR",
}


def metric_name(name: str, used: set[str] | None = None) -> str:
    """A dbt/OpenMetadata-safe identifier from a KPI name: ASCII snake case, starting with a
    letter, unique within the release."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_name.lower()).strip("_")[:60] or "kpi"
    if not slug[0].isalpha():
        slug = f"kpi_{slug}"
    if used is not None:
        base, n = slug, 2
        while slug in used:
            slug = f"{base}_{n}"
            n += 1
        used.add(slug)
    return slug


def _link(organisation_slug: str, version: str, kpi_uid: str) -> str:
    path = reverse("catalog:entry", args=[organisation_slug, version, kpi_uid])
    return settings.SITE_URL.rstrip("/") + path


def _document(release: CatalogRelease) -> dict:
    from .exports import release_document

    entries = list(CatalogEntry.objects.filter(release=release).order_by("position", "id"))
    return release_document(release, entries)


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
        "audiences": [
            {"slug": a["slug"], "name": a["name"], "kind": a["kind"]} for a in e["audiences"]
        ],
        "goals": [{"slug": g["slug"], "name": g["name"], "kind": g["kind"]} for g in e["goals"]],
        "counter_metric": e["counter_metric"],
        "pilot_until": e["pilot_until"],
        "training_notes": link,
    }


def render_dbt(release: CatalogRelease) -> bytes:
    """``metrics:`` for dbt's Semantic Layer: a ratio metric (with its numerator and
    denominator as simple metrics) where the KPI has both, a simple metric otherwise."""
    with translation.override(release.language):
        doc = _document(release)
    used: set[str] = set()
    metrics = []
    for e in doc["entries"]:
        name = metric_name(e["name"], used)
        link = _link(release.organisation.slug, release.version, e["kpi_uid"])
        description = e["measures"] or e["name"]
        if e["why"]:
            description = f"{description}\n\n{e['why']}"
        meta = _meta(e, doc, link)
        if e["numerator"] and e["denominator"]:
            parts = {}
            for part in ("numerator", "denominator"):
                part_name = metric_name(f"{name}_{part}", used)
                parts[part] = part_name
                metrics.append(
                    {
                        "name": part_name,
                        "label": f"{e['name']} ({part})",
                        "description": e[part],
                        "type": "simple",
                        "type_params": {"measure": part_name},
                        "meta": {"kpi_uid": e["kpi_uid"], "part_of": name},
                    }
                )
            metrics.append(
                {
                    "name": name,
                    "label": e["name"],
                    "description": description,
                    "type": "ratio",
                    "type_params": {
                        "numerator": parts["numerator"],
                        "denominator": parts["denominator"],
                    },
                    "meta": meta,
                }
            )
        else:
            metrics.append(
                {
                    "name": name,
                    "label": e["name"],
                    "description": description,
                    "type": "simple",
                    "type_params": {"measure": name},
                    "meta": meta,
                }
            )
    header = (
        f"# KPI catalogue {doc['version']} of {doc['organisation']}, for dbt's Semantic Layer.\n"
        "# Each metric names the measure(s) it expects; define them in your semantic models.\n"
    )
    # libyaml's emitter where PyYAML has it (its wheels do): ten times the pure-Python one.
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    body = yaml.dump(
        {"metrics": metrics}, Dumper=dumper, allow_unicode=True, sort_keys=False, width=100
    )
    return (header + body).encode()


def render_openmetadata(release: CatalogRelease) -> bytes:
    """A zip with one OpenMetadata ``Metric`` entity (JSON) per KPI, and an index."""
    with translation.override(release.language):
        doc = _document(release)
    used: set[str] = set()
    buffer = io.BytesIO()
    index = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for e in doc["entries"]:
            name = metric_name(e["name"], used)
            formula = (
                f"({e['numerator']}) / ({e['denominator']})"
                if e["numerator"] and e["denominator"]
                else e["measures"]
            )
            entity = {
                "name": name,
                "displayName": e["name"],
                "description": "\n\n".join(x for x in (e["measures"], e["why"]) if x),
                "metricExpression": {"language": "Text", "code": formula},
                "metricType": "RATIO" if e["numerator"] and e["denominator"] else "OTHER",
                "unitOfMeasurement": _unit(e["unit"]),
                "customUnitOfMeasurement": e["unit"] or None,
                "granularity": _GRANULARITY.get(e["frequency"]),
                "owners": [e["owner"]] if e["owner"] else [],
                "tags": [{"tagFQN": f"KPICategory.{e['category']}", "source": "Classification"}]
                + [
                    {
                        "tagFQN": f"BusinessGoal.{g['slug'] or metric_name(g['name'])}",
                        "source": "Classification",
                    }
                    for g in e["goals"]
                ],
                "extension": {
                    "kpiUid": e["kpi_uid"],
                    "catalogueVersion": doc["version"],
                    "trainingNotes": _link(
                        release.organisation.slug, release.version, e["kpi_uid"]
                    ),
                    "direction": e["direction"],
                    "baseline": e["baseline"],
                    "target": e["target"],
                    "thresholds": e["thresholds"],
                    "audiences": [a["name"] for a in e["audiences"]],
                },
            }
            filename = f"metrics/{name}.json"
            archive.writestr(filename, json.dumps(entity, ensure_ascii=False, indent=2))
            index.append({"name": name, "file": filename, "kpi_uid": e["kpi_uid"]})
        archive.writestr(
            "index.json",
            json.dumps(
                {"catalogue": doc["organisation"], "version": doc["version"], "metrics": index},
                ensure_ascii=False,
                indent=2,
            ),
        )
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
