#!/usr/bin/env bash
# Refresh vendored front-end assets from the npm registry (never a CDN at run time).
# Usage: scripts/vendor-assets.sh [htmx-version] [swagger-ui-version]
set -euo pipefail
htmx_version="${1:-2.0.11}"
swagger_version="${2:-5.35.0}"
dest="$(cd "$(dirname "$0")/.." && pwd)/src/tandem/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mkdir "$work/htmx" "$work/swagger-ui"
(cd "$work/htmx" && npm pack --loglevel=error "htmx.org@${htmx_version}" >/dev/null && tar xzf htmx.org-*.tgz)
rm -f "$dest"/htmx-*.min.js
cp "$work/htmx/package/dist/htmx.min.js" "$dest/htmx-${htmx_version}.min.js"
cp "$work/htmx/package/LICENSE" "$dest/htmx-LICENSE.txt"
echo "vendored htmx ${htmx_version}; update the <script> tag in web/templates/base.html"

# The API docs page (/api/v1/docs): the bundle and its stylesheet only, with the licence, the
# NOTICE that Apache-2.0 asks to keep and the bundle's third-party licences. No source maps:
# their sourceMappingURL comments are dropped so that developer tools do not ask for them.
(cd "$work/swagger-ui" && npm pack --loglevel=error "swagger-ui-dist@${swagger_version}" >/dev/null \
  && tar xzf swagger-ui-dist-*.tgz)
src="$work/swagger-ui/package"
rm -rf "$dest"/swagger-ui-*/
mkdir "$dest/swagger-ui-${swagger_version}"
for file in swagger-ui-bundle.js swagger-ui.css; do
  sed -e '/^\/\/# sourceMappingURL=/d' -e '/^\/\*# sourceMappingURL=.*\*\/$/d' "$src/$file" \
    >"$dest/swagger-ui-${swagger_version}/$file"
done
cp "$src/swagger-ui-bundle.js.LICENSE.txt" "$dest/swagger-ui-${swagger_version}/"
cp "$src/LICENSE" "$dest/swagger-ui-${swagger_version}/LICENSE.txt"
cp "$src/NOTICE" "$dest/swagger-ui-${swagger_version}/NOTICE.txt"
echo "vendored swagger-ui-dist ${swagger_version}; update SWAGGER_UI in src/tandem/web/api_docs.py"
