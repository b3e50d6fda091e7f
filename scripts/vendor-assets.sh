#!/usr/bin/env bash
# Refresh vendored front-end assets from the npm registry (never a CDN at run time).
# Usage: scripts/vendor-assets.sh [htmx-version]
# (Swagger UI for the API docs comes from the fastapi-offline package, a dependency.)
set -euo pipefail
htmx_version="${1:-2.0.11}"
dest="$(cd "$(dirname "$0")/.." && pwd)/src/tandem/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir "$work/htmx"
(cd "$work/htmx" && npm pack --loglevel=error "htmx.org@${htmx_version}" >/dev/null && tar xzf htmx.org-*.tgz)
rm -f "$dest"/htmx-*.min.js
cp "$work/htmx/package/dist/htmx.min.js" "$dest/htmx-${htmx_version}.min.js"
cp "$work/htmx/package/LICENSE" "$dest/htmx-LICENSE.txt"
echo "vendored htmx ${htmx_version}; update the <script> tag in web/templates/base.html"

