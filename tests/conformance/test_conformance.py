"""The engine conformance suite: every case under cases/ runs in process (the boto3-like
InProcessStepFunctionsClient over the service) and through boto3 over HTTP (http_api on a loopback port).

Each case cites the AWS documentation it checks (`doc`). Cases the engine does not pass yet are listed in
known_gaps.json (`"id": "reason"`, or `{"reason", "modes"}` for one mode only) and run as strict xfails, so
the suite reports the engine's real state either way: a fixed gap XPASSes and fails until its entry goes.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conformance.functions import REGISTRY
from tests.conformance.harness import (
    ROLE_ARN,
    RUNNERS,
    SPEED,
    Api,
    ConformanceBackend,
    Runner,
    load_cases,
    make_service,
    shared_client,
    substitute,
)
from tests.conformance.serving import serve
from workflow.engine.http_api import make_app
from workflow.engine.inprocess_client import InProcessStepFunctionsClient

CASES = load_cases()
GAPS: dict[str, Any] = json.loads((Path(__file__).parent / "known_gaps.json").read_text(encoding="utf-8"))
MODES = ("inprocess", "http")


class _SwappableApp:
    """One HTTP server per test session whose WSGI app each test replaces with its own service's app."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def sfn_server() -> Iterator[tuple[_SwappableApp, str]]:
    app = _SwappableApp()
    with serve(app) as url:
        yield app, url


def _param(case: dict[str, Any], mode: str) -> Any:
    marks = []
    gap = GAPS.get(case["id"])
    if isinstance(gap, dict) and mode not in gap.get("modes", MODES):
        gap = None
    if gap:
        reason = gap if isinstance(gap, str) else gap["reason"]
        marks.append(pytest.mark.xfail(strict=True, reason=reason))
    return pytest.param(case, mode, id=f"{case['id']}-{mode}", marks=marks)


@pytest.mark.server
@pytest.mark.parametrize(("case", "mode"), [_param(c, m) for c in CASES for m in MODES])
def test_case(case: dict[str, Any], mode: str, moto_url: str, sfn_server: tuple[_SwappableApp, str]) -> None:
    app, sfn_url = sfn_server
    variables = {
        "MOTO": moto_url,
        "REGION": "us-east-1",
        "ACCOUNT": "123456789012",
        "SFN_ACCOUNT": "123456789012",
        "ROLE_ARN": ROLE_ARN,
    }
    case = substitute({k: v for k, v in case.items() if k != "_file"}, variables)
    if "setup" in case:  # a fresh moto for cases that create resources, so names never clash
        reset = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=10)
    mocks = case.get("mocks", {})
    backend = ConformanceBackend(moto_url, sfn_url, mocks.get("functions", {}))
    manual = case.get("clock") == "manual"
    service = make_service(backend, mocks.get("config"), case.get("speed", SPEED), manual)
    app.app = make_app(service)
    over_http = mode == "http"
    client = shared_client("stepfunctions", sfn_url) if over_http else InProcessStepFunctionsClient(service)
    api = Api(client, over_http=over_http)
    name = re.sub(r"[^A-Za-z0-9_-]", "-", case["id"])[:80]
    try:
        RUNNERS[case.get("kind", "execution")](Runner(api, backend, name), case)
    finally:
        for closer in ("shutdown", "close", "stop"):
            if callable(getattr(service, closer, None)):
                getattr(service, closer)()
                break


def test_cases_are_well_formed_and_cite_aws_docs() -> None:
    """At least 150 cases, unique ids, each citing an AWS documentation page or a recording, each with an
    expectation."""
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 150, len(ids)
    assert len(set(ids)) == len(ids), sorted({i for i in ids if ids.count(i) > 1})
    for case in CASES:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", case["id"]), case["id"]
        assert "doc" in case or "recorded" in case, case["id"]
        if "doc" in case:
            assert case["doc"].startswith("https://docs.aws.amazon.com/"), case["id"]
        if "recorded" in case:  # a response recorded on AWS in localstack/localstack's public test suite
            assert re.fullmatch(
                r"tests/aws/services/stepfunctions/.+\.snapshot\.json", case["recorded"]["snapshot"]
            )
            assert "::test_" in case["recorded"]["test"], case["id"]
        assert case.get("kind", "execution") in RUNNERS, case["id"]
        assert "expect" in case or "steps" in case or "api_error" in case, case["id"]
        for entry in case.get("mocks", {}).get("functions", {}).values():
            assert entry in REGISTRY, f"{case['id']}: unknown function {entry}"
    assert set(GAPS) <= set(ids), f"known_gaps.json names unknown cases: {sorted(set(GAPS) - set(ids))}"
