"""One synth per test session (per xdist worker): the app as `infra/app.py` builds it, nag checks included."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # `infra` is not an installed package: it is imported from the repo root
    sys.path.insert(0, str(REPO_ROOT))

from aws_cdk.assertions import Template  # noqa: E402
from infra_synth import Synth  # noqa: E402

from infra.assembly import build_app  # noqa: E402


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("cdk.out")
    app, stack = build_app(outdir=str(outdir))
    app.synth()  # runs the policy-validation plugins (cdk-nag): raises if an error is not acknowledged
    tpl = json.loads((outdir / f"{stack.artifact_id}.template.json").read_text())
    report_path = outdir / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"pluginReports": []}
    return Synth(stack=stack, template=Template.from_json(tpl), tpl=tpl, outdir=outdir,
                 validation_report=report)
