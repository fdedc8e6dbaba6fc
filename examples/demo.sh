#!/usr/bin/env bash
# The demo: builds autohost, starts the bundled Threads sandbox, onboards an account, posts
# (text, image, carousel, reply) exactly once, reads the posts back - in a throw-away state
# directory, with no input from the user.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
BUILD_DIR=$build bash "$root/examples/build.sh"

state=$(mktemp -d)
sandbox_pid=""
cleanup() {
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
{"plugins": {"threads": {"graph_base_url": "$base_url", "ca_file": "$ca_file",
  "container_wait": {"image": {"first_check_s": 1, "interval_s": 1},
                     "video": {"first_check_s": 2, "interval_s": 2}}}}}
JSON

step autohost plugins
autohost plugins
step "autohost actions threads | grep '^threads\.'"
autohost actions threads | grep '^threads\.'

# A long-lived token for the sandbox's test user, as a user would paste one from Meta.
token=$(control POST tokens '{"kind":"long"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
step "autohost invoke threads.import_token --input '{\"account\": \"demo\", \"access_token\": \"TH...\"}'"
autohost invoke threads.import_token --input "{\"account\": \"demo\", \"access_token\": \"$token\"}"
step "autohost secrets list   # the token is sealed in the store, never printed"
autohost secrets list

step "autohost invoke threads.post --input '{\"text\": \"Hello from autohost\"}'"
first=$(autohost invoke threads.post --idempotency-key demo-1 --input '{"text": "Hello from autohost"}')
echo "$first"
first_id=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$first")
step "autohost invoke threads.post --input '{\"text\": ..., \"media\": [one image]}'"
autohost invoke threads.post --input '{"text": "A picture", "media": [{"type": "image", "url": "https://cdn.example/door.jpg", "alt_text": "a red door"}]}'
step "autohost invoke threads.post --input '{\"text\": ..., \"media\": [image, video, image]}'"
autohost invoke threads.post --input '{"text": "An album", "media": [{"type": "image", "url": "https://cdn.example/1.jpg"}, {"type": "video", "url": "https://cdn.example/2.mp4"}, {"type": "image", "url": "https://cdn.example/3.jpg"}]}'
step "autohost invoke threads.post --input '{\"text\": \"A reply\", \"reply_to_id\": \"$first_id\"}'"
autohost invoke threads.post --input "{\"text\": \"A reply\", \"reply_to_id\": \"$first_id\"}"

step "autohost invoke threads.post --idempotency-key demo-1 ...   # the same key again: no second post"
autohost invoke threads.post --idempotency-key demo-1 --input '{"text": "Hello from autohost"}'

step "the sandbox answers the next publish with HTTP 500 although the post is made"
control POST faults '{"group":"publish","mode":"publish_succeeds_then_500"}' >/dev/null
autohost invoke threads.post --input '{"text": "Published through a 500"}'

step "autohost invoke threads.threads --input '{\"fields\": [\"id\", \"media_type\", \"text\"]}'"
autohost invoke threads.threads --input '{"fields": ["id", "media_type", "text", "timestamp"]}' |
  python3 -c 'import json,sys
for p in json.load(sys.stdin)["data"]:
    print("%s  %-15s %s  %s" % (p["timestamp"], p["media_type"], p["id"], p.get("text", "")))'
step "autohost invoke threads.replies --input '{\"id\": \"$first_id\"}'"
autohost invoke threads.replies --input "{\"id\": \"$first_id\", \"fields\": \"id,text\"}"
step "autohost invoke threads.publishing_limit"
autohost invoke threads.publishing_limit
step "what the sandbox counted: one publish per post, none twice"
control GET stats | python3 -c 'import json,sys; print("publishes:", json.load(sys.stdin)["publishes"]["total"])'
step "autohost invoke threads.post --input '{\"text\": \"\"}'   # errors: JSON on stderr, exit code per status"
set +e
autohost invoke threads.post --input '{"text": ""}'
echo "exit code: $?"
set -e
