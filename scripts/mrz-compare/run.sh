#!/usr/bin/env bash
# Compares checkpost's MRZ parser with the npm package mrz 5.0.2 on the
# same generated corpus: throughput and agreement on valid/invalid, with
# every class of disagreement counted and explained.
# Usage: scripts/mrz-compare/run.sh [-n ZONES] [-seed N] [-rounds N]
# Needs node and npm; the package is installed into a temporary folder
# that is removed at the end (nothing is added to the repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v node >/dev/null || { echo "mrz-compare: node is not installed (apt-get install nodejs npm)" >&2; exit 2; }
command -v npm >/dev/null || { echo "mrz-compare: npm is not installed (apt-get install npm)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "mrz-compare: installing mrz@5.0.2 into $tmp" >&2
npm install --prefix "$tmp" --no-audit --no-fund --silent mrz@5.0.2 >&2
go run ./scripts/mrz-compare -dir "$tmp" "$@"
