#!/usr/bin/env bash
# The demo: builds autohost, starts the bundled Threads sandbox, onboards an account through
# OAuth, posts once by hand, then schedules a small calendar due in the next seconds and a
# token refresh, runs the daemon until everything has run, and prints the timeline read back
# from the sandbox - in a throw-away state directory, with no input from the user.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
BUILD_DIR=$build bash "$root/examples/build.sh"

state=$(mktemp -d)
sandbox_pid=""
daemon_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null && wait "$sandbox_pid" 2>/dev/null
  rm -rf "$state"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
autohost() { "$build/host/autohost" "$@"; }

# The sandbox stands in for graph.threads.net: HTTPS with a test CA made for this run.
"$build/tests/sandbox/threads-sandbox" --state-dir "$state/sandbox" >"$state/ready" &
sandbox_pid=$!
for _ in $(seq 50); do [ -s "$state/ready" ] && break; sleep 0.1; done
base_url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["base_url"])' "$state/ready")
ca_file="$state/sandbox/ca.pem"
control() { curl -sS --cacert "$ca_file" -X "$1" "$base_url/__sandbox/$2" ${3:+-d "$3"}; }
echo "sandbox: $base_url"

export AUTOHOST_STATE_DIR=$state/autohost AUTOHOST_PLUGIN_PATH=$build/plugin
export AUTOHOST_CONFIG=$state/config.json
cat >"$AUTOHOST_CONFIG" <<JSON
{"plugins": {"threads": {"graph_base_url": "$base_url", "oauth_base_url": "$base_url",
  "ca_file": "$ca_file",
  "container_wait": {"image": {"first_check_s": 1, "interval_s": 1},
                     "video": {"first_check_s": 2, "interval_s": 2}}}}}
JSON

step autohost plugins
autohost plugins

# Onboarding as a user does it: the app's credentials, the authorize URL, the browser's
# redirect back with a code, and the exchange for a long-lived token.
step "autohost invoke threads.register_app --input '{\"app_id\": ..., \"app_secret\": ..., \"redirect_uri\": ...}'"
autohost invoke threads.register_app --input '{"app_id": "1000000000000001", "app_secret": "sandbox-app-secret", "redirect_uri": "https://app.example/callback"}'
step "autohost invoke threads.auth_url --input '{\"account\": \"demo\"}'"
url=$(autohost invoke threads.auth_url --input '{"account": "demo"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
echo "$url"
redirect=$(curl -sS --cacert "$ca_file" -o /dev/null -w '%{redirect_url}' "$url")
echo "the browser comes back to: ${redirect%%code=*}code=..."
step "autohost invoke threads.exchange_code --input '{\"code\": \"<the whole redirect URL>\"}'"
autohost invoke threads.exchange_code --input "{\"code\": \"$redirect\"}"

# A second account whose token is 40 days old, as if pasted long ago: due for a refresh.
old=$(control POST tokens '{"kind": "long", "age_s": 3456000}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
autohost invoke threads.import_token --input "{\"account\": \"old\", \"access_token\": \"$old\"}" >/dev/null
step "autohost invoke threads.token_status   # 'old' expires in 20 days"
autohost invoke threads.token_status | python3 -c 'import json,sys
for a in json.load(sys.stdin)["accounts"]:
    print("%-5s %-7s expires %s" % (a["account"], a["status"], a["expires_at"]))'

step "autohost invoke threads.post --idempotency-key hello --input '{\"text\": \"Hello from autohost\"}'"
first=$(autohost invoke threads.post --account demo --idempotency-key hello --input '{"text": "Hello from autohost"}')
echo "$first"
first_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$first")
step "the same key again: the recorded post comes back, nothing is published twice"
autohost invoke threads.post --account demo --idempotency-key hello --input '{"text": "Hello from autohost"}'

# A calendar due in the next seconds, and the refresh job moved up to now.
at() { date -u -d "+$1 seconds" +%Y-%m-%dT%H:%M:%SZ; }
cat >"$state/calendar.json" <<JSON
{"account": "demo", "posts": [
  {"id": "morning", "at": "$(at 3)", "text": "Good morning from the scheduler"},
  {"id": "picture", "at": "$(at 4)", "input": {"text": "A picture", "media": [{"type": "image", "url": "https://cdn.example/door.jpg", "alt_text": "a red door"}]}},
  {"id": "album", "at": "$(at 5)", "input": {"text": "An album", "media": [{"type": "image", "url": "https://cdn.example/1.jpg"}, {"type": "image", "url": "https://cdn.example/2.jpg"}]}},
  {"id": "answer", "at": "$(at 6)", "input": {"text": "A scheduled reply", "reply_to_id": "$first_id"}}
]}
JSON
step "autohost schedule import calendar.json"
autohost schedule import "$state/calendar.json"
step "autohost schedule import calendar.json   # again: nothing changes, nothing doubles"
autohost schedule import "$state/calendar.json"
step "autohost schedule add threads.refresh_tokens --at +3s --id refresh-now"
autohost schedule add threads.refresh_tokens --at "$(at 3)" --id refresh-now >/dev/null
autohost schedule list

step "autohost run   # the daemon, until all five runs are done (its JSON log below)"
# The binary itself in the background (not the shell function), so $! is the daemon.
"$build/host/autohost" --log-level info run --workers 4 2>"$state/daemon.log" &
daemon_pid=$!
for _ in $(seq 60); do
  done_runs=$(autohost runs --status succeeded --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  [ "$done_runs" -ge 5 ] && break
  sleep 1
done
kill -TERM "$daemon_pid"
wait "$daemon_pid"
echo "daemon stopped on SIGTERM, exit $?"
daemon_pid=""
grep '"run finished"' "$state/daemon.log" | python3 -c 'import json,sys
for line in sys.stdin:
    e = json.loads(line)
    print(e["ts"], e["run"], e["status"])'

step "autohost runs"
autohost runs
step "autohost status"
autohost status
step "the timeline read back from the sandbox"
autohost invoke threads.threads --account demo --input '{"fields": ["id", "media_type", "text", "timestamp"]}' |
  python3 -c 'import json,sys
for p in reversed(json.load(sys.stdin)["data"]):
    print("%s  %-15s %s  %s" % (p["timestamp"], p["media_type"], p["id"], p.get("text", "")))'
step "autohost invoke threads.replies --input '{\"id\": \"$first_id\"}'   # the scheduled reply"
autohost invoke threads.replies --account demo --input "{\"id\": \"$first_id\", \"fields\": \"id,text,timestamp\"}"
step "what the sandbox counted: one publish per post, none twice; 'old' was refreshed"
control GET stats | python3 -c 'import json,sys
s = json.load(sys.stdin)
print("publishes:", s["publishes"]["total"])'
autohost invoke threads.token_status | python3 -c 'import json,sys
for a in json.load(sys.stdin)["accounts"]:
    print("%-5s %-7s expires %s" % (a["account"], a["status"], a["expires_at"]))'
step "autohost invoke threads.post --input '{\"text\": \"\"}'   # errors: JSON on stderr, exit code per status"
set +e
autohost invoke threads.post --account demo --input '{"text": ""}'
echo "exit code: $?"
set -e
