"""The OpenAPI document, the function config and the handlers' pydantic models must describe one API; and
tasks/api must be deployable as a Lambda code asset on its own."""

from __future__ import annotations

import ast
import json
import re
import sys
from typing import Any

import message_model
import pytest
from openapi_spec_validator import validate as validate_openapi

from tests.api.api_helpers import API_DIR, CONFIG, REPO_ROOT
from workflow.twin.gateway import OPENAPI_PATH, load_routes

DOCUMENT: dict[str, Any] = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))
SCHEMAS = DOCUMENT["components"]["schemas"]
PARAMETERS = DOCUMENT["components"]["parameters"]
LAMBDA_RUNTIME_PACKAGES = {"boto3", "botocore", "aws_lambda_powertools", "pydantic", "pydantic_core"}


def test_the_document_is_valid_openapi_3() -> None:
    validate_openapi(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.0")  # API Gateway imports OpenAPI 3.0, not 3.1


def test_every_operation_names_an_api_function_and_every_api_function_serves_one() -> None:
    routes = load_routes(DOCUMENT)
    api_keys = sorted(spec.key for spec in CONFIG.functions if spec.folder == "api")
    assert sorted(route.function for route in routes) == api_keys
    for route in routes:
        module, _, function = CONFIG.function(route.function).handler.rpartition(".")
        assert (API_DIR / f"{module}.py").is_file()
        assert callable(getattr(__import__(module), function))


def test_every_operation_requires_the_api_key() -> None:
    assert DOCUMENT["security"] == [{"api_key": []}]
    assert DOCUMENT["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey",
        "name": "x-api-key",
        "in": "header",
    }
    for item in DOCUMENT["paths"].values():
        for method, operation in item.items():
            if method != "parameters":
                assert "security" not in operation  # no operation opts out
                assert "403" in operation["responses"] and "400" in operation["responses"]


def test_request_schemas_match_the_pydantic_models() -> None:
    new, update = SCHEMAS["NewMessage"], SCHEMAS["MessageUpdate"]
    assert sorted(new["required"]) == sorted(
        n for n, f in message_model.NewMessage.model_fields.items() if f.is_required()
    )
    assert sorted(new["properties"]) == sorted(message_model.NewMessage.model_fields)
    assert sorted(update["properties"]) == sorted(message_model.MessageUpdate.model_fields)
    assert new["additionalProperties"] is False and update["additionalProperties"] is False
    for name in message_model.TEXT_FIELDS:
        text = new["properties"][name]
        assert text["pattern"] == message_model.TEXT_PATTERN
        assert text["maxLength"] == message_model.MAX_TEXT_CHARS and text["minLength"] == 1


def test_response_schema_lists_exactly_the_public_fields() -> None:
    assert list(SCHEMAS["Message"]["properties"]) == list(message_model.PUBLIC_FIELDS)


def test_page_parameters_match() -> None:
    limit = PARAMETERS["Limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (
        1,
        message_model.MAX_PAGE_SIZE,
        message_model.DEFAULT_PAGE_SIZE,
    )


@pytest.mark.parametrize(
    "value",
    [
        "00:00:00",
        "23:59:59",
        "10:55:09.3853335",
        "10:55:09.5000",
        "24:00:00",
        "9:00:00",
        "10:60:00",
        "10:00:00.",
        "10:00:00." + "1" * 28,
        "10:00:00." + "1" * 29,
        "10:00",
        "10:00:00Z",
    ],
)
def test_time_pattern_in_the_document_agrees_with_the_model(value: str) -> None:
    document_says = re.search(PARAMETERS["Time"]["schema"]["pattern"], value) is not None
    assert document_says == (message_model.TIME_RE.fullmatch(value) is not None)


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks: imports for the type checker, never run."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            hidden |= {id(child) for statement in node.body for child in ast.walk(statement)}
    return hidden


def _imports(path: Any) -> set[str]:
    """The top-level packages a module imports when it runs (type-checking-only imports excluded)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_tasks_api_is_a_self_contained_lambda_asset() -> None:
    """A handler imports only its siblings, the standard library and what the Lambda runtime (boto3) and
    the Powertools layer (with pydantic) provide; no package __init__, module names unique across tasks/."""
    siblings = {path.stem for path in API_DIR.glob("*.py")}
    assert not (API_DIR / "__init__.py").exists()
    for path in API_DIR.glob("*.py"):
        foreign = _imports(path) - siblings - LAMBDA_RUNTIME_PACKAGES - set(sys.stdlib_module_names)
        assert not foreign, f"{path.name} imports {sorted(foreign)}"
    others = {path.stem for path in (REPO_ROOT / "tasks").glob("*/*.py") if path.parent != API_DIR}
    assert not siblings & others
