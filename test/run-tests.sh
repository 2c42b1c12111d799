#!/usr/bin/env bash
# The whole suite: unit tests, then integration and end-to-end tests against a real Kafka broker
# and PostgreSQL (started or prepared here if needed). Ends with "N passed, N failed".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export VIGIL_DB="${VIGIL_DB:-vigil_test}"
export NODE_ENV=test

bash deploy/local/infra.sh up || { echo "infrastructure did not come up"; echo "0 passed, 1 failed"; exit 1; }

mkdir -p test-results
rm -f test-results/jest*.json
# --forceExit: once every suite has reported, a client still backing off (a KafkaJS reconnect timer
# of a suite whose broker was stopped on purpose) must not keep CI waiting; the results are written.
JEST=(npx jest --ci --runInBand --forceExit --json)
status=0
if [[ $# -gt 0 ]]; then
  # A selection of the caller's: one run, as asked.
  "${JEST[@]}" --outputFile=test-results/jest.json "$@" || status=$?
else
  # The whole suite in two runs side by side: the fault suites (test/faults: their own brokers and
  # PostgreSQL servers, mostly waiting out the outages they cause) beside everything else (the
  # shared broker and server). Each run is serial inside; the faults' output follows the rest's.
  "${JEST[@]}" --outputFile=test-results/jest-faults.json --testPathPattern 'test/faults/' >test-results/faults.log 2>&1 &
  faults=$!
  "${JEST[@]}" --outputFile=test-results/jest-main.json --testPathIgnorePatterns '/node_modules/' 'test/faults/' || status=$?
  wait "$faults" || status=$?
  cat test-results/faults.log
fi

read -r passed failed total suites_failed < <(node -e '
  const fs = require("fs");
  let p = 0, f = 0, t = 0, s = 0;
  for (const file of fs.readdirSync("test-results").filter((n) => /^jest.*\.json$/.test(n))) {
    const r = JSON.parse(fs.readFileSync(`test-results/${file}`, "utf8"));
    p += r.numPassedTests; f += r.numFailedTests; t += r.numTotalTests;
    s += r.numFailedTestSuites + (r.numRuntimeErrorTestSuites || 0);
  }
  console.log(p, f, t, s);
' 2>/dev/null || echo "0 0 0 0")
if [[ "$total" == 0 ]]; then echo "jest wrote no results"; status=1; fi
if [[ "$suites_failed" != 0 && "$failed" == 0 ]]; then failed=$suites_failed; fi
if [[ "$total" == 0 && "$failed" == 0 ]]; then failed=1; fi
echo "$passed passed, $failed failed"
if [[ $status != 0 || $failed != 0 ]]; then exit 1; fi
