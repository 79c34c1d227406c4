#!/usr/bin/env bash
# The README's five-minute tour with curl and jq, exactly as the README shows it;
# test_readme_tour.py runs it against a fresh cluster so the README's commands keep working.
# Needs: WARDEN (one node's URL), NODES (every node's URL, space-separated), KEY (an admin key).
set -euo pipefail
set -x

H="Authorization: Bearer $KEY"
J="Content-Type: application/json"

# 1. Register two agents owned by anne; each client secret is shown once.
PROCUREMENT_SECRET=$(curl -fsS -X POST "$WARDEN/v1/agents" -H "$H" -H "$J" \
  -d '{"id":"procurement-bot","name":"Procurement","owner":"anne","kind":"agent","scopes":["invoice:approve"]}' \
  | jq -r .client_secret)
PAYMENTS_SECRET=$(curl -fsS -X POST "$WARDEN/v1/agents" -H "$H" -H "$J" \
  -d '{"id":"payments-bot","name":"Payments","owner":"anne","kind":"agent","scopes":["invoice:approve"]}' \
  | jq -r .client_secret)

# 2. Let procurement-bot delegate invoice approvals to payments-bot, tokens at most 5 minutes.
curl -fsS -X POST "$WARDEN/v1/connections" -H "$H" -H "$J" \
  -d '{"caller":"procurement-bot","callee":"payments-bot","scopes":["invoice:approve"],"max_token_ttl_seconds":300}'

# 3. A model: a user may approve an invoice up to their own limit, while on duty.
curl -fsS -X PUT "$WARDEN/v1/model" -H "$H" -H "$J" -d '{"schema_version":"1.1",
  "type_definitions":[{"type":"user"},
    {"type":"invoice","relations":{"approve":{"this":{}}},
     "metadata":{"relations":{"approve":{"directly_related_user_types":[{"type":"user","condition":"within_limit"}]}}}}],
  "conditions":{"within_limit":{"name":"within_limit","expression":"amount <= subject.approval_limit && subject.on_duty",
    "parameters":{"amount":{"type_name":"TYPE_NAME_INT"},
                  "subject":{"type_name":"TYPE_NAME_MAP","generic_types":[{"type_name":"TYPE_NAME_ANY"}]}}}}}'

# 4. Anne's attributes, and her approval right on one invoice under that condition.
curl -fsS -X PUT "$WARDEN/v1/users/anne" -H "$H" -H "$J" -d '{"attributes":{"approval_limit":1000,"on_duty":true}}'
curl -fsS -X POST "$WARDEN/v1/tuples" -H "$H" -H "$J" \
  -d '{"writes":[{"user":"user:anne","relation":"approve","object":"invoice:2026-17","condition":{"name":"within_limit"}}]}'

# 5. procurement-bot gets a token acting for anne, and payments-bot exchanges it (RFC 8693).
TOKEN=$(curl -fsS "$WARDEN/oauth/token" -u "procurement-bot:$PROCUREMENT_SECRET" \
  -d grant_type=client_credentials -d scope=invoice:approve -d on_behalf_of=user:anne | jq -r .access_token)
EXCHANGED=$(curl -fsS "$WARDEN/oauth/token" -u "payments-bot:$PAYMENTS_SECRET" \
  -d grant_type=urn:ietf:params:oauth:grant-type:token-exchange \
  -d subject_token="$TOKEN" -d subject_token_type=urn:ietf:params:oauth:token-type:access_token \
  -d audience=payments-bot -d scope=invoice:approve | jq -r .access_token)

# 6. Can payments-bot, with that token, approve the invoice for anne? 500 is within her limit, 5000 is not.
check() {  # check AMOUNT [NODE_URL]
  jq -n --arg token "$EXCHANGED" --argjson amount "$1" '{agent:"payments-bot", token:$token,
    on_behalf_of:"user:anne", action:"approve", resource:"invoice:2026-17", context:{amount:$amount}}' \
  | curl -fsS -X POST "${2:-$WARDEN}/v1/check" -H "$H" -H "$J" -d @-
}
check 500 | jq -e '.allowed == true'
check 5000 | jq -e '.allowed == false'

# 7. Kill procurement-bot: the exchanged token, whose chain contains it, is dead on every node.
curl -fsS -X POST "$WARDEN/v1/agents/procurement-bot/kill" -H "$H" -H "$J" -d '{"reason":"suspicious invoices"}'
curl -fsS "$WARDEN/oauth/introspect" -H "$H" -d token="$EXCHANGED" | jq -e '.active == false'
for NODE in $NODES; do check 500 "$NODE" | jq -e '.allowed == false'; done

# 8. Read the audit log and recheck its hash chain end to end.
curl -fsS "$WARDEN/v1/audit?type=agent_killed" -H "$H" | jq -e '.records[0].subject == "agent:procurement-bot"'
curl -fsS "$WARDEN/v1/audit/verify" -H "$H" | jq -e '.ok == true'
