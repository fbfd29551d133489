"""CDK entry point: `python infra/app.py` from the repo root, or `npx cdk synth` in infra/ (cdk.json)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# `workflow` (shared config, ASL file) and `infra` are imported from the repo root, wherever we run from.
REPO_ROOT = str(Path(__file__).resolve().parent.parent)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from infra.assembly import build_app  # noqa: E402

if __name__ == "__main__":
    app, _ = build_app()
    app.synth()
