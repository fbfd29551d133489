"""The synthesised app as the infra tests see it (a module of its own: `conftest` names are not unique)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Template

from infra.stack import CsvEtlStack


@dataclass
class Synth:
    """The synthesised stack, its template (dict and assertions wrapper) and the cloud assembly folder."""

    stack: CsvEtlStack
    template: Template
    tpl: dict[str, Any]
    outdir: Path
    validation_report: dict[str, Any]

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {lid: res for lid, res in self.tpl["Resources"].items() if res["Type"] == type_}

    def logical_id(self, construct: Any) -> str:
        """Logical id of an L2 construct's CloudFormation resource (or of a CfnResource)."""
        cfn = getattr(construct.node, "default_child", None) or construct
        return str(self.stack.resolve(self.stack.get_logical_id(cfn)))
