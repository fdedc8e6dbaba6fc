#!/usr/bin/env bash
# Installs what autohost needs to build and test on Debian 12 (idempotent; needs root or sudo).
# Extra arguments are more packages to install (tests/fuzz/run.sh adds clang's).
set -euo pipefail
packages=(
  build-essential meson ninja-build pkg-config cmake python3 curl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libboost-program-options1.81-dev libboost-filesystem1.81-dev
  libssl-dev libsqlite3-dev libsodium-dev libhowardhinnant-date-dev tzdata
  libpq-dev postgresql-15 openssl iproute2
  help2man prometheus zsh
  libsystemd-dev systemd
  "$@"
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >/dev/null
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
