"""Actions that check a definition without starting an execution: ValidateStateMachineDefinition and
TestState."""

from __future__ import annotations

import json
from typing import Any

from workflow.engine import quotas
from workflow.engine.api.common import ServiceState, definition_text
from workflow.engine.asl.parse import parse_definition
from workflow.engine.errors import ServiceError
from workflow.engine.test_state import run_test_state
from workflow.engine.validation import validate_definition


class CheckActions(ServiceState):
    def validate_state_machine_definition(
        self,
        definition: Any,
        type: str | None = None,
        severity: str | None = None,
        maxResults: int | None = None,
    ) -> dict[str, Any]:
        text = definition_text(definition)
        diagnostics: list[dict[str, Any]] = []
        try:
            doc = json.loads(text)
            found = validate_definition(doc, severity=severity) if severity else validate_definition(doc)
            diagnostics = [dict(d) for d in found]
        except ValueError as exc:
            diagnostics = [{"severity": "ERROR", "code": "INVALID_JSON_DESCRIPTION", "message": str(exc)}]
        if not any(d.get("severity", "ERROR") == "ERROR" for d in diagnostics):
            try:
                parse_definition(text, validate=False)
            except ServiceError as exc:
                diagnostics.append(
                    {"severity": "ERROR", "code": "SCHEMA_VALIDATION_FAILED", "message": exc.message}
                )
        limit = maxResults or quotas.PAGE_SIZE_DEFAULT
        failed = any(d.get("severity", "ERROR") == "ERROR" for d in diagnostics)
        return {
            "result": "FAIL" if failed else "OK",
            "diagnostics": diagnostics[:limit],
            "truncated": len(diagnostics) > limit,
        }

    def test_state(
        self,
        definition: str,
        roleArn: str | None = None,
        input: str | None = None,
        inspectionLevel: str | None = None,
        revealSecrets: bool = False,
        variables: str | None = None,
        stateName: str | None = None,
        mock: Any = None,
        context: str | None = None,
        stateConfiguration: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        return run_test_state(
            self.engine,
            definition=definition,
            role_arn=roleArn,
            input_text=input,
            inspection_level=inspectionLevel or "INFO",
            variables_text=variables,
            state_name=stateName,
            mock=mock,
            context_text=context,
            state_configuration=stateConfiguration,
            reveal_secrets=bool(revealSecrets),
            **extra,
        )
