#!/usr/bin/env bash
# RPC comparison (issue 17): requests/s and p50/p99 latency of a 100-byte request and reply at
# 1 and 64 requests in flight over loopback, for zmtp-rpc, zmtp REQ/REP, libzmq
# DEALER/ROUTER, HTTP/1.1 JSON (hyper) and gRPC (tonic), interleaved in the same run.
#
#   bench/rpc.sh                     3 interleaved reps, 0.5 s warm-up + 2 s per run (~2 min)
#   bench/rpc.sh --reps 1 --secs 0.5 --warmup 0.2   a smoke run (~20 s)
#   bench/rpc.sh --only rpc-zmtp-rpc,rpc-grpc --in-flight 64   a subset
#
# Needs libzmq3-dev (pkg-config) and taskset; installs libzmq3-dev with apt-get when missing
# and running as root. Results: bench/results/rpc-<date>.{md,csv}.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

# shellcheck source=bench/requirements.sh
. "$here/requirements.sh"
need_libzmq_and_taskset rpc.sh

echo "building the rpc peers and rpc-runner (bench workspace, release)..." >&2
bins=(rpc-runner rpc-zmtp-rpc rpc-zmtp-reqrep rpc-libzmq rpc-http rpc-grpc)
cargo build --release --quiet --manifest-path "$here/Cargo.toml" "${bins[@]/#/--bin=}"
peers="$(cargo metadata --format-version 1 --no-deps --manifest-path "$here/Cargo.toml" \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release"

RPC_COMMAND="bench/rpc.sh $*" exec "$peers/rpc-runner" --peers "$peers" --out "$here/results" "$@"
