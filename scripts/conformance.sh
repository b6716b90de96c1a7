#!/usr/bin/env bash
# Runs the official MCP conformance suite against a real `userplane serve` on SQLite in a temporary
# directory:
#   1. the server scenarios against /mcp, with a real token through the OAuth flow and a small proxy
#      (scripts/conformance-proxy.ts) that adds it, since the suite itself speaks no OAuth;
#   2. the authorization-server scenarios (metadata, authorization code + PKCE + resource) against
#      our issuer, with scripts/conformance-authorization.ts completing the sign-in and consent
#      forms the suite would have a person complete in a browser.
#
# Scenarios listed in conformance/expected-failures.txt (one per line, each with a `# reason`) may
# fail; any other failure fails this script, and so does a listed scenario that passes (the list
# must stay honest: remove the line once the scenario passes). Needs the npm registry (npx).
# CONFORMANCE_RESULTS_DIR=<dir> keeps the suite's per-scenario checks.json there.
set -euo pipefail
cd "$(dirname "$0")/.."

# The newest published version (`npm view @modelcontextprotocol/conformance versions`); its default
# server suite is "active": every scenario of the latest dated revision (2025-11-25, the newest
# the MCP SDK we use speaks), without the 2026-07-28 draft's stateless-wire scenarios and pending ones.
VERSION="${CONFORMANCE_VERSION:-0.2.0-alpha.12}"
SUITE=(npx -y -p node@22 -p "@modelcontextprotocol/conformance@$VERSION" conformance)
EMAIL=conformance@example.com
PASSWORD='conformance password 0123456789'

work=$(mktemp -d "${TMPDIR:-/tmp}/userplane-conformance.XXXXXX")
server_pid=''
proxy_pid=''
cleanup() {
  for pid in $proxy_pid $server_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $proxy_pid $server_pid; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
base="http://127.0.0.1:$port"
unset DATABASE_URL
export DATA_DIR="$work/data" PORT="$port" HOST=127.0.0.1 PUBLIC_URL="$base" LOG_LEVEL=warn
export USERPLANE_SECRET='conformance-secret-conformance-secret-0123456789'
export API_RATE_LIMIT_PER_MINUTE=1000000 API_RATE_LIMIT_PER_DAY=1000000 SIGNIN_RATE_LIMIT_PER_MINUTE=1000

echo "--- conformance: seeding a user and a workspace"
node bin/userplane.js user create --email "$EMAIL" --password "$PASSWORD" --name Conformance >/dev/null
node bin/userplane.js workspace create --name Conformance --owner "$EMAIL" >/dev/null

echo "--- conformance: starting userplane on $base"
node bin/userplane.js serve >"$work/server.log" 2>&1 &
server_pid=$!
ready=''
for _ in $(seq 1 100); do
  if node -e "fetch('$base/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then ready=1; break; fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.3
done
if [ -z "$ready" ]; then
  echo "userplane did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

echo "--- conformance: token through the OAuth flow, proxy in front of /mcp"
node --import tsx scripts/conformance-proxy.ts --target "$base" --email "$EMAIL" --password "$PASSWORD" \
  >"$work/proxy.log" 2>&1 &
proxy_pid=$!
mcp_url=''
for _ in $(seq 1 100); do
  mcp_url=$(sed -n 's/^proxy listening //p' "$work/proxy.log")
  [ -n "$mcp_url" ] && break
  kill -0 "$proxy_pid" 2>/dev/null || break
  sleep 0.3
done
if [ -z "$mcp_url" ]; then
  echo "the proxy did not start:" >&2
  cat "$work/proxy.log" "$work/server.log" >&2
  exit 1
fi

# The suite's own baseline format: a YAML list of expected server failures.
baseline="$work/expected-failures.yml"
listed=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^[[:space:]]*$/d' -e 's/^[[:space:]]*/  - /' \
  conformance/expected-failures.txt)
if [ -n "$listed" ]; then printf 'server:\n%s\n' "$listed" >"$baseline"; else echo 'server: []' >"$baseline"; fi
echo "expected failures: $(grep -c '^  - ' "$baseline" || true) (conformance/expected-failures.txt)"
results="${CONFORMANCE_RESULTS_DIR:-$work/results}"

echo "--- conformance: ${SUITE[*]} server --url $mcp_url"
status=0
"${SUITE[@]}" server --url "$mcp_url" --expected-failures "$baseline" -o "$results" || status=$?
if [ "$status" -ne 0 ]; then
  echo "conformance FAILED (exit $status): a scenario not in conformance/expected-failures.txt failed," >&2
  echo "or a listed one now passes (remove its line). Server log:" >&2
  tail -n 50 "$work/server.log" >&2
  exit "$status"
fi
echo "conformance server suite passed"

echo "--- conformance: ${SUITE[*]} authorization --url $base"
callback_port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
status=0
node --import tsx scripts/conformance-authorization.ts --target "$base" --email "$EMAIL" --password "$PASSWORD" \
  --port "$callback_port" --output "$results/authorization" -- "${SUITE[@]}" || status=$?
if [ "$status" -ne 0 ]; then
  echo "conformance authorization suite FAILED (exit $status). Server log:" >&2
  tail -n 50 "$work/server.log" >&2
  exit "$status"
fi
echo "conformance passed"
