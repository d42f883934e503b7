#!/usr/bin/env bash
# soak.sh — 30 minutes of mixed traffic against the release binary (issue 10).
#
#   1. builds target/release/entex and entex-load (skip with ENTEX_SOAK_NO_BUILD=1);
#   2. starts `entex serve` with default flags plus the ConfigMap's dictionary file
#      (deploy/kubernetes/configmap-dictionary.yaml), as the Deployment runs it;
#   3. runs, side by side for ENTEX_SOAK_SECONDS (1800), at fixed rates:
#        Extract batches of 64 KiB, Extract single 2 KiB documents,
#        ExtractStream of 64 KiB (one document per message), Normalize of 16 names,
#      each an `entex-load --report-every 60` (one JSON line a minute: requests,
#      refusals, failures, p50/p99/max), and a dictionary reload (SIGHUP) every
#      minute;
#   4. samples the server's RSS just before each reload (a reload briefly holds two
#      dictionaries; between reloads the build's garbage has been returned);
#   5. checks: no failed or refused call; every reload succeeded; RSS flat within 5 %
#      over the second half of the run (max/min of its per-minute samples: glibc's
#      arenas settle over the first minutes, measured as one step at minute 12, while
#      a leak grows all along and shows in the second half too); p99 steady (the
#      median per-minute p99 of the last 10 minutes at most 1.5 times that of
#      minutes 6-15, per kind of call); prints the figures and writes them to
#      target/soak/summary.json.
#
# Usage: bash scripts/soak.sh             (from anywhere; needs ../shared/eval/seeds)
#        ENTEX_SOAK_SECONDS=300 bash scripts/soak.sh   (a shorter run: the checks that need
#                                                        more minutes are reported as skipped)
#        ENTEX_SOAK_ANALYSE=DIR bash scripts/soak.sh   (only the checks, on a run's files in DIR)
# Everything listens on 127.0.0.1 only; what it starts is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${CARGO_TARGET_DIR:-target}/release
OUT=${CARGO_TARGET_DIR:-target}/soak
SECONDS_TOTAL=${ENTEX_SOAK_SECONDS:-1800}
RELOAD_EVERY=60
# Rates (requests/s) and callers per kind: together about a tenth of what the
# two workers of this machine can match (docs/benchmarks.md), so the run
# measures leaks and drift, not saturation, and stays under the budgets.
LOADS=(
    "batch    --mode batch --batch-bytes 65536 --concurrency 2 --rate 20"
    "single   --mode single --doc-bytes 2048 --concurrency 2 --rate 100"
    "stream   --mode stream --batch-bytes 65536 --concurrency 1 --rate 4"
    "normalize --mode normalize --names 16 --concurrency 2 --rate 50"
)

fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

analyse() {
    python3 - "$1" "$2" "$3" "$4" <<'EOF'
import csv, json, statistics, sys
out, reloads, hwm_kib, load_failed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
kinds = ["batch", "single", "stream", "normalize"]
summary, problems = {"reloads_sent": reloads, "peak_rss_mib": round(hwm_kib / 1024, 1)}, []

metrics = open(f"{out}/metrics.txt").read().splitlines()
def metric(name):
    return sum(float(l.rsplit(" ", 1)[1]) for l in metrics if l.startswith(name))
summary["reloads_succeeded"] = int(metric('entex_dictionary_reloads_total{result="success"}'))
summary["reloads_failed"] = int(metric('entex_dictionary_reloads_total{result="failure"}'))
if summary["reloads_succeeded"] != reloads or summary["reloads_failed"]:
    problems.append(f"{reloads} reloads sent, {summary['reloads_succeeded']} succeeded, {summary['reloads_failed']} failed")

rss = [(int(r["t_s"]), int(r["rss_kib"])) for r in csv.DictReader(open(f"{out}/rss.csv"))]
mib = lambda kib: round(kib / 1024, 1)
summary["rss_mib"] = {"start": mib(rss[0][1]), "end": mib(rss[-1][1]), "per_minute": [mib(k) for _, k in rss]}
after5 = [kib for t, kib in rss if t >= 300]
if after5:
    summary["rss_mib"]["from_minute_5"] = {"min": mib(min(after5)), "max": mib(max(after5)),
                                           "spread_pct": round((max(after5) / min(after5) - 1) * 100, 1)}
half = [kib for t, kib in rss if t >= rss[-1][0] / 2]
if rss[-1][0] >= 600 and len(half) >= 2:
    low, high = min(half), max(half)
    summary["rss_mib"]["second_half"] = {"min": mib(low), "max": mib(high),
                                         "spread_pct": round((high / low - 1) * 100, 1)}
    if high > low * 1.05:
        problems.append(f"RSS not flat over the second half: {low / 1024:.1f}-{high / 1024:.1f} MiB")
else:
    summary["rss_mib"]["flat"] = "skipped: under 10 minutes"

for kind in kinds:
    report = json.load(open(f"{out}/{kind}.json"))
    minutes = [json.loads(l) for l in open(f"{out}/{kind}.jsonl") if l.startswith("{")]
    p99 = [m["latency_ms"]["p99"] for m in minutes]
    entry = {"requests": report["requests"], "refused": report["refused"], "failed": report["failed"],
             "requests_per_s": round(report["requests_per_s"], 1), "p50_ms": report["latency_ms"]["p50"],
             "p99_ms": report["latency_ms"]["p99"], "max_ms": report["latency_ms"]["max"],
             "p99_per_minute_ms": p99}
    if report["refused"] or report["failed"]:
        problems.append(f"{kind}: {report['refused']} refused, {report['failed']} failed")
    # Minutes 6-15 against the last 10.
    if len(p99) >= 25:
        early, late = statistics.median(p99[5:15]), statistics.median(p99[-10:])
        entry["p99_median_ms"] = {"minutes_6_15": early, "last_10": late}
        if late > 1.5 * early:
            problems.append(f"{kind}: p99 grew from {early:.2f} ms to {late:.2f} ms")
    summary[kind] = entry
if load_failed:
    problems.append("an entex-load run failed (see target/soak/*.err)")
summary["problems"] = problems
json.dump(summary, open(f"{out}/summary.json", "w"), indent=2)
print(json.dumps(summary, indent=2))
print("soak: ok" if not problems else "FAIL: " + "; ".join(problems))
sys.exit(1 if problems else 0)
EOF
}
if [[ -n "${ENTEX_SOAK_ANALYSE:-}" ]]; then
    dir=$ENTEX_SOAK_ANALYSE
    analyse "$dir" "$(cat "$dir/reloads_sent")" "$(cat "$dir/hwm_kib")" 0
    exit
fi

if [[ "${ENTEX_SOAK_NO_BUILD:-}" != 1 ]]; then
    cargo build --release --quiet --bin entex --bin entex-load
fi
[[ -x $BIN/entex && -x $BIN/entex-load ]] || fail "no $BIN/entex or $BIN/entex-load"
rm -rf "$OUT"
mkdir -p "$OUT"

SERVER_PID=""
LOAD_PIDS=()
cleanup() {
    for pid in "${LOAD_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    fi
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The ConfigMap's `extra.toml: |` block, unindented: the file the pods load.
python3 - deploy/kubernetes/configmap-dictionary.yaml >"$OUT/extra.toml" <<'EOF'
import sys
out, inside = [], False
for line in open(sys.argv[1]).read().splitlines():
    if inside:
        if line.strip() and not line.startswith("    "):
            break
        out.append(line[4:])
    elif line.strip() == "extra.toml: |":
        inside = True
if not out:
    sys.exit("no `extra.toml: |` block")
print("\n".join(out).rstrip())
EOF

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ADDR=127.0.0.1:$(free_port)
METRICS=127.0.0.1:$(free_port)
"$BIN/entex" serve --listen "$ADDR" --metrics-listen "$METRICS" --dictionary "$OUT/extra.toml" \
    --log-format json 2>"$OUT/server.log" &
SERVER_PID=$!
for _ in $(seq 200); do
    grep -q '"message":"serving"' "$OUT/server.log" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || fail "the server exited: $(tail -3 "$OUT/server.log")"
    sleep 0.05
done
grep -q '"message":"serving"' "$OUT/server.log" || fail "the server did not report serving"
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg); server pid $SERVER_PID on $ADDR;" \
    "$SECONDS_TOTAL s of mixed traffic, a reload every $RELOAD_EVERY s"
for load in "${LOADS[@]}"; do
    read -r name args <<<"$load"
    # shellcheck disable=SC2086  # the arguments are words on purpose
    "$BIN/entex-load" --addr "$ADDR" --duration "$SECONDS_TOTAL" --warmup 0 --report-every 60 \
        --json "$OUT/$name.json" $args >"$OUT/$name.jsonl" 2>"$OUT/$name.err" &
    LOAD_PIDS+=($!)
done

start=$(date +%s)
echo "t_s,rss_kib" >"$OUT/rss.csv"
echo "0,$(rss_kib)" >>"$OUT/rss.csv"
reloads=0
while (($(date +%s) - start + RELOAD_EVERY <= SECONDS_TOTAL)); do
    sleep "$RELOAD_EVERY"
    echo "$(($(date +%s) - start)),$(rss_kib)" >>"$OUT/rss.csv"
    kill -HUP "$SERVER_PID"
    reloads=$((reloads + 1))
    printf '%s min: rss %s KiB, reload %s\n' "$(( ($(date +%s) - start) / 60 ))" "$(tail -1 "$OUT/rss.csv" | cut -d, -f2)" "$reloads"
done
load_failed=0
for pid in "${LOAD_PIDS[@]}"; do wait "$pid" || load_failed=1; done
LOAD_PIDS=()
echo "$(($(date +%s) - start)),$(rss_kib)" >>"$OUT/rss.csv"
curl -s "http://$METRICS/metrics" >"$OUT/metrics.txt"
hwm_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status")

echo "$reloads" >"$OUT/reloads_sent"
echo "$hwm_kib" >"$OUT/hwm_kib"
analyse "$OUT" "$reloads" "$hwm_kib" "$load_failed"
