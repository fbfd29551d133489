"""The diagnostics of ValidateStateMachineDefinition, collected in document order.

Each problem is `{"severity", "code", "message", "location"}` with AWS's codes and a location like
"/States/X/Next". The order matters: the first ERROR is the message CreateStateMachine answers with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

ERROR: Final = "ERROR"
WARNING: Final = "WARNING"

Where = tuple[str | int, ...]
"""A location as its parts: ("States", "X", "Next")."""
Diagnostic = dict[str, str]


def loc(*parts: str | int) -> str:
    """The JSON-pointer-like location AWS reports ("/" for the document itself)."""
    return "/" + "/".join(str(p) for p in parts if p != "") if parts else "/"


@dataclass
class Report:
    """The diagnostics found so far, and the state names seen (names are unique in a whole definition)."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    state_names: dict[str, str] = field(default_factory=dict)

    def add(self, code: str, message: str, location: str, severity: str = ERROR) -> None:
        self.diagnostics.append(
            {"severity": severity, "code": code, "message": message, "location": location}
        )

    def schema(self, message: str, location: str) -> None:
        self.add("SCHEMA_VALIDATION_FAILED", message, location)

    def warn(self, code: str, message: str, location: str) -> None:
        self.add(code, message, location, WARNING)
