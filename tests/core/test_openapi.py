"""The OpenAPI document says every status the API answers (issue 17, item 20)."""

import pytest

from kpiworkshop.api import api
from tests.factories import UserFactory

ERROR_CODES = {"401", "403", "404", "422"}
# Answers a probe with unknown ids cannot provoke; tests/voting/test_api.py proves this one.
PROVED_ELSEWHERE = {("/api/v1/workshops/{workshop_id}/ballots/{ballot_id}/results", "403")}


def _operations():
    schema = api.get_openapi_schema()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            yield path, method, op


def _url(path: str, op: dict, *, malformed: bool) -> tuple[str, dict]:
    url, query = path, {}
    for param in op.get("parameters", []):
        kind = param["schema"].get("type")
        if param["in"] == "path":
            good = "999999999" if kind == "integer" else "no-such-thing"
            url = url.replace("{" + param["name"] + "}", "x" if malformed else good)
        elif malformed and kind in {"integer", "boolean", "number"}:
            query[param["name"]] = "maybe"
    return url, query


def _malformable(op: dict) -> bool:
    return any(
        p["schema"].get("type") in {"integer", "boolean", "number"}
        for p in op.get("parameters", [])
    )


@pytest.mark.parametrize(("path", "method", "op"), list(_operations()), ids=lambda v: str(v)[:60])
def test_openapi_declares_exactly_the_statuses_the_route_answers(client, db, path, method, op):
    declared = set(op["responses"]) & ERROR_CODES
    answered: dict[str, dict] = {}

    url, query = _url(path, op, malformed=False)
    anonymous = client.generic(method.upper(), url, query)
    answered[str(anonymous.status_code)] = anonymous.json()

    client.force_login(UserFactory())
    if "{" in path:
        unknown = client.generic(method.upper(), url, query)
        answered[str(unknown.status_code)] = unknown.json()
    if _malformable(op):
        url, query = _url(path, op, malformed=True)
        bad = client.get(url, query) if method == "get" else client.generic(method.upper(), url)
        answered[str(bad.status_code)] = bad.json()

    assert set(answered) - {"200"} <= declared, (path, sorted(answered))
    for code in declared:
        assert code in answered or (path, code) in PROVED_ELSEWHERE, (path, code)
    for code, body in answered.items():
        if code == "422":
            assert isinstance(body["detail"], list) and body["detail"][0]["loc"]
        elif code != "200":
            assert isinstance(body["detail"], str)


def test_openapi_errors_share_one_schema():
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    assert set(components["ErrorOut"]["properties"]) == {"detail"}
    assert components["ValidationErrorOut"]["properties"]["detail"]["type"] == "array"
    refs = {
        op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
        for _path, _method, op in _operations()
        for code in op["responses"]
        if code in ERROR_CODES
    }
    assert refs == {"#/components/schemas/ErrorOut", "#/components/schemas/ValidationErrorOut"}


def test_served_openapi_document_declares_404_and_422_on_an_operation_with_ids(client, db):
    document = client.get("/api/v1/openapi.json").json()
    op = document["paths"]["/api/v1/workshops/{workshop_id}/proposals"]["get"]
    assert list(op["responses"]) == ["200", "401", "404", "422"]
    assert (
        "ValidationErrorOut"
        in op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    )
