#!/usr/bin/env bash
# Refresh vendored assets from the npm registry (never a CDN at run time).
# Usage: scripts/vendor-assets.sh [htmx-version] [dejavu-version]
# (Swagger UI for the API docs comes from the fastapi-offline package, a dependency.)
set -euo pipefail
htmx_version="${1:-2.0.11}"
dejavu_version="${2:-2.37.3}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/src/tandem/web/static/vendor"
fonts="$root/src/tandem/careplans/fonts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir "$work/htmx"
(cd "$work/htmx" && npm pack --loglevel=error "htmx.org@${htmx_version}" >/dev/null && tar xzf htmx.org-*.tgz)
rm -f "$dest"/htmx-*.min.js
cp "$work/htmx/package/dist/htmx.min.js" "$dest/htmx-${htmx_version}.min.js"
cp "$work/htmx/package/LICENSE" "$dest/htmx-LICENSE.txt"
echo "vendored htmx ${htmx_version}; update the <script> tag in web/templates/base.html"

# The printed care plan's typeface (the PDF embeds the glyphs it uses): DejaVu Sans covers the
# Latin, Vietnamese, Greek and Cyrillic letters of patients' and staff's names.
mkdir "$work/dejavu"
(cd "$work/dejavu" && npm pack --loglevel=error "dejavu-fonts-ttf@${dejavu_version}" >/dev/null && tar xzf dejavu-fonts-ttf-*.tgz)
mkdir -p "$fonts"
cp "$work/dejavu/package/ttf/DejaVuSans.ttf" "$work/dejavu/package/ttf/DejaVuSans-Bold.ttf" "$fonts/"
cp "$work/dejavu/package/LICENSE" "$fonts/DejaVu-LICENSE.txt"
echo "vendored DejaVu Sans ${dejavu_version} into src/tandem/careplans/fonts"
