#!/usr/bin/env bash
# Refresh vendored front-end assets from the npm registry (never a CDN at run time).
# Usage: scripts/vendor-assets.sh [htmx-version]
set -euo pipefail
version="${1:-2.0.11}"
dest="$(cd "$(dirname "$0")/.." && pwd)/src/tandem/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "htmx.org@${version}" >/dev/null && tar xzf htmx.org-*.tgz)
rm -f "$dest"/htmx-*.min.js
cp "$work/package/dist/htmx.min.js" "$dest/htmx-${version}.min.js"
cp "$work/package/LICENSE" "$dest/htmx-LICENSE.txt"
echo "vendored htmx ${version}; update the <script> tag in web/templates/base.html"
