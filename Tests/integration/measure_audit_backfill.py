"""Measures an audit backfill on a real 3-node cluster (not a test: pytest does not collect it).

Usage: python3 Tests/integration/measure_audit_backfill.py BATCHES
A follower is stopped while BATCHES decision batches (1 000 audit records each) and 40
registrations are written; it restarts, catches up from the leader's snapshot, and copies the
missing records. Prints the records copied, the seconds from the gap's first log line to
"audit gap closed", whether /v1/audit/verify on it matches the leader, and the leader changes the
other nodes saw. Needs the debug build (`swift build --product warden`) or WARDEN_BINARY.
"""

import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import NODE_COUNT, wait_until  # noqa: E402
import test_audit_backfill as scenario  # noqa: E402

TIMEOUT_SECONDS = 600


def leader_changes(cluster, node):
    found = re.search(r"^warden_leader_changes_total (\d+)", cluster.get("/metrics", node=node).text, re.M)
    return int(found.group(1)) if found else 0


def main(batches):
    directory = Path(tempfile.mkdtemp(prefix="warden-backfill-measure-"))
    cluster = scenario.start_snapshotting_cluster(directory)
    try:
        leader = cluster.leader_index()
        follower = next(index for index in range(NODE_COUNT) if index != leader)
        witness = next(index for index in range(NODE_COUNT) if index != follower)
        scenario.register(cluster, "before-0", node=leader)
        cluster.nodes[follower].stop()
        leader = scenario.leader_seen_by(cluster, witness)
        for batch in range(batches):
            scenario.ship_decisions(cluster, batch + 1, node=leader)
        for index in range(40):
            scenario.register(cluster, f"pad-{index}", node=leader)
        target = scenario.audit_state(cluster, leader)["stored_head"]
        changes_before = leader_changes(cluster, witness)
        cluster.nodes[follower].start()

        def closed():
            state = scenario.audit_state(cluster, follower)
            return state["backfill"] == "idle" and state["stored_head"] == state["head"] >= target

        wait_until(closed, TIMEOUT_SECONDS, "the gap to close", cluster.log_tails)
        changes_at_close = leader_changes(cluster, witness)
        stamps = [datetime.fromisoformat(line.split()[0]) for line in cluster.nodes[follower].log_tail().splitlines()
                  if "audit gap" in line]
        leader = scenario.leader_seen_by(cluster, witness)
        verified = cluster.json_ok(cluster.get("/v1/audit/verify", node=follower))
        expected = cluster.json_ok(cluster.get("/v1/audit/verify", node=leader))
        # The counter has no sample until something was copied: the follower may have caught up
        # from the leader's log alone (the leader had not compacted that far yet).
        copied = re.search(r"^warden_audit_backfilled_records_total (\d+)", cluster.get("/metrics", node=follower).text, re.M)
        gap_seconds = f"{(stamps[-1] - stamps[0]).total_seconds():.2f}" if len(stamps) >= 2 else "no-gap"
        print(f"batches={batches} copied={copied.group(1) if copied else 0} gap_open_to_closed_s={gap_seconds} "
              f"verify_ok={verified['ok']} same_head={verified['head_hash'] == expected['head_hash']} "
              f"records={verified['records']} leader_changes_during_catch_up={changes_at_close - changes_before} "
              f"leader_changes_during_the_two_verifies={leader_changes(cluster, witness) - changes_at_close}")
    finally:
        cluster.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)
