"""The visible wiring tables: the integration factory table and the API action table say what really runs."""

from __future__ import annotations

import inspect

import botocore.session
import pytest

from workflow.engine.errors import StatesError
from workflow.engine.http_api import snake_case
from workflow.engine.integrations import INTEGRATIONS, parse_resource
from workflow.engine.integrations.patterns import PATTERN_SUFFIX, SUFFIX_PATTERNS
from workflow.engine.integrations.registry import integration_for
from workflow.engine.service import ACTIONS, StepFunctions


@pytest.mark.parametrize("key", sorted(INTEGRATIONS))
def test_each_integration_parses_with_exactly_its_patterns(key: tuple[str, str]) -> None:
    """AWS's table of optimized integrations: each pattern it lists resolves, the others are not recognized
    ("Integrating optimized services with Step Functions")."""
    service, action = key
    entry = INTEGRATIONS[key]
    for pattern in [*SUFFIX_PATTERNS.values(), "REQUEST_RESPONSE"]:
        resource = f"arn:aws:states:::{service}:{action}{PATTERN_SUFFIX.get(pattern, '')}"
        if pattern in entry.patterns:
            ref = parse_resource(resource)
            assert (ref.service, ref.action, ref.pattern) == (service, action, pattern)
            assert integration_for(ref) is entry
        else:
            with pytest.raises(StatesError, match="is not recognized"):
                parse_resource(resource)


def test_only_startexecution_has_a_sync_job() -> None:
    with_job = {key for key, entry in INTEGRATIONS.items() if entry.job is not None}
    assert with_job == {("states", "startExecution")}


def test_action_table_lists_every_api_action_the_service_answers() -> None:
    """Every row names a real Step Functions API action implemented by the group it names, and every
    method of the service that is an API action has a row."""
    operations = set(botocore.session.get_session().get_service_model("stepfunctions").operation_names)
    assert set(ACTIONS) <= operations
    for action, group in ACTIONS.items():
        assert snake_case(action) in vars(group), f"{action} is not implemented by {group.__name__}"
    public = {name for name, _ in inspect.getmembers(StepFunctions, inspect.isfunction) if name[0] != "_"}
    implemented = {op for op in operations if snake_case(op) in public}
    assert implemented == set(ACTIONS)
