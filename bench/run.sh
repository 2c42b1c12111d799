#!/usr/bin/env bash
# npm run bench [name...]: runs bench/<name>.bench.ts (all of them by default) against the real
# Kafka and PostgreSQL, each writing its results to bench/results/<name>.md (committed, dated).
# Benchmarks are never part of npm test: figures on a shared 2-core machine drift, so each one
# measures its own ceiling in the same run and reports the ratio.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export VIGIL_DB="${VIGIL_DB:-vigil_bench}"
# The benches run on test.* topics with their own consumer groups, as the integration suite does:
# provisioning without the test prefix would remove those ACLs (and break a suite running beside).
NODE_ENV=test bash deploy/local/infra.sh up
names=("$@")
if [[ ${#names[@]} == 0 ]]; then
  for f in bench/*.bench.ts; do [[ -e $f ]] && names+=("$(basename "$f" .bench.ts)"); done
fi
for name in "${names[@]}"; do
  echo "[bench] $name" >&2
  node --expose-gc -r ./tools/ts-register.js "bench/$name.bench.ts"
done
# One report over every result present (this run's and earlier ones'): bench/results/REPORT.md.
node -r ./tools/ts-register.js bench/report.ts
