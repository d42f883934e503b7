#!/usr/bin/env bash
# burst.sh — the bursts of issue 10 against the release binary with default flags.
#
#   1. builds target/release/entex and entex-load (skip with ENTEX_BURST_NO_BUILD=1);
#   2. for each burst — 200 concurrent Extract calls of 1 MB, then 1,000 of 64 KB,
#      each caller on its own connection — starts a fresh `entex serve` with default
#      flags on loopback, fires the burst (`entex-load --burst`), and checks:
#        - the server's peak RSS stays under the Deployment's memory limit
#          (resources.limits.memory in deploy/kubernetes/deployment.yaml);
#        - every admitted call succeeds (a refused one gets UNAVAILABLE, nothing else);
#        - refused calls are answered within 10 ms (p99, as the client measures it);
#        - one second after the burst, a 2 KiB call is back to its idle latency
#          (median of 20, at most twice the idle median plus 1 ms);
#   3. prints the figures and writes each burst's JSON to target/burst/.
# Runs every burst, then exits non-zero if any check failed. The figures go in
# docs/reliability.md.
#
# Usage: bash scripts/burst.sh            (from anywhere; ../shared/eval/seeds beside
#                                          the project holds the news articles sent)
#        ENTEX_BURST_ROUNDS=3 bash scripts/burst.sh   (repeat each burst, fresh server each time)
# Everything listens on 127.0.0.1 only; what it starts is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${CARGO_TARGET_DIR:-target}/release
OUT=${CARGO_TARGET_DIR:-target}/burst
ROUNDS=${ENTEX_BURST_ROUNDS:-1}
REFUSAL_MS=10     # refused calls answered within this (issue 10)
CLIENT_THREADS=2  # the client shares the machine's cores with the server

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# The pod's memory limit, e.g. "512Mi", in MiB.
limit=$(awk '/limits:/ { inside = 1 } inside && /memory:/ { print $2; exit }' deploy/kubernetes/deployment.yaml)
case $limit in
    *Mi) LIMIT_MIB=${limit%Mi} ;;
    *Gi) LIMIT_MIB=$(( ${limit%Gi} * 1024 )) ;;
    *) fail "cannot read resources.limits.memory from deploy/kubernetes/deployment.yaml (got: $limit)" ;;
esac

if [[ "${ENTEX_BURST_NO_BUILD:-}" != 1 ]]; then
    cargo build --release --quiet --bin entex --bin entex-load
fi
[[ -x $BIN/entex && -x $BIN/entex-load ]] || fail "no $BIN/entex or $BIN/entex-load"
mkdir -p "$OUT"

SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    fi
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() {
    local port log=$OUT/server-$1.log
    port=$(free_port)
    ADDR=127.0.0.1:$port
    METRICS=127.0.0.1:$(free_port)
    "$BIN/entex" serve --listen "$ADDR" --metrics-listen "$METRICS" --log-format json 2>"$log" &
    SERVER_PID=$!
    for _ in $(seq 200); do
        grep -q '"message":"serving"' "$log" 2>/dev/null && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited: $(tail -3 "$log")"
        sleep 0.05
    done
    fail "the server did not report serving"
}

stop_server() {
    kill "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# burst NAME CALLS BYTES
burst() {
    local name=$1 calls=$2 bytes=$3 json
    json=$OUT/$name.json
    start_server "$name"
    echo "=== $name: $calls concurrent Extract calls of $bytes bytes, server pid $SERVER_PID (default flags)"
    if ! "$BIN/entex-load" --addr "$ADDR" --server-pid "$SERVER_PID" --burst --concurrency "$calls" \
        --batch-bytes "$bytes" --client-threads "$CLIENT_THREADS" --json "$json"; then
        echo "FAIL: $name: an admitted call failed" >&2
        FAILED+=("$name")
        stop_server
        return
    fi
    curl -s "http://$METRICS/metrics" | grep -E '^entex_(admission_refused_total|memory_trims_total|abandoned_calls_total)' || true
    stop_server
    python3 - "$json" "$LIMIT_MIB" "$REFUSAL_MS" <<'EOF' || FAILED+=("$name")
import json, sys
report, limit_mib, refusal_ms = json.load(open(sys.argv[1])), float(sys.argv[2]), float(sys.argv[3])
rss = report["server_rss_bytes"]
peak_mib = rss["peak"] / 1048576
problems = []
if peak_mib >= limit_mib:
    problems.append(f"peak RSS {peak_mib:.0f} MiB is not under the {limit_mib:.0f} MiB limit")
if report["failed"]:
    problems.append(f"{report['failed']} admitted call(s) failed: {report['first_error']}")
if report["ok"] == 0:
    problems.append("no call was admitted")
# A refusal as a caller sees it: the burst's own callers share this client's
# two threads with a thousand others, so the caller of its own is the measure;
# the burst callers' figure is reported beside it.
refused = report["caller_during_burst"]["refused_latency_ms"]
burst_refused = report["refused_latency_ms"]
if refused and refused["p99"] > refusal_ms:
    problems.append(f"a caller's refused calls answered in {refused['p99']:.1f} ms at p99, over {refusal_ms:.0f} ms")
idle, after = report["probe_2kib_ms"]["before"]["p50"], report["probe_2kib_ms"]["after_1s"]["p50"]
if after > 2 * idle + 1:
    problems.append(f"a 2 KiB call takes {after:.2f} ms one second after the burst, {idle:.2f} ms idle")
print(f"verdict: peak RSS {peak_mib:.0f} MiB (limit {limit_mib:.0f}); {report['ok']} admitted, all ok;"
      f" {report['refused']} refused" + (f" (burst callers: p99 {burst_refused['p99']:.1f} ms)" if burst_refused else "")
      + (f"; a caller of its own refused {report['caller_during_burst']['refused']} times, p99 {refused['p99']:.2f} ms" if refused else "")
      + f"; 2 KiB call {idle:.2f} ms idle, {after:.2f} ms 1 s after; RSS 1 s after"
      f" {rss['after_1s'] / 1048576:.0f} MiB" + ("" if not problems else "\nFAIL: " + "; ".join(problems)))
sys.exit(1 if problems else 0)
EOF
}

FAILED=()
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo);" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg); memory limit ${LIMIT_MIB} MiB"
for round in $(seq "$ROUNDS"); do
    suffix=""
    ((ROUNDS > 1)) && suffix="-r$round"
    burst "200x1MB$suffix" 200 1000000
    burst "1000x64KB$suffix" 1000 65536
done
if ((${#FAILED[@]})); then
    fail "checks failed for: ${FAILED[*]}"
fi
echo "=== bursts: ok"
