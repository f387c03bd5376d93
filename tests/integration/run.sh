#!/bin/sh
# Integration tests: the real storegw with headless Chromium (README "Testing").
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && npm ci --no-audit --no-fund >/dev/null) || exit 1
fi
exec node "$here/run.js" "$@"
