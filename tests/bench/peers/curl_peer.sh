#!/usr/bin/env bash
# The curl peer.
#   curl_peer.sh reads   BASE CA TOKEN CALLS        one curl process, CALLS sequential GET /me
#                                                   on one keep-alive connection
#   curl_peer.sh refresh BASE CA TOKENS_FILE CONC   curl --parallel over every token's refresh
# Prints the HTTP status of each call, one per line, on stdout.
set -euo pipefail
mode=$1 base=$2 ca=$3
fields="id,username,name,threads_profile_picture_url,threads_biography,is_verified"
config=$(mktemp)
trap 'rm -f "$config"' EXIT
case "$mode" in
reads)
  token=$4 calls=$5
  for ((i = 0; i < calls; i++)); do
    printf 'url = "%s/v1.0/me?fields=%s"\noutput = "/dev/null"\n' "$base" "$fields"
  done >"$config"
  # The token stays out of the process list: header lines come from the config file.
  printf 'header = "Authorization: Bearer %s"\n' "$token" >>"$config"
  curl -sS --cacert "$ca" -w '%{http_code}\n' -K "$config"
  ;;
refresh)
  tokens=$4 conc=$5
  while read -r token; do
    printf 'url = "%s/refresh_access_token?grant_type=th_refresh_token&access_token=%s"\noutput = "/dev/null"\n' \
      "$base" "$token"
  done <"$tokens" >"$config"
  curl -sS --cacert "$ca" --parallel --parallel-max "$conc" -w '%{http_code}\n' -K "$config"
  ;;
*)
  echo "curl_peer.sh: unknown mode '$mode' (reads or refresh)" >&2
  exit 2
  ;;
esac
