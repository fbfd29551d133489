"""`python infra/app.py` (repo root or infra/) and `npx cdk synth` write the same template, offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra.infra_synth import Synth
from workflow.config import REPO_ROOT

pytestmark = pytest.mark.infra
INFRA = REPO_ROOT / "infra"
CDK_CLI = INFRA / "node_modules" / ".bin" / "cdk"


def _env(outdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CDK_", "AWS_"))}
    # No credentials and no network needed: synth is offline. The built-in CloudFormation validation is
    # checked by the session synth; skipping it here keeps these runs short.
    return {
        **env,
        "CDK_OUTDIR": str(outdir),
        "CDK_VALIDATION": "false",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        **extra,
    }


def _normalised(template: dict[str, Any]) -> dict[str, Any]:
    """Drop what only the CLI adds (path metadata, the CDKMetadata resource and its condition) and the API
    deployment's hash suffix (the CDK hashes path metadata into it; a new hash only redeploys the stage)."""
    text = json.dumps(template)
    for lid, res in template["Resources"].items():
        if res["Type"] == "AWS::ApiGateway::Deployment":
            text = text.replace(f'"{lid}"', '"ApiDeployment"')
    out = json.loads(text)
    out.pop("Conditions", None)
    out["Resources"].pop("CDKMetadata", None)
    for res in out["Resources"].values():
        meta = {k: v for k, v in res.pop("Metadata", {}).items() if not k.startswith("aws:")}
        if meta:
            res["Metadata"] = meta
    return out


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs between two normalised templates, by section and resource (readable failures)."""
    a, b = _normalised(a), _normalised(b)
    diffs = [f"section {k}" for k in sorted(set(a) | set(b)) if k != "Resources" and a.get(k) != b.get(k)]
    ra, rb = a["Resources"], b["Resources"]
    diffs += [
        f"resource {lid}: {json.dumps(ra.get(lid))[:300]} != {json.dumps(rb.get(lid))[:300]}"
        for lid in sorted(set(ra) | set(rb))
        if ra.get(lid) != rb.get(lid)
    ]
    return diffs


def test_app_synthesises_from_the_repo_root_and_from_infra(tmp_path: Path, synth: Synth) -> None:
    runs = {
        "root": (REPO_ROOT, [sys.executable, "infra/app.py"], {}),
        "infra": (
            INFRA,
            [sys.executable, "app.py"],
            {"CDK_CONTEXT_JSON": json.dumps({"stack_name": "etl-b"})},
        ),
    }
    procs = {
        name: subprocess.Popen(
            cmd,
            cwd=cwd,
            env=_env(tmp_path / name, **extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, (cwd, cmd, extra) in runs.items()
    }
    outputs = {name: proc.communicate(timeout=300)[0] for name, proc in procs.items()}
    for name, proc in procs.items():
        assert proc.returncode == 0, outputs[name]
    root = json.loads((tmp_path / "root" / "csv-etl.template.json").read_text())
    renamed = json.loads((tmp_path / "infra" / "etl-b.template.json").read_text())
    assert _differences(root, synth.tpl) == []
    # `-c stack_name=...` names the stack; the resources are the same (ids of a few hash the stack name).
    assert sorted(r["Type"] for r in renamed["Resources"].values()) == sorted(
        r["Type"] for r in root["Resources"].values()
    )
    assert list(renamed["Outputs"]) == list(root["Outputs"])


@pytest.mark.skipif(
    not CDK_CLI.exists() or shutil.which("node") is None,
    reason="the CDK CLI is not installed: run `npm ci` in infra/",
)
def test_cdk_cli_synth_uses_cdk_json_and_writes_the_same_template(tmp_path: Path, synth: Synth) -> None:
    env = _env(tmp_path, CDK_DISABLE_CLI_TELEMETRY="true")
    env.pop("CDK_OUTDIR")
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", "--no-notices", "--output", str(tmp_path / "out")],
        cwd=INFRA,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cli = json.loads((tmp_path / "out" / "csv-etl.template.json").read_text())
    assert _differences(cli, synth.tpl) == []
