"""The `warden` admin subcommands against a live cluster: output, errors with hints, exit codes."""

import json
import os
import subprocess

from conftest import BINARY, INVOICE_MODEL, free_ports

COMMAND_TIMEOUT_SECONDS = 60


def warden(cluster, *arguments, node=0, key=True, cwd=None):
    """Runs `warden ARGUMENTS` with WARDEN_URL (and WARDEN_KEY unless key=False) set for `node`."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("WARDEN_")}
    if cluster is not None:
        environment["WARDEN_URL"] = cluster.urls[node]
        if key:
            environment["WARDEN_KEY"] = cluster.admin_key
    return subprocess.run([str(BINARY), *arguments], capture_output=True, text=True, env=environment,
                          timeout=COMMAND_TIMEOUT_SECONDS, cwd=cwd)


def succeeded(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result.stdout


def register(cluster, agent_id, *arguments):
    """`warden agents register --id AGENT …`; returns the client secret (rotated when the server
    reports the registration as a replay of an attempt whose answer was lost)."""
    created = json.loads(succeeded(warden(cluster, "agents", "register", "--id", agent_id, *arguments, "--json")))
    assert created["agent"]["id"] == agent_id, created
    if created.get("replayed"):
        created = json.loads(succeeded(warden(cluster, "agents", "update", agent_id, "--rotate-secret", "--json")))
    assert created["client_secret"], created
    return created["client_secret"]


def test_register_list_get_and_update_agents(cluster):
    register(cluster, "cli-bot", "--name", "CLI bot", "--owner", "anne", "--scope", "invoice:approve",
             "--attribute", "team=\"ap\"")
    listing = succeeded(warden(cluster, "agents", "list", node=2))
    assert listing.splitlines()[0].split()[:3] == ["ID", "NAME", "OWNER"]
    assert any(line.startswith("cli-bot ") for line in listing.splitlines()), listing
    updated = json.loads(succeeded(warden(cluster, "agents", "update", "cli-bot", "--status", "suspended", "--json")))
    assert updated["agent"]["status"] == "suspended"
    shown = succeeded(warden(cluster, "agents", "get", "cli-bot", node=1))
    assert "status:" in shown and "suspended" in shown, shown
    succeeded(warden(cluster, "agents", "update", "cli-bot", "--status", "active"))


def test_token_check_kill_and_audit_through_the_cli(cluster):
    secret = register(cluster, "cli-actor", "--name", "Actor", "--owner", "anne", "--scope", "invoice:approve")
    access_token = succeeded(warden(cluster, "token", "--client-id", "cli-actor", "--client-secret", secret,
                                    "--scope", "invoice:approve")).strip()
    assert access_token.count(".") == 2, access_token
    active = json.loads(succeeded(warden(cluster, "token", "introspect", access_token, "--json")))
    assert active["active"] is True, active

    callee_secret = register(cluster, "cli-callee-2", "--name", "Callee", "--owner", "anne", "--scope", "invoice:approve")
    succeeded(warden(cluster, "connections", "create", "--caller", "cli-actor", "--callee", "cli-callee-2",
                     "--scope", "invoice:approve", "--max-ttl", "60"))
    exchanged = succeeded(warden(cluster, "token", "exchange", "--subject-token", access_token, "--client-id",
                                 "cli-callee-2", "--client-secret", callee_secret, "--audience", "cli-callee-2",
                                 node=2)).strip()
    assert exchanged.count(".") == 2 and exchanged != access_token, exchanged

    killed = succeeded(warden(cluster, "kill", "cli-actor", "--reason", "cli test", node=1))
    assert killed.startswith("killed cli-actor at revision"), killed
    decision = json.loads(succeeded(warden(cluster, "check", "--agent", "cli-actor", "--action", "approve",
                                           "--resource", "invoice:1", "--token", access_token, "--json", node=2)))
    assert decision["allowed"] is False, decision
    for token in (access_token, exchanged):
        inactive = json.loads(succeeded(warden(cluster, "token", "introspect", token, "--json")))
        assert inactive["active"] is False, inactive

    verified = succeeded(warden(cluster, "audit", "verify"))
    assert verified.startswith("ok: "), verified
    kills = json.loads(succeeded(warden(cluster, "audit", "list", "--type", "agent_killed", "--json")))
    assert "agent:cli-actor" in [record["subject"] for record in kills["records"]], kills


def test_policy_commands_model_users_tuples_connections_and_check(cluster, tmp_path):
    model_file = tmp_path / "model.json"
    model_file.write_text(json.dumps(INVOICE_MODEL))
    written = succeeded(warden(cluster, "model", "put", str(model_file)))
    assert written.startswith("model ") and "written at revision" in written, written
    assert json.loads(succeeded(warden(cluster, "model", "get", "--json", node=1)))["model"]["conditions"]

    succeeded(warden(cluster, "users", "set", "carol", "approval_limit=200", "on_duty=true"))
    assert "approval_limit" in succeeded(warden(cluster, "users", "get", "carol", node=2))
    succeeded(warden(cluster, "tuples", "write", "user:carol", "approve", "invoice:7", "--condition", "within_limit"))
    listed = succeeded(warden(cluster, "tuples", "list", "--object", "invoice:7"))
    assert "user:carol" in listed and "within_limit" in listed, listed

    succeeded(warden(cluster, "agents", "register", "--id", "cli-caller", "--name", "Caller", "--owner", "carol",
                     "--scope", "invoice:approve"))
    succeeded(warden(cluster, "agents", "register", "--id", "cli-callee", "--name", "Callee", "--owner", "carol",
                     "--scope", "invoice:approve"))
    connection = json.loads(succeeded(warden(cluster, "connections", "create", "--caller", "cli-caller", "--callee",
                                             "cli-callee", "--scope", "invoice:approve", "--max-ttl", "120", "--json")))
    assert "cli-callee" in succeeded(warden(cluster, "connections", "list", "--caller", "cli-caller"))
    succeeded(warden(cluster, "connections", "delete", connection["connection"]["id"]))

    def decide(amount):
        return json.loads(succeeded(warden(cluster, "check", "--agent", "cli-caller", "--action", "approve",
                                           "--resource", "invoice:7", "--on-behalf-of", "user:carol",
                                           "--context", json.dumps({"amount": amount}), "--json")))["allowed"]

    assert decide(150) is True
    assert decide(250) is False
    succeeded(warden(cluster, "tuples", "delete", "user:carol", "approve", "invoice:7"))
    assert decide(150) is False
    deleted = succeeded(warden(cluster, "agents", "delete", "cli-callee"))
    assert deleted.startswith("deleted agent cli-callee"), deleted
    assert warden(cluster, "agents", "get", "cli-callee").returncode == 1
    denied = succeeded(warden(cluster, "check", "--agent", "cli-caller", "--action", "approve", "--resource",
                              "invoice:7", "--on-behalf-of", "user:carol", "--context", '{"amount": 250}'))
    assert denied.startswith("denied at revision"), denied


def test_signal_kills_past_the_threshold_and_reinstate_revives(cluster):
    succeeded(warden(cluster, "agents", "register", "--id", "cli-risky", "--name", "Risky", "--owner", "anne"))
    reported = json.loads(succeeded(warden(cluster, "signal", "cli-risky", "--type", "prompt_injection",
                                           "--severity", "100", "--source", "test", "--json")))
    assert reported["risk_score"] > 0
    settings = cluster.json_ok(cluster.get("/v1/settings"))
    status = json.loads(succeeded(warden(cluster, "agents", "get", "cli-risky", "--json")))["agent"]["status"]
    assert (status == "killed") == (reported["risk_score"] >= settings["risk_threshold"]), (reported, settings, status)
    succeeded(warden(cluster, "kill", "cli-risky", "--reason", "make sure"))
    revived = succeeded(warden(cluster, "reinstate", "cli-risky", "--reason", "reviewed", node=2))
    assert revived.startswith("cli-risky is active"), revived


def test_cluster_status_names_every_member(cluster):
    status = json.loads(succeeded(warden(cluster, "cluster", "status", "--json")))
    assert len(status["members"]) == len(cluster.nodes), status
    human = succeeded(warden(cluster, "cluster", "status"))
    assert "leader:" in human and "MEMBER" in human, human


def test_refusals_print_the_problem_and_a_hint(cluster, tmp_path):
    missing = warden(cluster, "agents", "get", "no-such-agent")
    assert missing.returncode == 1, missing
    assert "404" in missing.stderr and "no-such-agent" in missing.stderr and "hint:" in missing.stderr, missing.stderr

    unauthenticated = warden(cluster, "agents", "list", key=False, cwd=tmp_path)
    assert unauthenticated.returncode == 1, unauthenticated
    assert "401" in unauthenticated.stderr and "WARDEN_KEY" in unauthenticated.stderr, unauthenticated.stderr

    invalid = warden(cluster, "connections", "create", "--caller", "cli-bot", "--callee", "nobody!", "--scope", "x:y",
                     "--max-ttl", "60")
    assert invalid.returncode == 1 and "400" in invalid.stderr, invalid

    bad_secret = warden(cluster, "token", "--client-id", "cli-bot", "--client-secret", "wrong")
    assert bad_secret.returncode == 1 and "invalid_client" in bad_secret.stderr, bad_secret


def test_key_comes_from_key_file_or_the_default_cluster_data_file(cluster, tmp_path):
    key_file = tmp_path / "my.key"
    key_file.write_text(cluster.admin_key + "\n")
    succeeded(warden(cluster, "agents", "list", "--key-file", str(key_file), key=False, cwd=tmp_path))
    default_file = tmp_path / "Cluster" / "data" / "admin.key"
    default_file.parent.mkdir(parents=True)
    default_file.write_text(cluster.admin_key + "\n")
    succeeded(warden(cluster, "agents", "list", key=False, cwd=tmp_path))
    missing = warden(cluster, "agents", "list", "--key-file", str(tmp_path / "absent.key"), key=False, cwd=tmp_path)
    assert missing.returncode == 2 and "absent.key" in missing.stderr, missing


def test_usage_errors_exit_2_and_unreachable_cluster_exits_3(tmp_path):
    assert warden(None, "agents", "--help").returncode == 0
    for arguments in (["agents", "frobnicate"], ["kill"], ["check", "--agent", "a"], ["agents", "list", "--colour", "x"]):
        result = warden(None, *arguments)
        assert result.returncode == 2, (arguments, result)
        assert "usage:" in result.stderr, result.stderr

    (closed_port,) = free_ports(1)
    unreachable = warden(None, "agents", "list", "--url", f"http://127.0.0.1:{closed_port}", cwd=tmp_path)
    assert unreachable.returncode == 3, unreachable
    assert f"http://127.0.0.1:{closed_port}" in unreachable.stderr and "Cluster/up" in unreachable.stderr
