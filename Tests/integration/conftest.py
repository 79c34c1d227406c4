"""Fixtures that run a real 3-node Warden cluster on loopback for the integration tests.

Each test module gets a fresh cluster: `warden init` writes the configuration into a temporary
directory, three `warden serve` processes start on ports the OS picked (flags override the
ports in the config files), and the fixture waits
(bounded) until every node answers `/readyz`. Whatever happens, exactly the processes it started
are stopped, by pid: SIGTERM, then SIGKILL after a bounded wait.
"""

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("WARDEN_BINARY", ROOT / ".build" / "debug" / "warden"))
NODE_COUNT = 3
# Bounds on every wait: a slow shared machine gets generous ones, a hang still ends.
INIT_TIMEOUT_SECONDS = 30
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
REQUEST_TIMEOUT_SECONDS = 20
POLL_INTERVAL_SECONDS = 0.05
# A 503 means "no leader right now, retry"; a 504 `outcome_unknown` "the leader was lost after the
# write was appended, retry with the same Idempotency-Key". On a loaded machine elections happen,
# so the helpers retry like a well-behaved client: pauses doubling from 0.1 s, about 12 s in all.
OUTCOME_UNKNOWN_PROBLEM_TYPE = "urn:warden:problem:outcome_unknown"
RETRY_ATTEMPTS = 8
FIRST_RETRY_PAUSE_SECONDS = 0.1
LOG_TAIL_BYTES = 4000


# Invoices a user may approve up to their own limit while on duty (API.md's example condition).
INVOICE_MODEL = {
    "schema_version": "1.1",
    "type_definitions": [
        {"type": "user"},
        {"type": "invoice",
         "relations": {"approve": {"this": {}}},
         "metadata": {"relations": {"approve": {"directly_related_user_types": [
             {"type": "user", "condition": "within_limit"}]}}}},
    ],
    "conditions": {
        "within_limit": {
            "name": "within_limit",
            "expression": "amount <= subject.approval_limit && subject.on_duty",
            "parameters": {
                "amount": {"type_name": "TYPE_NAME_INT"},
                "subject": {"type_name": "TYPE_NAME_MAP", "generic_types": [{"type_name": "TYPE_NAME_ANY"}]},
            },
        }
    },
}


def is_retry_answer(response):
    """Whether `response` is the cluster's own "retry" answer during a leader change."""
    if response.status_code == 503:
        return True
    if response.status_code != 504:
        return False
    try:
        return response.json().get("type") == OUTCOME_UNKNOWN_PROBLEM_TYPE
    except ValueError:
        return False


def free_ports(count):
    """Ports the OS hands out for 127.0.0.1, all distinct (the sockets stay open until all are chosen)."""
    sockets = []
    try:
        for _ in range(count):
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind(("127.0.0.1", 0))
            sockets.append(listener)
        return [listener.getsockname()[1] for listener in sockets]
    finally:
        for listener in sockets:
            listener.close()


def wait_until(predicate, timeout, what, diagnostics=lambda: ""):
    """Polls `predicate` until it returns a truthy value, or fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (httpx.HTTPError, OSError) as error:
            last_error = error
        time.sleep(POLL_INTERVAL_SECONDS)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_error})\n{diagnostics()}")


class Node:
    """One `warden serve` process and where it listens."""

    def __init__(self, node_id, port, config_path, peers, log_path):
        self.node_id = node_id
        self.peers = peers
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.config_path = config_path
        self.log_path = log_path
        self.process = None

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                # The ports `warden init` chose may be taken: listen where the OS said is free.
                [str(BINARY), "serve", "--config", str(self.config_path), "--listen", f"127.0.0.1:{self.port}",
                 "--advertise", f"127.0.0.1:{self.port}", "--peers", self.peers],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.config_path.parent,
            )

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL if it has not exited within the bound; only this node's pid."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def log_tail(self):
        try:
            data = self.log_path.read_bytes()[-LOG_TAIL_BYTES:]
        except OSError:
            return "(no log)"
        return data.decode("utf-8", "replace")


class Cluster:
    """A running 3-node cluster: node URLs, the admin key, and HTTP helpers."""

    def __init__(self, directory, nodes, admin_key):
        self.directory = directory
        self.nodes = nodes
        self.admin_key = admin_key
        self.clients = [
            httpx.Client(base_url=node.url, timeout=REQUEST_TIMEOUT_SECONDS,
                         headers={"Authorization": f"Bearer {admin_key}"})
            for node in nodes
        ]
        self.anonymous_clients = [httpx.Client(base_url=node.url, timeout=REQUEST_TIMEOUT_SECONDS) for node in nodes]

    @property
    def urls(self):
        return [node.url for node in self.nodes]

    def request(self, method, path, node=0, authenticated=True, **arguments):
        """A request to node index `node` (with the admin key unless `authenticated=False`). The
        cluster's "retry" answers are retried with pauses; writes carry one Idempotency-Key across
        the retries, so they apply once."""
        headers = dict(arguments.pop("headers", None) or {})
        if method != "GET":
            headers.setdefault("Idempotency-Key", f"pytest-{uuid.uuid4()}")
        client = (self.clients if authenticated else self.anonymous_clients)[node]
        pause = FIRST_RETRY_PAUSE_SECONDS
        for attempt in range(RETRY_ATTEMPTS):
            response = client.request(method, path, headers=headers, **arguments)
            if not is_retry_answer(response) or attempt == RETRY_ATTEMPTS - 1:
                return response
            time.sleep(pause)
            pause *= 2
        return response

    def oauth(self, path, form, node=0, authenticated=False):
        """A form POST to an OAuth endpoint; grants authenticate the agent in the form, not with the admin key."""
        return self.request("POST", path, node=node, authenticated=authenticated, data=form)

    def get(self, path, node=0, **arguments):
        return self.request("GET", path, node=node, **arguments)

    def post(self, path, node=0, **arguments):
        return self.request("POST", path, node=node, **arguments)

    def put(self, path, node=0, **arguments):
        return self.request("PUT", path, node=node, **arguments)

    def register_agent(self, body, node=0):
        """Registers an agent and returns its client secret. When a retried registration comes back
        as a replay (an earlier attempt committed but its answer was lost), the secret that attempt
        made was never shown, so the secret is rotated instead."""
        created = self.json_ok(self.post("/v1/agents", node=node, json=body), status=201)
        if "client_secret" in created:
            return created["client_secret"]
        assert created.get("replayed") is True, created
        rotated = self.json_ok(self.request("PATCH", f"/v1/agents/{body['id']}", node=node, json={"rotate_secret": True}))
        return rotated["client_secret"]

    def json_ok(self, response, status=200):
        """The JSON body of `response`, asserting its status first (with the body in the message)."""
        assert response.status_code == status, f"{response.request.method} {response.request.url} → {response.status_code}: {response.text}"
        return response.json()

    def leader_index(self):
        """The index of the node that is leader now, by the cluster's own account."""
        info = self.json_ok(self.get("/v1/cluster"))
        leader = str(info["leader"])
        for index, member in enumerate(info["members"]):
            if str(member["id"]) == leader:
                address = str(member["address"])
                for node_index, node in enumerate(self.nodes):
                    if address.endswith(f":{node.port}"):
                        return node_index
        for node_index, node in enumerate(self.nodes):
            if str(node.node_id) == leader:
                return node_index
        raise AssertionError(f"leader {leader} is not one of this cluster's nodes: {info}")

    def wait_ready(self, timeout=READY_TIMEOUT_SECONDS):
        def all_ready():
            for node in self.nodes:
                if not node.alive():
                    raise AssertionError(f"node {node.node_id} exited with {node.process.returncode}\n{self.log_tails()}")
                if httpx.get(node.url + "/readyz", timeout=2).status_code != 200:
                    return False
            return True

        wait_until(all_ready, timeout, "every node's /readyz to answer 200", self.log_tails)

    def stop(self):
        for client in self.clients + self.anonymous_clients:
            client.close()
        for node in self.nodes:
            node.stop()

    def log_tails(self):
        return "\n".join(f"--- node {node.node_id} ({node.url}) log tail ---\n{node.log_tail()}" for node in self.nodes)


def initialise(directory):
    """Runs `warden init` for 3 nodes; returns their config paths and the first admin key."""
    key_file = directory / "admin.key"
    command = [str(BINARY), "init", "--data", str(directory), "--nodes", str(NODE_COUNT), "--admin-key-file", str(key_file)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=INIT_TIMEOUT_SECONDS, cwd=directory)
    assert result.returncode == 0, f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    admin_key = key_file.read_text().strip()
    assert admin_key.startswith("wdn_") and admin_key in result.stdout, f"admin key not written or not printed:\n{result.stdout}"
    configs = [directory / f"node-{index}" / "warden.conf" for index in range(1, NODE_COUNT + 1)]
    missing = [str(path) for path in configs if not path.exists()]
    assert not missing, f"warden init wrote no {missing}:\n{result.stdout}"
    return configs, admin_key


def start_cluster(directory):
    """Initialises and starts a cluster on ports the OS picked; stops what it started if anything goes wrong."""
    if not BINARY.exists():
        pytest.fail(f"{BINARY} is missing: build it first with `swift build --product warden` (Tests/run does)")
    configs, admin_key = initialise(directory)
    ports = free_ports(NODE_COUNT)
    peers = ",".join(f"{index + 1}=127.0.0.1:{port}" for index, port in enumerate(ports))
    nodes = [Node(index + 1, port, config, peers, directory / f"node-{index + 1}.log")
             for index, (port, config) in enumerate(zip(ports, configs))]
    cluster = Cluster(directory, nodes, admin_key)
    try:
        for node in nodes:
            node.start()
        cluster.wait_ready()
    except BaseException:
        cluster.stop()
        raise
    return cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A fresh 3-node cluster for one test module, stopped afterwards whatever happened."""
    running = start_cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield running
    finally:
        running.stop()


def pytest_configure(config):
    """SIGTERM (a CI timeout, `kill`) becomes KeyboardInterrupt so fixture finalizers still stop the nodes."""

    def interrupt(signal_number, frame):
        raise KeyboardInterrupt(f"signal {signal_number}")

    signal.signal(signal.SIGTERM, interrupt)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the nodes' log tails to a failing test's report."""
    outcome = yield
    report = outcome.get_result()
    running = item.funcargs.get("cluster") if hasattr(item, "funcargs") else None
    if report.failed and running is not None:
        report.sections.append(("warden node logs", running.log_tails()))
