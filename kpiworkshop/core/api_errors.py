"""The JSON API's error answers, declared once for every operation of the OpenAPI document.

Every route answers more than its 200: 401 without a session or token (the API's own auth), 404
for an id that does not exist or is not the caller's to see (the routes never say which), 422
when a parameter does not parse, and some a 403 of their own. Declaring them route by route
is forgotten on the next route, so ``openapi_declare_errors`` derives them from each operation
(its security and parameters) and gives them one shared schema; ``tests/core/test_openapi.py``
checks the document against what the routes answer.
"""

from typing import Any

from ninja import Schema


class ErrorOut(Schema):
    """401, 403 and 404 answers: ``{"detail": "Not Found"}``."""

    detail: str


class ValidationIssueOut(Schema):
    type: str
    loc: list[str | int]
    msg: str


class ValidationErrorOut(Schema):
    """422 answers: which parameter did not parse and why."""

    detail: list[ValidationIssueOut]


_DESCRIPTIONS = {
    "401": "Not signed in, and no valid token (Authorization: Bearer kpiw_…)",
    "403": "Forbidden",
    "404": "No such object, or not one the caller may see",
    "422": "A parameter is not valid",
}
_TYPED = {"integer", "number", "boolean", "array"}


def _ref(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}


def openapi_declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers each operation can give to an OpenAPI document, in place."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for model in (ErrorOut, ValidationErrorOut):
        definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(definition.pop("$defs", {}))
        components[model.__name__] = definition
    for operation in (op for ops in schema.get("paths", {}).values() for op in ops.values()):
        params = operation.get("parameters", [])
        # Ninja keys the responses by int; JSON will by str: one kind of key, no duplicates.
        operation["responses"] = {str(k): v for k, v in operation["responses"].items()}
        codes = {code for code in operation["responses"] if code in _DESCRIPTIONS}
        if operation.get("security"):
            codes.add("401")
        if any(p["in"] == "path" for p in params):
            codes.add("404")
        if any(p.get("schema", {}).get("type") in _TYPED for p in params):
            codes.add("422")
        for code in sorted(codes):
            previous = operation["responses"].get(code, {})
            operation["responses"][code] = {
                "description": previous.get("description") or _DESCRIPTIONS[code],
                "content": _ref("ValidationErrorOut" if code == "422" else "ErrorOut"),
            }
        operation["responses"] = dict(sorted(operation["responses"].items()))
    return schema
