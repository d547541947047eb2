#!/usr/bin/env bash
# Issue 12's scenario, as the report ran it: `zmtp send --type dealer --linger 5` feeds 108
# requests (seven small, one of 1 MiB, a hundred small, each behind the empty delimiter) to a
# libzmq REP (pyzmq) that answers each with `ack`; the DEALER never reads the answers. Runs it
# RUNS times (default 200), alternating which side binds, and counts runs where the REP got
# fewer than 108 requests or `zmtp send` did not exit 0.
#
#   bash tests/scenarios/close_scenario.sh [RUNS]      (needs pyzmq; builds zmtp in release,
#                                                       or runs $ZMTP_BIN)
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}
if [[ -n "${ZMTP_BIN:-}" ]]; then
  zmtp=$ZMTP_BIN   # another build to compare, e.g. one from before the fix
else
  cargo build --release --quiet -p zmtp-cli
  zmtp=target/release/zmtp
fi
here=tests/scenarios
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/input.txt" <<'PY'
import sys
lines = []
for i in range(7):
    lines.append("- 68656c6c6f 776f726c64" if i % 3 == 0 else "- 68656c6c6f")
lines.append("- " + ("ab" * (1 << 20)))
lines += ["- " + ("seq-%03d" % i).encode().hex() for i in range(100)]
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
lost=0
for run in $(seq "$runs"); do
  out="$work/rep.out"
  : > "$out"
  if (( run % 2 )); then
    python3 "$here/close_scenario_rep.py" bind - 108 > "$out" &
    rep=$!
    until grep -qE '^tcp://' "$out" 2>/dev/null; do sleep 0.01; done
    endpoint=$(head -1 "$out")
    side=--connect
  else
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    endpoint=tcp://127.0.0.1:$port
    python3 "$here/close_scenario_rep.py" connect "$endpoint" 108 > "$out" &
    rep=$!
    side=--bind
  fi
  rc=0
  "$zmtp" send --type dealer "$side" "$endpoint" --format hex --linger 5 --timeout 10 \
    < "$work/input.txt" 2> "$work/zmtp.err" || rc=$?
  wait "$rep"
  got=$(tail -1 "$out")
  if [[ "$got" != "received 108" || $rc -ne 0 ]]; then
    lost=$((lost + 1))
    echo "run $run ($side): REP $got, zmtp exit $rc: $(cat "$work/zmtp.err")"
  fi
done
echo "$runs runs, $lost with a loss or a failure"
[[ $lost -eq 0 ]]
