"""The synthesised app as the infra tests see it (one synth per process: the build is cached, so each xdist
worker synthesises once); the `synth` fixture over it is in `tests/infra/conftest.py`.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
REPO_ROOT = Path(__file__).resolve().parents[2]  # `infra` imports from here: pytest's pythonpath has it

from aws_cdk.assertions import Template  # noqa: E402

from infra.assembly import build_app  # noqa: E402
from infra.stack import CsvEtlStack  # noqa: E402


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


@cache
def synthesise() -> Synth:
    outdir = Path(tempfile.mkdtemp(prefix="csv-etl-cdk-out-"))
    app, stack = build_app(outdir=str(outdir))
    app.synth()  # runs the policy-validation plugins (cdk-nag): raises if an error is not acknowledged
    tpl = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"pluginReports": []}
    return Synth(
        stack=stack, template=Template.from_json(tpl), tpl=tpl, outdir=outdir, validation_report=report
    )
