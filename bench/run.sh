#!/usr/bin/env bash
# Builds zmtp (`zmtp perf`) and the comparison peers in release mode, then runs the suite.
#
#   bench/run.sh            full run (~5 min): 5 interleaved reps per cell
#   bench/run.sh --quick    smoke test (~1-2 min): 1 rep, short runs
#   bench/run.sh --help     runner options (--reps, --secs, --tests, --only, --zmtp-runtime)
#   ZMTP_BIN=path bench/run.sh   use a prebuilt `zmtp` instead of building the main workspace
#
# Needs libzmq3-dev (pkg-config), GNU time and taskset; installs the first two with apt-get
# when missing and running as root. Results: bench/results/<date>[-quick].{md,svg,csv}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"

missing=()
[ -x /usr/bin/time ] || missing+=(time)
pkg-config --exists libzmq 2>/dev/null || missing+=(libzmq3-dev pkg-config)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "run.sh: please install: ${missing[*]}" >&2
    exit 1
  fi
fi
command -v taskset >/dev/null || { echo "run.sh: taskset (util-linux) is missing" >&2; exit 1; }

if [ -n "${ZMTP_BIN:-}" ]; then
  zmtp_bin="$ZMTP_BIN"   # a prebuilt `zmtp` (e.g. of another commit) instead of building one
else
  echo "building zmtp perf (main workspace, release)..." >&2
  cargo build --release --quiet --manifest-path "$root/Cargo.toml" -p zmtp-cli --bin zmtp
  zmtp_bin="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/zmtp"
fi
echo "building comparison peers and runner (bench workspace, release)..." >&2
cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bins
peers="$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release"

if pgrep -f "fuzz run" >/dev/null; then
  echo "run.sh: warning: a fuzzing campaign is running; numbers will be disturbed" >&2
fi
exec "$peers/runner" --zmtp "$zmtp_bin" --peers "$peers" "$@"
