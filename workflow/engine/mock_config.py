"""Step Functions Local's mock configuration file: canned Task results per test case.

Format and rules from "Using mocked service integrations for testing in Step Functions Local" (AWS Step
Functions developer guide): `StateMachines.<name>.TestCases.<case>.<state> = <mocked response name>`,
`MockedResponses.<name>.<"n" | "a-b">` = `{"Return": value}` or `{"Throw": {"Error", "Cause"}}`, with
0-based invocation numbers per state. A test case is selected by starting an execution of
`<state machine ARN>#<test case>`. A state left out of the test case calls the real service; a mocked
state invoked more times than its responses cover fails the execution.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from workflow.engine.errors import RUNTIME, StatesError

ENV_VAR = "SFN_MOCK_CONFIG"
DEFAULT_FILE = "MockConfigFile.json"
_KEY = re.compile(r"^(\d+)(?:-(\d+))?$")


@dataclass
class MockedResponse:
    """One invocation's canned outcome: a result (`Return`) or an error (`Throw`)."""

    value: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def is_error(self) -> bool:
        return self.error is not None

    def raise_if_error(self) -> Any:
        """The mocked result, or the mocked error raised as Retry/Catch will see it."""
        if self.error is not None:
            raise StatesError(self.error, self.cause or "")
        return self.value


@dataclass
class _Responses:
    """A named mocked response: inclusive invocation ranges in ascending order."""

    ranges: list[tuple[int, int, MockedResponse]] = field(default_factory=list)

    def at(self, invocation: int) -> MockedResponse | None:
        for low, high, response in self.ranges:
            if low <= invocation <= high:
                return response
        return None


def split_test_case(state_machine_arn: str) -> tuple[str, str | None]:
    """`arn:...:stateMachine:Name#HappyPath` -> (`arn:...:stateMachine:Name`, `HappyPath`)."""
    arn, sep, case = state_machine_arn.partition("#")
    return arn, (case if sep else None)


def _parse_response(name: str, key: str, entry: Any) -> MockedResponse:
    where = f"MockedResponses.{name}.{key}"
    if not isinstance(entry, Mapping) or len(entry) != 1 or next(iter(entry)) not in ("Return", "Throw"):
        raise ValueError(f"{where} must hold exactly one field, Return or Throw")
    if "Return" in entry:
        return MockedResponse(value=entry["Return"])
    throw = entry["Throw"]
    if (
        not isinstance(throw, Mapping)
        or not isinstance(throw.get("Error"), str)
        or not isinstance(throw.get("Cause", ""), str)
    ):
        raise ValueError(f"{where}.Throw must be an object with string Error and Cause fields")
    return MockedResponse(error=throw["Error"], cause=throw.get("Cause", ""))


def _parse_responses(name: str, body: Any) -> _Responses:
    if not isinstance(body, Mapping) or not body:
        raise ValueError(f"MockedResponses.{name} must be a non-empty object of invocation numbers")
    ranges: list[tuple[int, int, MockedResponse]] = []
    for key, entry in body.items():
        match = _KEY.match(str(key))
        if not match:
            raise ValueError(
                f"MockedResponses.{name}: {key!r} is not an invocation number or a range like '1-2'"
            )
        low = int(match[1])
        high = int(match[2]) if match[2] is not None else low
        if high < low:
            raise ValueError(f"MockedResponses.{name}: range {key!r} ends before it starts")
        ranges.append((low, high, _parse_response(name, str(key), entry)))
    ranges.sort(key=lambda r: r[0])
    for (_l1, h1, _r1), (l2, _h2, _r2) in itertools.pairwise(ranges):
        if l2 <= h1:
            raise ValueError(f"MockedResponses.{name}: invocation {l2} is defined twice")
    return _Responses(ranges)


class MockSource(Protocol):
    """What a running Task asks of a mock configuration (a MockConfig file, or TestState's one `mock`)."""

    def response_for(
        self, state_machine: str, test_case: str, state: str, invocation: int
    ) -> MockedResponse | None: ...


class MockConfig:
    """A parsed, validated mock configuration."""

    def __init__(
        self, test_cases: dict[str, dict[str, dict[str, str]]], responses: dict[str, _Responses]
    ) -> None:
        self._test_cases = test_cases
        self._responses = responses

    @classmethod
    def load(cls, source: str | Path | Mapping[str, Any]) -> MockConfig:
        """From a mapping, JSON text, or a file path; malformed configurations raise ValueError."""
        if isinstance(source, Mapping):
            data: Any = source
        elif isinstance(source, str) and source.lstrip().startswith("{"):
            data = json.loads(source)
        else:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        if not isinstance(data, Mapping):
            raise ValueError("A mock configuration must be a JSON object")
        responses = {
            str(name): _parse_responses(str(name), body)
            for name, body in (data.get("MockedResponses") or {}).items()
        }
        test_cases: dict[str, dict[str, dict[str, str]]] = {}
        for machine, spec in (data.get("StateMachines") or {}).items():
            cases = spec.get("TestCases") if isinstance(spec, Mapping) else None
            if not isinstance(cases, Mapping):
                raise ValueError(f"StateMachines.{machine} must have a TestCases object")
            test_cases[str(machine)] = {}
            for case, states in cases.items():
                if not isinstance(states, Mapping):
                    raise ValueError(f"StateMachines.{machine}.TestCases.{case} must map states to responses")
                for state, response in states.items():
                    if response not in responses:
                        raise ValueError(
                            f"StateMachines.{machine}.TestCases.{case}.{state} names the mocked "
                            f"response {response!r}, which MockedResponses does not define"
                        )
                test_cases[str(machine)][str(case)] = {str(s): str(r) for s, r in states.items()}
        return cls(test_cases, responses)

    @classmethod
    def from_environment(cls, cwd: str | Path | None = None) -> MockConfig | None:
        """As Step Functions Local finds it: $SFN_MOCK_CONFIG, else ./MockConfigFile.json, else none."""
        path = os.environ.get(ENV_VAR)
        if path:
            return cls.load(Path(path))
        default = Path(cwd or ".") / DEFAULT_FILE
        return cls.load(default) if default.is_file() else None

    def has_test_case(self, state_machine: str, test_case: str) -> bool:
        return test_case in self._test_cases.get(state_machine, {})

    def is_mocked(self, state_machine: str, test_case: str, state: str) -> bool:
        return state in self._test_cases.get(state_machine, {}).get(test_case, {})

    def response_for(
        self, state_machine: str, test_case: str, state: str, invocation: int
    ) -> MockedResponse | None:
        """The canned outcome of a state's `invocation`-th call (0-based, per state per execution).

        None when the state is not mocked in this test case (the real service is called). A mocked state
        without a response for this invocation raises StatesError(States.Runtime): "If you do not specify a
        mocked response, the state machine execution will fail".
        """
        name = self._test_cases.get(state_machine, {}).get(test_case, {}).get(state)
        if name is None:
            return None
        response = self._responses[name].at(invocation)
        if response is None:
            raise StatesError(
                RUNTIME,
                f"The mocked response {name!r} for state {state!r} (test case "
                f"{test_case!r} of {state_machine!r}) has no entry for invocation "
                f"{invocation}",
            )
        return response
