#!/usr/bin/env bash
# Runs every fuzz target of the module for a short time each (default 10s).
# Usage: scripts/fuzz.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}
n=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)\(' "$file" | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/'); do
    echo "fuzz: ./$dir $target ($time)" >&2
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time" "./$dir"
    n=$((n + 1))
  done
done < <(grep -rlE '^func Fuzz' --include='*_test.go' . | sed 's|^\./||' | sort)
echo "fuzz: $n targets ran for $time each" >&2
