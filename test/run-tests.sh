#!/usr/bin/env bash
# The whole suite: unit tests, then integration and end-to-end tests against a real Kafka broker
# and PostgreSQL (started or prepared here if needed). Ends with "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export VIGIL_DB="${VIGIL_DB:-vigil_test}"
export NODE_ENV=test

bash deploy/local/infra.sh up || { echo "infrastructure did not come up"; echo "0 passed, 1 failed"; exit 1; }
# promtool, amtool, Prometheus and Alertmanager for the operations-pack tests (installed from
# Debian's packages where missing).
bash deploy/local/observability-tools.sh || { echo "promtool/amtool/prometheus/alertmanager missing"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p test-results
RESULTS=test-results/jest.json
rm -f "$RESULTS"
# --forceExit: once every suite has reported, a client still backing off (a KafkaJS reconnect timer
# of a suite whose broker was stopped on purpose) must not keep CI waiting; the results are written.
# Two workers: most suites wait on the broker, windows and restarts rather than on a core, so two at
# a time halve the wall time on a 2-core machine (2,069 s of suites in 1,038 s); every suite has its
# own topics, schemas, ports and fault servers. JEST_WORKERS=1 runs them one by one.
npx jest --ci --maxWorkers="${JEST_WORKERS:-2}" --forceExit --json --outputFile="$RESULTS" "$@"
status=$?

if [[ ! -s "$RESULTS" ]]; then
  echo "jest wrote no results"
  echo "0 passed, 1 failed"
  exit 1
fi
read -r passed failed total suites_failed < <(node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(r.numPassedTests, r.numFailedTests, r.numTotalTests, r.numFailedTestSuites + (r.numRuntimeErrorTestSuites || 0));
' "$RESULTS")
if [[ "$total" == 0 ]]; then echo "no test ran"; status=1; fi
if [[ "$suites_failed" != 0 && "$failed" == 0 ]]; then failed=$suites_failed; fi
echo "$passed passed, $failed failed"
if [[ $status != 0 || $failed != 0 ]]; then exit 1; fi
