"""State machine actions: CreateStateMachine, DescribeStateMachine, UpdateStateMachine, ListStateMachines,
DeleteStateMachine (and DescribeStateMachine of a Distributed Map's item processor, `<arn>/<label>`)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from workflow.engine.api.common import ServiceState, StateMachineRecord, definition_text, page, validation
from workflow.engine.asl.parse import parse_definition
from workflow.engine.errors import ServiceError


class StateMachineActions(ServiceState):
    def create_state_machine(
        self,
        name: str,
        definition: Any,
        roleArn: str,
        type: str = "STANDARD",
        loggingConfiguration: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        tracingConfiguration: dict[str, Any] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        encryptionConfiguration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        self._check_name(name)
        if type not in ("STANDARD", "EXPRESS"):
            raise validation(
                f"Value '{type}' at 'type' failed to satisfy constraint: Member must satisfy "
                "enum value set: [STANDARD, EXPRESS]"
            )
        if not isinstance(roleArn, str) or not roleArn.startswith("arn:"):
            raise ServiceError("InvalidArn", f"Invalid Arn: 'Invalid role ARN: {roleArn}'")
        text = definition_text(definition)
        machine = parse_definition(text)
        arn = self.engine.arn("stateMachine", name)
        with self._lock:
            existing = self._machines.get(arn)
            if existing is not None:
                if (existing.definition, existing.role_arn, existing.type) == (text, roleArn, type):
                    return {"stateMachineArn": arn, "creationDate": existing.creation_date}
                raise ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            record = StateMachineRecord(arn, name, text, machine, roleArn, type, self.clock.now())
            if loggingConfiguration:
                record.logging_configuration = loggingConfiguration
            if tracingConfiguration:
                record.tracing_configuration = tracingConfiguration
            self._machines[arn] = record
            self._tags[arn] = {t["key"]: t.get("value", "") for t in tags or []}
        return {"stateMachineArn": arn, "creationDate": record.creation_date}

    def describe_state_machine(self, stateMachineArn: str, includedData: str | None = None) -> dict[str, Any]:
        child = self._map_run_machine(stateMachineArn)
        if child is not None:
            return child
        sm = self._machine(stateMachineArn)
        out = {
            "stateMachineArn": sm.arn,
            "name": sm.name,
            "status": "ACTIVE",
            "definition": sm.definition,
            "roleArn": sm.role_arn,
            "type": sm.type,
            "creationDate": sm.creation_date,
            "loggingConfiguration": sm.logging_configuration,
            "tracingConfiguration": sm.tracing_configuration,
            "revisionId": sm.revision_id,
        }
        if sm.description:
            out["description"] = sm.description
        return out

    def _map_run_machine(self, arn: str) -> dict[str, Any] | None:
        """`<state machine ARN>/<label>`: the item processor a Distributed Map runs its children with."""
        if "/" not in arn:
            return None
        for map_run in list(self.engine.map_runs.values()):
            if map_run.state_machine_arn == arn:
                parent = self._machines.get(arn.rsplit("/", 1)[0])
                return {
                    "stateMachineArn": arn,
                    "name": arn.rsplit(":", 1)[1].split("/", 1)[0],
                    "status": "ACTIVE",
                    "definition": json.dumps(map_run.machine.raw),
                    "roleArn": parent.role_arn if parent else "",
                    "type": map_run.execution_type,
                    "creationDate": map_run.start_date,
                    "label": map_run.label,
                }
        return None

    def update_state_machine(
        self,
        stateMachineArn: str,
        definition: Any = None,
        roleArn: str | None = None,
        loggingConfiguration: dict[str, Any] | None = None,
        tracingConfiguration: dict[str, Any] | None = None,
        publish: bool = False,
        versionDescription: str | None = None,
        encryptionConfiguration: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        sm = self._machine(stateMachineArn)
        if (
            definition is None
            and roleArn is None
            and loggingConfiguration is None
            and tracingConfiguration is None
        ):
            raise ServiceError(
                "MissingRequiredParameter",
                "Either the definition, the role ARN, the LoggingConfiguration, or the "
                "TracingConfiguration must be specified",
            )
        with self._lock:
            if definition is not None:
                text = definition_text(definition)
                sm.machine, sm.definition = parse_definition(text), text
            if roleArn is not None:
                sm.role_arn = roleArn
            if loggingConfiguration is not None:
                sm.logging_configuration = loggingConfiguration
            if tracingConfiguration is not None:
                sm.tracing_configuration = tracingConfiguration
            sm.update_date = self.clock.now()
            sm.revision_id = str(uuid.uuid4())
        return {"updateDate": sm.update_date, "revisionId": sm.revision_id}

    def list_state_machines(
        self, maxResults: int | None = None, nextToken: str | None = None
    ) -> dict[str, Any]:
        with self._lock:
            items = [
                {
                    "stateMachineArn": sm.arn,
                    "name": sm.name,
                    "type": sm.type,
                    "creationDate": sm.creation_date,
                }
                for sm in self._machines.values()
            ]
        items_page, token = page(items, maxResults, nextToken)
        return {"stateMachines": items_page, **({"nextToken": token} if token else {})}

    def delete_state_machine(self, stateMachineArn: str) -> dict[str, Any]:
        self._parse_arn(stateMachineArn, ("stateMachine",))
        with self._lock:  # AWS: deleting an unknown machine succeeds; running executions keep running
            self._machines.pop(stateMachineArn, None)
        return {}
