#!/usr/bin/env bash
# Installs Node.js 24 from the npm registry (package node@24, into /usr/local) when the node on
# PATH is older than 22.18. Idempotent; prints the node version in use.
set -euo pipefail
want_major=24
current=$(node -p 'process.versions.node' 2>/dev/null || echo 0.0.0)
major=${current%%.*}
minor=$(echo "$current" | cut -d. -f2)
if [ "$major" -lt 22 ] || { [ "$major" -eq 22 ] && [ "$minor" -lt 18 ]; }; then
  echo "ensure-node: node $current is too old; installing node@$want_major into /usr/local" >&2
  npm install -g --prefix /usr/local --allow-scripts=node "node@$want_major" >&2 ||
    npm install -g --prefix /usr/local "node@$want_major" >&2
  hash -r
fi
node_bin=$(command -v node)
echo "ensure-node: using $node_bin $(node --version)" >&2
