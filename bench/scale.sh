#!/usr/bin/env bash
# Scaling benchmark, zmtp vs libzmq in the same run: ROUTER echo with N DEALERs, PUB with N
# SUBs (flat out and paced), RSS per idle connection. Builds the `scale` binary in release
# mode and runs every case.
#
#   bench/scale.sh            full run (~4 min on 2 cores): 3 interleaved reps per cell
#   bench/scale.sh --quick    smoke run (~20 s): N up to 100, 0.5 s windows, 1 rep
#   bench/scale.sh --help     all options (--reps, --secs, --cases, --only, --echo-n, ...)
#
# Needs libzmq3-dev (pkg-config) and taskset; installs libzmq3-dev with apt-get when missing
# and running as root. Results: bench/results/<date>-scale[-quick].{md,csv}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# shellcheck source=bench/requirements.sh
. "$here/requirements.sh"
need_libzmq_and_taskset scale.sh

# 10,000 idle connections: the client and the server each hold 10,000 descriptors. Every
# process also raises its own soft limit to the hard limit.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building scale (bench workspace, release)..." >&2
cargo build --release --quiet --manifest-path "$here/Cargo.toml" --bin scale
bin="$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/scale"

if pgrep -f "fuzz run" >/dev/null; then
  echo "scale.sh: warning: a fuzzing campaign is running; numbers will be disturbed" >&2
fi
exec "$bin" --out "$here/results" --cmdline "bench/scale.sh${*:+ $*}" "$@"
