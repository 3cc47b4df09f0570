#!/usr/bin/env bash
# Runs every test: unit, integration (a real redis-server), end-to-end (the real processes
# through the gateway) and the deployment checks. Ends with "N passed, N failed".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib.sh"
results="$root/.run/test-results"

ensure_dotnet || exit 1
ensure_redis || exit 1
ensure_aiosmtpd || exit 1
if [ -f "$root/tests/deploy/package.json" ]; then
  (cd "$root/tests/deploy" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "npm ci failed in tests/deploy"; echo "0 passed, 1 failed"; exit 1; }
fi

rm -rf "$results"
if ! dotnet build "$root/Disputes.slnx" -c Release -nologo -v quiet -clp:ErrorsOnly; then
  echo "The build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

# One test assembly at a time: the end-to-end tests start nine processes on two cores.
dotnet test "$root/Disputes.slnx" -c Release --no-build -m:1 --logger "trx" --results-directory "$results" "$@"
status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
exit "$status"
