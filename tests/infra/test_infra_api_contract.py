"""The deployed REST API has exactly the OpenAPI document's routes, functions and query strings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.api import ROUTES
from tests.infra.infra_synth import Synth
from workflow.config import REPO_ROOT, PipelineConfig
from workflow.twin.gateway import resolve_ref

pytestmark = pytest.mark.infra
OPENAPI = REPO_ROOT / "workflow" / "definition" / "openapi.json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    if not OPENAPI.exists():
        pytest.skip(f"{OPENAPI.relative_to(REPO_ROOT)} is not written yet")
    return json.loads(OPENAPI.read_text(encoding="utf-8"))


def _operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def test_routes_equal_the_openapi_paths_and_methods(openapi: dict[str, Any], synth: Synth) -> None:
    documented = set(_operations(openapi))
    assert {(r.method, r.path) for r in ROUTES} == documented
    deployed = {(m.http_method, m.resource.path) for m in synth.stack.api.api.methods}
    assert deployed == documented


def test_each_route_runs_the_function_the_openapi_names(openapi: dict[str, Any]) -> None:
    keys = {spec.key for spec in PipelineConfig().functions}
    operations = _operations(openapi)
    for route in ROUTES:
        assert route.function in keys
        assert operations[(route.method, route.path)]["x-function"] == route.function, route


def test_query_strings_and_their_required_flags_match(openapi: dict[str, Any], synth: Synth) -> None:
    operations = _operations(openapi)
    for route in ROUTES:
        op = operations[(route.method, route.path)]
        path_params = openapi["paths"][route.path].get("parameters", [])
        params = [resolve_ref(openapi, p) for p in [*path_params, *op.get("parameters", [])]]
        query = {p["name"]: bool(p.get("required")) for p in params if p["in"] == "query"}
        assert route.query == query, route
        method = next(
            m
            for m in synth.stack.api.api.methods
            if (m.http_method, m.resource.path) == (route.method, route.path)
        )
        props = synth.tpl["Resources"][synth.logical_id(method)]["Properties"]
        expected = {f"method.request.querystring.{k}": v for k, v in query.items()}
        expected |= {f"method.request.path.{p['name']}": True for p in params if p["in"] == "path"}
        assert props.get("RequestParameters", {}) == expected, route
        assert route.body == ("requestBody" in op), route


def test_api_key_is_required_as_the_openapi_security_says(openapi: dict[str, Any], synth: Synth) -> None:
    assert openapi["security"] == [{"api_key": []}]
    assert openapi.get("x-amazon-apigateway-api-key-source", "HEADER") == "HEADER"
    (api,) = synth.resources("AWS::ApiGateway::RestApi").values()
    assert api["Properties"].get("ApiKeySourceType", "HEADER") == "HEADER"
