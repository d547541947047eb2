#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600), one after another on one core, and
# appends libFuzzer's final statistics and the CPU time used (GNU time) to campaign.log. Needs
# nightly and cargo-fuzz.
#   bash fuzz/run_campaign.sh [SECONDS] [TARGET...]
set -u
cd "$(dirname "$0")"
secs=${1:-600}; shift || true
targets=${*:-"frame_decoder greeting server_connection client_connection plain_server plain_client curve_server curve_client"}
for t in $targets; do
  echo "=== $t ${secs}s $(date -u +%FT%TZ)" >> campaign.log
  cargo +nightly fuzz build "$t" > /dev/null 2>&1
  /usr/bin/time -f "cpu: %U s user, %S s sys, %e s wall" -a -o campaign.log \
    cargo +nightly fuzz run "$t" -- -max_total_time="$secs" -max_len=4096 -rss_limit_mb=1024 -print_final_stats=1 \
    > "/tmp/fuzz-$t.log" 2>&1
  echo "exit $?" >> campaign.log
  grep -E "^(#[0-9]+\s+DONE|Done [0-9]+ runs|==[0-9]+==|SUMMARY|artifact_prefix|Test unit written)" "/tmp/fuzz-$t.log" | tail -5 >> campaign.log
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "/tmp/fuzz-$t.log" >> campaign.log
  tail -3 "/tmp/fuzz-$t.log" | grep -E "cov:" >> campaign.log
done
