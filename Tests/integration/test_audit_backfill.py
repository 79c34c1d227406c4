"""A follower that catches up from the leader's snapshot copies the audit history it missed.

The cluster snapshots every few entries and compacts soon after (`snapshot_interval_entries`,
`compaction_margin_entries` in each node's config), so a follower stopped while the others write
comes back to a log that no longer holds what it missed: the leader sends a snapshot, which carries
the audit head but not the history. The follower must copy the missing records from a peer over
the internal endpoint, verify them, and then serve the same chain as the leader.
"""

import re
import subprocess
import threading

import httpx
import pytest

from conftest import BINARY, NODE_COUNT, REQUEST_TIMEOUT_SECONDS, Cluster, Node, free_ports, initialise, wait_until

SNAPSHOT_INTERVAL_ENTRIES = 20
COMPACTION_MARGIN_ENTRIES = 5
# Written while the follower is down: several snapshot intervals, so the leader compacts past it.
WRITES_WHILE_DOWN = 80
# Decision records shipped while the follower is down: each batch is one entry of many audit
# records, so the missing range spans several pages of the internal endpoint (1 000 records each).
DECISION_BATCHES_WHILE_DOWN = 3
DECISIONS_PER_BATCH = 1000
CATCH_UP_TIMEOUT_SECONDS = 60
# Writes the background writer makes at most while the follower catches up (a bound, not a target).
MAXIMUM_WRITES_DURING_CATCH_UP = 400


def start_snapshotting_cluster(directory):
    """Starts a 3-node cluster in `directory` that snapshots and compacts every few entries; the
    caller stops it (by pid, `Cluster.stop`)."""
    configs, admin_key = initialise(directory)
    for config in configs:
        with open(config, "a") as file:
            file.write(f"\nsnapshot_interval_entries = {SNAPSHOT_INTERVAL_ENTRIES}\n"
                       f"compaction_margin_entries = {COMPACTION_MARGIN_ENTRIES}\n")
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
def snapshotting_cluster(tmp_path_factory):
    """The module's snapshotting cluster; stopped by pid afterwards."""
    cluster = start_snapshotting_cluster(tmp_path_factory.mktemp("backfill"))
    try:
        yield cluster
    finally:
        cluster.stop()


def all_running(cluster):
    """The module's cluster with every node up again (a failed test may have left one stopped)."""
    for node in cluster.nodes:
        if not node.alive():
            node.start()
    cluster.wait_ready()
    return cluster


def register(cluster, agent_id, node):
    body = {"id": agent_id, "name": agent_id, "owner": "anne", "kind": "agent", "scopes": ["report:read"]}
    cluster.register_agent(body, node=node)


def leader_seen_by(cluster, node):
    """The index of the leader as `node` reports it (`Cluster.leader_index` asks node 0, which may be down)."""
    def known():
        leader = cluster.json_ok(cluster.get("/v1/cluster", node=node))["leader"]
        index = next((index for index, each in enumerate(cluster.nodes) if str(each.node_id) == str(leader)), None)
        return None if index is None else (index,)  # a tuple: leader 0 is an answer too

    return wait_until(known, CATCH_UP_TIMEOUT_SECONDS, "a leader", cluster.log_tails)[0]


def ship_decisions(cluster, batch_seq, node):
    decisions = [{"decision_id": f"d-{batch_seq}-{index}", "agent": "before-0", "subject": "user:anne",
                  "action": "read", "resource": f"report:{index}", "allowed": index % 2 == 0,
                  "reasons": ["allowed"] if index % 2 == 0 else ["no_connection"], "revision": 1,
                  "time": "2026-11-29T10:00:00Z"} for index in range(DECISIONS_PER_BATCH)]
    body = {"enforcer": "edge-backfill", "batch_seq": batch_seq, "decisions": decisions}
    answer = cluster.json_ok(cluster.post("/v1/audit/decisions", node=node, json=body))
    # A retry after a leader change may find the batch already applied: that is the batch too.
    assert answer["recorded"] == DECISIONS_PER_BATCH or answer["applied"] is False, answer


def audit_state(cluster, node):
    return cluster.json_ok(cluster.get("/v1/cluster", node=node))["audit"]


def all_records(cluster, node):
    """Every stored audit record on `node`, oldest first, page by page."""
    records, after = [], 0
    while True:
        page = cluster.json_ok(cluster.get("/v1/audit", node=node, params={"after": after, "limit": 1000}))
        records += page["records"]
        if page["next"] is None:
            return records
        after = page["next"]


def cluster_secret(cluster, node):
    text = cluster.nodes[node].config_path.read_text()
    return re.search(r"^\s*cluster_secret\s*=\s*(\w+)", text, re.MULTILINE).group(1)


def test_internal_audit_range_needs_the_cluster_secret(snapshotting_cluster):
    cluster = snapshotting_cluster
    url = cluster.nodes[0].url + "/internal/v1/audit"
    assert httpx.get(url, params={"after": 0, "limit": 10}, timeout=10).status_code == 401
    forged = {"Warden-Cluster-Secret": "0" * 64}
    assert httpx.get(url, params={"after": 0, "limit": 10}, headers=forged, timeout=10).status_code == 401
    # The public API key is not a peer credential either.
    admin = {"Authorization": f"Bearer {cluster.admin_key}"}
    assert httpx.get(url, params={"after": 0, "limit": 10}, headers=admin, timeout=10).status_code == 401
    peer = {"Warden-Cluster-Secret": cluster_secret(cluster, 0)}
    assert httpx.get(url, params={"after": 0, "limit": 5000}, headers=peer, timeout=10).status_code == 400
    answer = httpx.get(url, params={"after": 0, "limit": 10}, headers=peer, timeout=10)
    assert answer.status_code == 200, answer.text
    assert int(answer.headers["Warden-Audit-Head"]) >= 1


def test_follower_back_from_a_snapshot_backfills_the_audit_chain(snapshotting_cluster):
    cluster = all_running(snapshotting_cluster)
    leader = cluster.leader_index()
    follower = next(index for index in range(len(cluster.nodes)) if index != leader)
    for index in range(3):
        register(cluster, f"before-{index}", node=leader)
    wait_until(lambda: audit_state(cluster, follower)["stored_head"] == audit_state(cluster, leader)["stored_head"],
               CATCH_UP_TIMEOUT_SECONDS, "the follower to store the first records", cluster.log_tails)
    head_before = audit_state(cluster, follower)["stored_head"]
    assert head_before > 0

    cluster.nodes[follower].stop()
    witness = next(index for index in range(len(cluster.nodes)) if index != follower)
    leader = leader_seen_by(cluster, witness)
    # The decision batches first: the registrations after them span several snapshot intervals,
    # so the snapshot the follower gets usually covers the decision records (several pages).
    for batch in range(DECISION_BATCHES_WHILE_DOWN):
        ship_decisions(cluster, batch + 1, node=leader)
    for index in range(WRITES_WHILE_DOWN):
        register(cluster, f"while-down-{index}", node=leader)
    missed = WRITES_WHILE_DOWN + DECISION_BATCHES_WHILE_DOWN * DECISIONS_PER_BATCH
    cluster.nodes[follower].start()

    def caught_up():
        mine, theirs = audit_state(cluster, follower), audit_state(cluster, leader_seen_by(cluster, witness))
        return (mine["backfill"] == "idle" and mine["stored_head"] == mine["head"] == theirs["stored_head"]
                and theirs["stored_head"] >= head_before + missed)

    wait_until(caught_up, CATCH_UP_TIMEOUT_SECONDS, "the follower's audit store to reach the leader's head", cluster.log_tails)
    log = cluster.nodes[follower].log_tail()
    assert "copying it from peers" in log, log  # it did catch up from a snapshot, not from the log
    metrics = cluster.get("/metrics", node=follower).text
    copied = re.search(r"^warden_audit_backfilled_records_total (\d+)", metrics, re.MULTILINE)
    # How much of the missed history the snapshot covers depends on how far the leader had
    # compacted when the follower came back (the rest arrives as log entries, whose records the
    # follower writes itself): every record of the gap it reported must have been copied.
    gaps = [(int(low), int(high)) for low, high in re.findall(r"audit gap (\d+)\.\.\.(\d+) \(caught up", log)]
    assert gaps, log
    assert copied and int(copied.group(1)) >= max(high - low + 1 for low, high in gaps), (gaps, metrics)
    assert re.search(r"^warden_audit_missing_records 0$", metrics, re.MULTILINE), metrics

    leader = leader_seen_by(cluster, witness)
    verified = cluster.json_ok(cluster.get("/v1/audit/verify", node=follower))
    expected = cluster.json_ok(cluster.get("/v1/audit/verify", node=leader))
    assert verified["ok"] is True, verified
    assert (verified["records"], verified["head_hash"]) == (expected["records"], expected["head_hash"])

    mine, theirs = all_records(cluster, follower), all_records(cluster, leader)
    assert mine == theirs
    subjects = {record["subject"] for record in mine if record["seq"] > head_before}
    assert {f"agent:while-down-{index}" for index in range(WRITES_WHILE_DOWN)} <= subjects

    register(cluster, "after-backfill", node=leader)
    wait_until(lambda: audit_state(cluster, follower)["stored_head"] == audit_state(cluster, leader_seen_by(cluster, witness))["stored_head"],
               CATCH_UP_TIMEOUT_SECONDS, "the follower to store new records itself again", cluster.log_tails)
    assert cluster.json_ok(cluster.get("/v1/audit/verify", node=follower))["ok"] is True


def test_backfill_closes_while_writes_keep_coming(snapshotting_cluster):
    """The head moves on while the copy runs: the node chases it and then saves new records itself."""
    cluster = all_running(snapshotting_cluster)
    leader = cluster.leader_index()
    follower = next(index for index in range(len(cluster.nodes)) if index != leader)
    witness = next(index for index in range(len(cluster.nodes)) if index != follower)
    cluster.nodes[follower].stop()
    leader = leader_seen_by(cluster, witness)
    for index in range(WRITES_WHILE_DOWN):
        register(cluster, f"chase-down-{index}", node=leader)
    head_while_down = audit_state(cluster, leader)["stored_head"]

    stop = threading.Event()
    written = []

    def keep_writing():
        while not stop.is_set() and len(written) < MAXIMUM_WRITES_DURING_CATCH_UP:
            agent = f"chase-live-{len(written)}"
            register(cluster, agent, node=leader)
            written.append(agent)

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        cluster.nodes[follower].start()

        def closed_under_writes():
            state = audit_state(cluster, follower)
            return state["backfill"] == "idle" and state["stored_head"] == state["head"] > head_while_down

        wait_until(closed_under_writes, CATCH_UP_TIMEOUT_SECONDS, "the gap to close while writes go on", cluster.log_tails)
        closed_at = len(written)
        wait_until(lambda: len(written) >= closed_at + 10 or not writer.is_alive(), CATCH_UP_TIMEOUT_SECONDS,
                   "more writes after the gap closed", cluster.log_tails)
    finally:
        stop.set()
        writer.join(timeout=CATCH_UP_TIMEOUT_SECONDS)
    assert not writer.is_alive()

    def converged():
        mine, theirs = audit_state(cluster, follower), audit_state(cluster, leader_seen_by(cluster, witness))
        return mine["backfill"] == "idle" and mine["stored_head"] == mine["head"] == theirs["stored_head"]

    wait_until(converged, CATCH_UP_TIMEOUT_SECONDS, "the follower's audit store to converge", cluster.log_tails)
    leader = leader_seen_by(cluster, witness)
    verified = cluster.json_ok(cluster.get("/v1/audit/verify", node=follower))
    expected = cluster.json_ok(cluster.get("/v1/audit/verify", node=leader))
    assert verified["ok"] is True, verified
    assert (verified["records"], verified["head_hash"]) == (expected["records"], expected["head_hash"])
    subjects = {record["subject"] for record in all_records(cluster, follower)}
    assert {f"agent:{agent}" for agent in written} <= subjects
    assert all(node.alive() for node in cluster.nodes), cluster.log_tails()


class JoiningNode(Node):
    """A fourth node run from node 1's config file with its own id, port and data directory."""

    def __init__(self, cluster, node_id, port):
        peers = cluster.nodes[0].peers + f",{node_id}=127.0.0.1:{port}"
        super().__init__(node_id, port, cluster.nodes[0].config_path, peers, cluster.directory / f"node-{node_id}.log")
        self.data = cluster.directory / f"node-{node_id}"

    def start(self):
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BINARY), "serve", "--config", str(self.config_path), "--id", str(self.node_id),
                 "--data", str(self.data), "--listen", f"127.0.0.1:{self.port}", "--advertise", f"127.0.0.1:{self.port}",
                 "--peers", self.peers],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=self.config_path.parent,
            )


def test_node_added_after_compaction_receives_the_whole_audit_history(snapshotting_cluster):
    """A brand-new member's store holds no audit record at all: the whole chain comes from a peer."""
    cluster = all_running(snapshotting_cluster)
    leader = cluster.leader_index()
    for index in range(2 * (SNAPSHOT_INTERVAL_ENTRIES + COMPACTION_MARGIN_ENTRIES)):
        register(cluster, f"before-join-{index}", node=leader)
    joining = JoiningNode(cluster, 4, free_ports(1)[0])
    client = httpx.Client(base_url=joining.url, timeout=REQUEST_TIMEOUT_SECONDS,
                          headers={"Authorization": f"Bearer {cluster.admin_key}"})
    joining.start()
    try:
        added = cluster.post("/v1/cluster/members", node=leader, json={"id": "4", "address": f"127.0.0.1:{joining.port}"})
        cluster.json_ok(added)

        def caught_up():
            answer = client.get("/v1/cluster")
            if answer.status_code != 200:  # not ready yet: no leader known, or the admin key not replicated
                return False
            mine = answer.json()["audit"]
            theirs = audit_state(cluster, leader_seen_by(cluster, leader))
            return mine["backfill"] == "idle" and mine["stored_head"] == mine["head"] == theirs["stored_head"] > 0

        wait_until(caught_up, CATCH_UP_TIMEOUT_SECONDS, "the new member's audit store to hold the whole chain",
                   lambda: cluster.log_tails() + "\n--- node 4 ---\n" + joining.log_tail())
        assert "copying it from peers" in joining.log_tail(), joining.log_tail()
        verified = client.get("/v1/audit/verify").json()
        expected = cluster.json_ok(cluster.get("/v1/audit/verify", node=leader_seen_by(cluster, leader)))
        assert verified["ok"] is True, verified
        assert (verified["records"], verified["head_hash"]) == (expected["records"], expected["head_hash"])
        cluster.json_ok(cluster.request("DELETE", "/v1/cluster/members/4", node=leader_seen_by(cluster, leader)))
    finally:
        client.close()
        joining.stop()
