"""How closely the engine reproduces the executions recorded on real AWS that the conformance suite stores.

    .venv/bin/python bench/aws_recordings.py [--verbose]

The recorded cases are the conformance cases with a `recorded` citation (a response recorded on AWS in the
public localstack/localstack test suite, `tests/aws/services/stepfunctions/**/*.snapshot.json`, transcribed
and trimmed into `tests/conformance/cases/*.json`; nothing is fetched). Each runs in process against a
local moto server and is scored on three levels, as issue 11 measured:

- result: status, output, error and cause as recorded;
- event types: the sequence of history event types (cases that store the recorded history);
- event details: every event's id, previousEventId, type and details.

Prints one JSON object with the counts. To measure another engine (e.g. an older commit), put its
`workflow/` package first on PYTHONPATH: `git archive <rev> workflow | tar -x -C /tmp/base` then
`PYTHONPATH=/tmp/base:. python bench/aws_recordings.py`.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # appended: an engine put first on PYTHONPATH wins

from tests.conformance.harness import (  # noqa: E402
    ROLE_ARN,
    Api,
    ConformanceBackend,
    Runner,
    load_cases,
    make_service,
    substitute,
)
from tests.conformance.matching import history_events_mismatch  # noqa: E402


def _types_only(expect: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in expect.items() if k in ("status", "output", "error", "cause")}


def score(case: dict[str, Any], moto_url: str) -> dict[str, bool | None]:
    """Run one recorded case; which of the three levels match (None: the case stores no history)."""
    from workflow.engine.inprocess_client import InProcessStepFunctionsClient

    if "setup" in case:
        reset = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10)
    mocks = case.get("mocks", {})
    backend = ConformanceBackend(moto_url, "http://127.0.0.1:1", mocks.get("functions", {}))
    service = make_service(backend, mocks.get("config"), manual_clock=case.get("clock") == "manual")
    api = Api(InProcessStepFunctionsClient(service), over_http=False)
    runner = Runner(api, backend, re.sub(r"[^A-Za-z0-9_-]", "-", case["id"])[:80])
    expect = case["expect"]
    recorded_events = expect.get("history_events")
    outcome: dict[str, bool | None] = {"result": False, "types": None, "details": None}
    try:
        runner.run_execution({**case, "expect": _types_only(expect)})
        outcome["result"] = True
    except AssertionError:
        pass
    except Exception as exc:  # an engine crash counts as a mismatch, and is shown
        print(f"{case['id']}: {type(exc).__name__}: {exc}", file=sys.stderr)
    if recorded_events is not None:
        arns = [a for a in service.engine.executions]
        history = runner.history(arns[-1]) if arns else []
        outcome["types"] = [e.get("type") for e in history] == [e["type"] for e in recorded_events]
        outcome["details"] = history_events_mismatch(recorded_events, history) is None
    for closer in ("shutdown", "close", "stop"):
        if callable(getattr(service, closer, None)):
            getattr(service, closer)()
            break
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="print each case's scores")
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    import workflow.engine

    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    moto_url = f"http://{host}:{port}"
    variables = {"MOTO": moto_url, "REGION": "us-east-1", "ACCOUNT": "123456789012"}
    variables |= {"SFN_ACCOUNT": "123456789012", "ROLE_ARN": ROLE_ARN}
    cases = [substitute(c, variables) for c in load_cases() if "recorded" in c and "steps" not in c]
    cases = [c for c in cases if c.get("kind", "execution") == "execution"]
    totals = {"result": 0, "types": 0, "details": 0, "with_history": 0}
    try:
        for case in cases:
            outcome = score(case, moto_url)
            totals["result"] += bool(outcome["result"])
            if outcome["types"] is not None:
                totals["with_history"] += 1
                totals["types"] += bool(outcome["types"])
                totals["details"] += bool(outcome["details"])
            if args.verbose:
                print(case["id"], outcome, file=sys.stderr)
    finally:
        server.stop()
    print(
        json.dumps(
            {
                "engine": str(Path(workflow.engine.__file__).parent),
                "recorded_cases": len(cases),
                "result_matches": totals["result"],
                "cases_with_recorded_history": totals["with_history"],
                "event_types_match": totals["types"],
                "event_details_match": totals["details"],
            }
        )
    )


if __name__ == "__main__":
    main()
