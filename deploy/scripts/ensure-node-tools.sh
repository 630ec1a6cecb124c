#!/usr/bin/env bash
# Makes sure the Node.js tools of a tools/ directory are installed, exactly
# as its package-lock.json pins them, before make uses them:
#   1. node_modules was installed from this package-lock.json -> use it;
#   2. Node.js 18 or later is there   -> npm ci (no install scripts);
#   3. Debian or Ubuntu (apt-get)     -> install nodejs and npm, then npm ci;
# and fails with a clear message when none of that works.
# Usage: ensure-node-tools.sh tools/asyncapi/validate
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR="$ROOT/${1:?usage: ensure-node-tools.sh <tools directory>}"
STAMP="$DIR/node_modules/.installed-from-lock"

say() { echo "deps: $*" >&2; }

sudo_cmd() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

node_ok() {
	command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
		[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 18 ]
}

lock_sum() { sha256sum "$DIR/package-lock.json" | cut -d' ' -f1; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(lock_sum)" ]; then
	exit 0
fi

if ! node_ok; then
	if command -v apt-get >/dev/null 2>&1; then
		say "installing nodejs and npm (Debian packages)"
		sudo_cmd apt-get update -qq
		sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
	fi
	if ! node_ok; then
		say "Node.js 18 or later and npm are needed for ${1}; install them and run make again."
		exit 1
	fi
fi

# --ignore-scripts: nothing these tools need runs at install time, and it
# keeps puppeteer (a dependency of the HTML template, used only for PDFs)
# from downloading a browser.
say "installing the Node.js tools of ${1} (npm ci)"
(cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
lock_sum >"$STAMP"
