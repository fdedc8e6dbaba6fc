#!/usr/bin/env bash
# The plugin exports exactly its ABI entry point: nothing else may leak into a host.
set -euo pipefail
nm_bin=$1
plugin=$2
exported=$("$nm_bin" -D --defined-only "$plugin" | awk '{print $3}' | sort)
if [ "$exported" != "autohost_plugin_entry" ]; then
  echo "expected only autohost_plugin_entry to be exported from $plugin, got:" >&2
  echo "$exported" >&2
  exit 1
fi
echo "only autohost_plugin_entry is exported"
