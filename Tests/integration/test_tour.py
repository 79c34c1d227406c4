"""The README's five-minute tour, step by step, against a real 3-node cluster."""

from conftest import INVOICE_MODEL

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


def token(cluster, node=0, **form):
    """POSTs the form to /oauth/token (no API key: the agent authenticates) and returns the JSON."""
    response = cluster.oauth("/oauth/token", form, node=node)
    assert response.status_code == 200, f"/oauth/token → {response.status_code}: {response.text}"
    return response.json()


def check(cluster, node, amount, access_token):
    body = {"agent": "payments-bot", "token": access_token, "on_behalf_of": "user:anne",
            "action": "approve", "resource": "invoice:2026-17", "context": {"amount": amount}}
    return cluster.json_ok(cluster.post("/v1/check", node=node, json=body))


def register(cluster, agent_id, node=0):
    body = {"id": agent_id, "name": agent_id, "owner": "anne", "kind": "agent", "scopes": ["invoice:approve"]}
    secret = cluster.register_agent(body, node=node)
    assert cluster.json_ok(cluster.get(f"/v1/agents/{agent_id}", node=node))["agent"]["status"] == "active"
    return secret


def test_tour_kill_cuts_the_exchanged_token_and_every_node_denies(cluster):
    procurement_secret = register(cluster, "procurement-bot")
    payments_secret = register(cluster, "payments-bot", node=1)
    cluster.json_ok(cluster.post("/v1/connections", json={
        "caller": "procurement-bot", "callee": "payments-bot", "scopes": ["invoice:approve"],
        "max_token_ttl_seconds": 300}), status=201)
    cluster.json_ok(cluster.put("/v1/model", json=INVOICE_MODEL))
    cluster.json_ok(cluster.put("/v1/users/anne", json={"attributes": {"approval_limit": 1000, "on_duty": True}}))
    cluster.json_ok(cluster.post("/v1/tuples", json={"writes": [
        {"user": "user:anne", "relation": "approve", "object": "invoice:2026-17",
         "condition": {"name": "within_limit"}}]}))

    first = token(cluster, grant_type="client_credentials", client_id="procurement-bot",
                  client_secret=procurement_secret, scope="invoice:approve", on_behalf_of="user:anne")
    assert first["token_type"] == "Bearer" and first["scope"] == "invoice:approve"
    exchanged = token(cluster, node=2, grant_type=TOKEN_EXCHANGE, subject_token=first["access_token"],
                      subject_token_type=ACCESS_TOKEN_TYPE, client_id="payments-bot", client_secret=payments_secret,
                      audience="payments-bot", scope="invoice:approve")["access_token"]

    under = check(cluster, 0, 500, exchanged)
    assert under["allowed"] is True, under
    over = check(cluster, 0, 5000, exchanged)
    assert over["allowed"] is False, over

    killed = cluster.json_ok(cluster.post("/v1/agents/procurement-bot/kill", json={"reason": "tour"}))
    assert killed["agent"]["status"] == "killed"

    introspection = cluster.json_ok(cluster.oauth("/oauth/introspect", {"token": exchanged}, authenticated=True))
    assert introspection["active"] is False, introspection
    for node in range(len(cluster.nodes)):
        decision = check(cluster, node, 500, exchanged)
        assert decision["allowed"] is False, f"node {node} still allows after the kill: {decision}"
        assert decision["revision"] >= killed["revision"]

    verification = cluster.json_ok(cluster.get("/v1/audit/verify"))
    assert verification["ok"] is True and verification["records"] > 0, verification
    kills = cluster.json_ok(cluster.get("/v1/audit", params={"type": "agent_killed"}))["records"]
    assert [record["subject"] for record in kills] == ["agent:procurement-bot"], kills
