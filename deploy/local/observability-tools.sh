#!/usr/bin/env bash
# Makes sure promtool, prometheus, amtool and alertmanager (or Debian's prometheus-alertmanager) are on PATH (the alert-rule tests, the
# dashboard query check and the alerting end-to-end test need them). Where one is missing it is
# installed from Debian's packages (prometheus 2.42, prometheus-alertmanager 0.25), which needs
# root and apt, as in CI. Prints what it did; exits non-zero naming what is still missing.
#
#   deploy/local/observability-tools.sh          install where missing
#   deploy/local/observability-tools.sh check    only report
set -euo pipefail
log() { printf '[observability-tools] %s\n' "$*" >&2; }

missing() {
  local out=()
  for bin in promtool prometheus amtool; do command -v "$bin" >/dev/null || out+=("$bin"); done
  # Debian names the binary prometheus-alertmanager; upstream tarballs name it alertmanager.
  command -v alertmanager >/dev/null || command -v prometheus-alertmanager >/dev/null || out+=(alertmanager)
  echo "${out[*]:-}"
}

gone="$(missing)"
if [[ -z "$gone" ]]; then
  [[ "${1:-}" == check ]] && log "all present: $(promtool --version 2>&1 | head -1)"
  exit 0
fi
if [[ "${1:-}" == check ]]; then log "missing: $gone"; exit 1; fi

if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
  log "missing: $gone; install Debian's prometheus and prometheus-alertmanager packages (needs root and apt-get)"
  exit 1
fi
log "installing prometheus and prometheus-alertmanager from Debian (missing: $gone)"
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the packages' own services from starting: the tests start what they need.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager >/dev/null
[[ $created_policy == 1 ]] && rm -f "$policy"
gone="$(missing)"
if [[ -n "$gone" ]]; then log "still missing after install: $gone"; exit 1; fi
log "installed: $(promtool --version 2>&1 | head -1); $(amtool --version 2>&1 | head -1)"
