"""Schemathesis fuzzes every operation in /openapi.json on a live node: no 5xx, no crash."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import httpx

# Bounds: examples per operation, seconds for the whole run, seconds per request.
MAXIMUM_EXAMPLES = 20
RUN_TIMEOUT_SECONDS = 600
REQUEST_TIMEOUT_SECONDS = 20


def test_openapi_document_lists_the_api(cluster):
    document = httpx.get(cluster.urls[0] + "/openapi.json", timeout=20).json()
    assert document["openapi"].startswith("3.1")
    for path in ("/v1/agents", "/v1/check", "/oauth/token", "/v1/agents/{id}/kill", "/v1/audit/verify"):
        assert path in document["paths"], f"{path} missing from /openapi.json"


# The node's "retry" answers during a leader change are documented 5xx: 503 `unavailable` (no
# leader right now) and 504 `outcome_unknown` (leader lost after the write was appended). Elections
# happen on a loaded shared machine, so schemathesis lets those two statuses through and the HAR
# check below insists each one carries exactly that problem type. Any other 5xx fails the run.
SCHEMATHESIS_CONFIG = """
[checks.not_a_server_error]
expected-statuses = ["2xx", "3xx", "4xx", "503", "504"]
"""
RETRY_PROBLEM_TYPES = {503: "urn:warden:problem:unavailable", 504: "urn:warden:problem:outcome_unknown"}


def test_schemathesis_finds_no_server_error(cluster, tmp_path):
    node = 1
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    command = [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", cluster.urls[node] + "/openapi.json",
        "--url", cluster.urls[node],
        "--checks", "not_a_server_error",
        "--max-examples", str(MAXIMUM_EXAMPLES),
        "--seed", "20261129",
        "--workers", "1",
        "--request-timeout", str(REQUEST_TIMEOUT_SECONDS),
        "--generation-database", "none",
        "--header", f"Authorization: Bearer {cluster.admin_key}",
        "--no-color",
        "--report", "junit,har", "--report-junit-path", str(tmp_path / "junit.xml"),
        "--report-har-path", str(tmp_path / "exchanges.har"),
        # Membership changes with made-up ids could remove the cluster's own nodes, and the feed is
        # a stream that never ends by itself: both are covered by their own tests, not by fuzzing.
        "--exclude-path-regex", "^/v1/(cluster/|feed)",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS, cwd=tmp_path)
    output = result.stdout[-6000:] + result.stderr[-2000:]
    assert result.returncode == 0, f"schemathesis exited {result.returncode}:\n{output}"
    suites = ElementTree.parse(tmp_path / "junit.xml").getroot().iter("testsuite")
    totals = [(int(suite.get("tests", 0)), int(suite.get("failures", 0)), int(suite.get("errors", 0))) for suite in suites]
    tested, failures, errors = (sum(column) for column in zip(*totals))
    assert tested >= 30, f"schemathesis tested only {tested} operations:\n{output}"
    assert failures == 0 and errors == 0, f"{failures} failures, {errors} errors:\n{output}"
    entries = json.loads((tmp_path / "exchanges.har").read_text())["log"]["entries"]
    assert len(entries) >= 100, f"only {len(entries)} requests recorded"
    for entry in entries:
        status = entry["response"]["status"]
        if status in RETRY_PROBLEM_TYPES:
            text = entry["response"]["content"].get("text") or "{}"
            assert json.loads(text).get("type") == RETRY_PROBLEM_TYPES[status], f"a {status} that is not a retry answer: {text}"
        assert status < 500 or status in RETRY_PROBLEM_TYPES, f"{entry['request']['method']} {entry['request']['url']} → {status}"
    for index in range(len(cluster.nodes)):
        assert cluster.nodes[index].alive(), f"node {index} died during the fuzzing run"
        assert httpx.get(cluster.urls[index] + "/healthz", timeout=20).status_code == 200
