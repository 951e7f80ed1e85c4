#!/usr/bin/env bash
# Type-checks and builds the portal into dist/ (served by the gateway at /) when its sources,
# its configuration or the lockfile changed since the last build. The check is a content hash
# of those files kept in dist/.source-hash, so it costs milliseconds when nothing changed.
# Used by ./hearth (before up, test, …) and by the portal's end-to-end test.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
stamp="$here/dist/.source-hash"
hash="$(cd "$here" && { find build-if-changed.sh index.html package.json tsconfig.json vite.config.ts src -type f -print0; printf '../../package-lock.json\0'; } \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ -f "$here/dist/index.html" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  exit 0
fi
printf '· building the portal (tsc, vite build)\n'
node "$root/node_modules/typescript/bin/tsc" -p "$here/tsconfig.json"
# NODE_ENV decides React's build: a caller's NODE_ENV=test (vitest) would ship the development one
(cd "$here" && NODE_ENV=production node "$root/node_modules/vite/bin/vite.js" build --logLevel warn)
echo "$hash" > "$stamp"
