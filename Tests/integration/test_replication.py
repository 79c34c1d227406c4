"""Writes sent to a follower are forwarded to the leader, commit, and read back on every node."""


def test_write_to_follower_commits_and_reads_back_everywhere(cluster):
    leader = cluster.leader_index()
    follower = next(index for index in range(len(cluster.nodes)) if index != leader)

    created = cluster.json_ok(cluster.post("/v1/agents", node=follower, json={
        "id": "replicated-bot", "name": "Replicated", "owner": "bob", "kind": "service", "scopes": ["report:read"]}),
        status=201)
    revision = created["revision"]
    assert created["agent"]["id"] == "replicated-bot"

    for node in range(len(cluster.nodes)):
        for consistency in ("linearizable", f"at_least:{revision}"):
            response = cluster.get("/v1/agents/replicated-bot", node=node, params={"consistency": consistency})
            body = cluster.json_ok(response)
            assert body["agent"]["kind"] == "service" and body["agent"]["owner"] == "bob", body
            assert body["revision"] >= revision
            assert int(response.headers["Warden-Revision"]) >= revision


def test_idempotent_retry_on_another_node_applies_once(cluster):
    cluster.json_ok(cluster.post("/v1/agents", node=1, json={
        "id": "replicated-peer", "name": "Peer", "owner": "bob", "scopes": ["report:read"]}), status=201)
    body = {"caller": "replicated-peer", "callee": "replicated-bot", "scopes": ["report:read"], "max_token_ttl_seconds": 60}
    headers = {"Idempotency-Key": "replication-test-1"}
    first = cluster.json_ok(cluster.post("/v1/connections", node=0, json=body, headers=headers), status=201)
    retried = cluster.json_ok(cluster.post("/v1/connections", node=2, json=body, headers=headers), status=201)
    assert retried["connection"]["id"] == first["connection"]["id"]
    listed = cluster.json_ok(cluster.get("/v1/connections", node=1, params={"caller": "replicated-peer"}))
    assert len(listed["connections"]) == 1, listed
