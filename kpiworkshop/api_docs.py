"""The API's reference page at /api/v1/docs, drawn from the OpenAPI document.

django-ninja's Swagger UI fails the accessibility checks every other page passes (no ``lang``,
low-contrast badges, buttons nested in buttons) and needs an inline JSON ``<script>``. This
renderer is a plain page in the site's layout: every operation with its parameters and
responses, and a "try it" form per operation (``static/js/api_docs.js`` sends it with the
reader's session and shows the JSON answer). It needs nothing beyond the site's own policy.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

METHODS = ("get", "post", "put", "patch", "delete")


def schema_label(schema: dict[str, Any] | None) -> str:
    """A short human reading of a JSON schema: ``WorkshopOut``, ``array of string``, ``integer``."""
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            labels = [schema_label(s) for s in schema[key]]
            return " | ".join(label for label in labels if label)
    kind = schema.get("type", "")
    if kind == "array":
        return f"array of {schema_label(schema.get('items'))}"
    if schema.get("format"):
        return f"{kind} ({schema['format']})"
    if schema.get("enum"):
        return f"{kind}: " + ", ".join(str(v) for v in schema["enum"])
    return kind


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            responses = []
            for code, answer in op.get("responses", {}).items():
                body = answer.get("content", {}).get("application/json", {}).get("schema")
                responses.append(
                    {
                        "code": code,
                        "description": answer.get("description", ""),
                        "type": schema_label(body),
                    }
                )
            operations.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    # Without JavaScript a form can fill a query, not a path: no action then.
                    "action": "" if "{" in path else path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tag": (op.get("tags") or [""])[0],
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p.get("in", ""),
                            "required": p.get("required", False),
                            "type": schema_label(p.get("schema")),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": responses,
                }
            )
    return operations


def _schemas(schema: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, body in schema.get("components", {}).get("schemas", {}).items():
        required = set(body.get("required", []))
        out.append(
            {
                "name": name,
                "fields": [
                    {"name": field, "type": schema_label(spec), "required": field in required}
                    for field, spec in body.get("properties", {}).items()
                ],
            }
        )
    return out


class AccessibleDocs(DocsBase):
    template = "api/docs.html"

    def render_page(self, request: HttpRequest, api, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        return render(
            request,
            self.template,
            {
                "api": api,
                "info": schema.get("info", {}),
                "openapi_url": self.get_openapi_url(api, kwargs),
                "operations": _operations(schema),
                "schemas": _schemas(schema),
            },
        )
