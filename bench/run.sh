#!/usr/bin/env bash
# bench/run.sh: runs the whole performance harness of issue #4 and writes
# docs/benchmarks.md (see bench/README.md).
#
#   1. builds the benches and the release binaries (entex, entex-load);
#   2. generates the large dictionary if it is missing (bench/gen_large_dictionary.py);
#   3. validates it with `entex check`, and compiles it once with
#      `entex compile` into a precompiled artefact (time, max RSS, size);
#   4. runs the criterion engine benches (engine, raw reference, scan, fold)
#      and the large-dictionary build/memory/artefact bench;
#   5. runs `entex serve` with 1 and 2 worker threads under entex-load (batch
#      and single modes, a closed-loop peak and a fixed rate at 80 % of it),
#      once with the large dictionary from its source files (cold start, RSS,
#      batch throughput), and ENTEX_BENCH_COLD_STARTS times from its compiled
#      artefact (`serve --compiled`: cold start to SERVING, RSS);
#   6. issue 11 and issue 9: builds the shared news-like corpus when missing
#      (bench/corpus.sh) and the 1M-entity catalogue (bench/gen_catalogue.py);
#      times `entex check` and `entex compile` of the catalogue from JSONL and
#      from CSV (wall, CPU, peak RSS); runs benches/corpus.rs (the engine
#      over the corpus against the DFA reference, with the default, domain
#      and catalogue dictionaries); serves the corpus in 64 KB batches and
#      single 2 KB documents; serves the compiled catalogue
#      ENTEX_BENCH_COLD_STARTS times (cold start, RssAnon/RssFile);
#   7. writes docs/benchmarks.md (bench/report.py).
#
# Every server listens on 127.0.0.1 only and every load run is bounded in time.
# Takes about 15 minutes on 2 cores (plus the build). Knobs (environment):
#   ENTEX_BENCH_MEASURE_SECS  criterion measurement seconds per benchmark (2)
#   ENTEX_BENCH_WARMUP_SECS   criterion warm-up seconds (1)
#   ENTEX_BENCH_LOAD_SECS     measured seconds per load run (10)
#   ENTEX_BENCH_PORT          first loopback port for the servers (20871)
#   ENTEX_BENCH_SEEDS         seed articles (../shared/eval/seeds)
#   ENTEX_BENCH_LARGE_DIR     large dictionary directory (target/bench-data/large)
#   ENTEX_BENCH_COLD_STARTS   cold starts of `serve --compiled` to measure (3)
#   ENTEX_BENCH_NEWS_DIR      the shared corpus and its dictionaries (target/bench-data/news;
#                             made by bench/corpus.sh when missing)
#   ENTEX_BENCH_DERIVED_DIR   the derived texts (prose, non-ASCII; default ENTEX_BENCH_NEWS_DIR)
#   ENTEX_BENCH_CATALOGUE_DIR the catalogue (target/bench-data/catalogue; made when missing)
#   ENTEX_BENCH_PASSES        passes of benches/corpus.rs per measurement (5)
#   ENTEX_BENCH_SKIP_CORPUS=1 reuse the last benches/corpus.rs results
#   ENTEX_BENCH_SKIP_SCALE=1  reuse the last catalogue check/compile timings (keeps the artefact)
#   ENTEX_BENCH_SKIP_CRITERION=1  reuse the last criterion and dictionary results
#   ENTEX_BENCH_SKIP_PROFILE=1    reuse the last perf profiles
#   CARGO_TARGET_DIR          as usual
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$TARGET_DIR/release
OUT=$TARGET_DIR/bench-results
export CRITERION_HOME=$OUT/criterion
export ENTEX_BENCH_SEEDS=${ENTEX_BENCH_SEEDS:-$ROOT/../shared/eval/seeds}
export ENTEX_BENCH_LARGE_DIR=${ENTEX_BENCH_LARGE_DIR:-$ROOT/target/bench-data/large}
export ENTEX_BENCH_MEASURE_SECS=${ENTEX_BENCH_MEASURE_SECS:-2}
export ENTEX_BENCH_WARMUP_SECS=${ENTEX_BENCH_WARMUP_SECS:-1}
LOAD_SECS=${ENTEX_BENCH_LOAD_SECS:-10}
COLD_STARTS=${ENTEX_BENCH_COLD_STARTS:-3}
# Below Linux's ephemeral range (32768-60999), where a client socket of any
# other process on the machine may hold the port.
PORT=${ENTEX_BENCH_PORT:-20871}
LARGE=$ENTEX_BENCH_LARGE_DIR
# The large dictionary's precompiled artefact (remade on every run: an
# artefact is refused by a binary with another engine).
ARTEFACT=$OUT/large.entexdic
export ENTEX_BENCH_NEWS_DIR=${ENTEX_BENCH_NEWS_DIR:-$ROOT/target/bench-data/news}
export ENTEX_BENCH_DERIVED_DIR=${ENTEX_BENCH_DERIVED_DIR:-$ENTEX_BENCH_NEWS_DIR}
CATALOGUE=${ENTEX_BENCH_CATALOGUE_DIR:-$ROOT/target/bench-data/catalogue}
# The catalogue's artefact, compiled from its JSONL by this run's binary.
CATALOGUE_ARTEFACT=$OUT/catalogue.entexdic
NEWS_CORPUS=$ENTEX_BENCH_NEWS_DIR/news.jsonl

log() { printf '\n== %s  %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [[ ! -d $ENTEX_BENCH_SEEDS ]]; then
    echo "bench/run.sh: no seed articles at $ENTEX_BENCH_SEEDS (set ENTEX_BENCH_SEEDS)" >&2
    exit 1
fi
mkdir -p "$OUT"
# Server and load results are made anew by every run.
rm -f "$OUT"/server-*.json "$OUT"/server-*.log "$OUT"/load-*.json "$OUT"/rss-*.json
STARTED=$(date +%s)
COMMANDS=$OUT/commands.txt
: > "$COMMANDS"
# Runs a command, recording it for the report.
run() { printf '%s\n' "$*" >> "$COMMANDS"; "$@"; }

log "machine and versions"
python3 - "$OUT/machine.json" <<'EOF'
import json, os, subprocess, sys
def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except Exception as e:
        return f"unavailable ({e})"
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
mem = next((int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
version = next((l.split('"')[1] for l in open("Cargo.toml") if l.startswith("version")), "?")
dirty = sh("git", "status", "--porcelain", "--untracked-files=no")
json.dump({
    "nproc": os.cpu_count(), "cpu_model": cpu, "mem_total_bytes": mem,
    "kernel": sh("uname", "-sr"), "rustc": sh("rustc", "-V"), "cargo": sh("cargo", "-V"),
    "crate_version": version, "git_commit": sh("git", "rev-parse", "HEAD"),
    "git_dirty": bool(dirty) and not dirty.startswith("unavailable"),
    "python": sh("python3", "-V"), "loadavg_start": open("/proc/loadavg").read().split()[:3],
    "criterion_reused": os.environ.get("ENTEX_BENCH_SKIP_CRITERION") == "1",
}, open(sys.argv[1], "w"), indent=2)
EOF

log "build (release profile: the benches, and with them the entex and entex-load binaries)"
# Cargo builds the package's binaries for its benches, with the same
# features, so one build serves both (a separate `cargo build --release`
# would compile everything again without the dev-dependencies' features).
run cargo bench --no-run --bench engine --bench dictionary --bench corpus
[[ -x $BIN/entex && -x $BIN/entex-load ]] || { echo "no $BIN/entex or $BIN/entex-load after the build" >&2; exit 1; }

if [[ ! -f $LARGE/manifest.json ]]; then
    log "generate the large dictionary"
    run python3 bench/gen_large_dictionary.py --out "$LARGE" --cache "$ROOT/target/bench-data/pkgs"
fi
mapfile -t LARGE_FILES < <(python3 -c 'import json,sys; d=sys.argv[1]; [print(f"{d}/{f}") for f in json.load(open(f"{d}/manifest.json"))["dictionary_files"]]' "$LARGE")
# Every command names dictionary files with --dictionary.
LARGE_SPECS=()
for file in "${LARGE_FILES[@]}"; do LARGE_SPECS+=(--dictionary "$file"); done

log "entex check on the large dictionary (${#LARGE_FILES[@]} files)"
printf '%s\n' "$BIN/entex check --no-default-dictionary ${LARGE_SPECS[*]}" >> "$COMMANDS"
/usr/bin/env time -f '%e %M' -o "$OUT/check.time" "$BIN/entex" check --no-default-dictionary "${LARGE_SPECS[@]}" | tee "$OUT/check.txt"

log "entex compile on the large dictionary: the precompiled artefact"
rm -f "$ARTEFACT" "$OUT/compile.json"
printf '%s\n' "$BIN/entex compile --no-default-dictionary --output $ARTEFACT ${LARGE_SPECS[*]}" >> "$COMMANDS"
/usr/bin/env time -f '%e %M' -o "$OUT/compile.time" \
    "$BIN/entex" compile --no-default-dictionary --output "$ARTEFACT" "${LARGE_SPECS[@]}" | tee "$OUT/compile.txt"
# compile.json: wall time and max RSS of the whole command (GNU time), the artefact's size.
python3 -c 'import json,os,sys; s,k=open(sys.argv[1]).read().split()[:2]; json.dump({"seconds": float(s), "max_rss_bytes": int(k) * 1024, "artefact_bytes": os.path.getsize(sys.argv[2]), "summary": open(sys.argv[3]).read().strip()}, open(sys.argv[4], "w"))' \
    "$OUT/compile.time" "$ARTEFACT" "$OUT/compile.txt" "$OUT/compile.json"

# --- issue 11 and issue 9: the shared corpus and the catalogue -------------

have_corpus() {
    [[ -s $ENTEX_BENCH_NEWS_DIR/news.jsonl && -s $ENTEX_BENCH_NEWS_DIR/dict_domain_clean.tsv ]] || return 1
    local f
    for f in prose.jsonl news_nonascii.jsonl seeds_nonascii.jsonl; do [[ -s $ENTEX_BENCH_DERIVED_DIR/$f ]] || return 1; done
}
if ! have_corpus; then
    [[ $ENTEX_BENCH_DERIVED_DIR == "$ENTEX_BENCH_NEWS_DIR" ]] || {
        echo "no derived texts in $ENTEX_BENCH_DERIVED_DIR (unset ENTEX_BENCH_DERIVED_DIR to make them)" >&2
        exit 1
    }
    log "the shared news-like corpus (bench/corpus.sh)"
    run bash bench/corpus.sh --out "$ENTEX_BENCH_NEWS_DIR"
fi
if [[ ! -f $CATALOGUE/manifest.json ]]; then
    log "generate the catalogue"
    run python3 bench/gen_catalogue.py --out "$CATALOGUE" --cache "$ROOT/target/bench-data/pkgs"
fi

# timed NAME COMMAND...: runs COMMAND under GNU time; writes scale-NAME.json
# (wall, user and system CPU seconds, peak RSS, the command's last line).
timed() {
    local name=$1
    shift
    printf '%s\n' "$*" >> "$COMMANDS"
    /usr/bin/env time -f '%e %U %S %M' -o "$OUT/scale-$name.time" "$@" > "$OUT/scale-$name.txt" 2>&1 \
        || { cat "$OUT/scale-$name.txt" >&2; echo "$name failed" >&2; exit 1; }
    tail -1 "$OUT/scale-$name.txt" >&2
    python3 -c 'import json,sys; e,u,s,k=open(sys.argv[1]).read().split()[-4:]; json.dump({"wall_s": float(e), "user_s": float(u), "sys_s": float(s), "cpu_s": float(u)+float(s), "max_rss_bytes": int(k)*1024, "summary": (open(sys.argv[2]).read().strip().splitlines() or [""])[-1]}, open(sys.argv[3], "w"))' \
        "$OUT/scale-$name.time" "$OUT/scale-$name.txt" "$OUT/scale-$name.json"
}

if [[ ${ENTEX_BENCH_SKIP_SCALE:-0} != 1 || ! -f $CATALOGUE_ARTEFACT ]]; then
    log "catalogue: entex check and entex compile, from JSONL and from CSV"
    rm -f "$OUT"/scale-*.json "$CATALOGUE_ARTEFACT"
    timed check-jsonl "$BIN/entex" check --no-default-dictionary --dictionary "$CATALOGUE/catalogue.jsonl"
    timed check-csv "$BIN/entex" check --no-default-dictionary --dictionary "$CATALOGUE/catalogue.csv"
    timed compile-csv "$BIN/entex" compile --no-default-dictionary --dictionary "$CATALOGUE/catalogue.csv" \
        --output "$OUT/catalogue-csv.entexdic"
    rm -f "$OUT/catalogue-csv.entexdic"
    timed compile-jsonl "$BIN/entex" compile --no-default-dictionary --dictionary "$CATALOGUE/catalogue.jsonl" \
        --output "$CATALOGUE_ARTEFACT"
fi
cp "$CATALOGUE/manifest.json" "$OUT/catalogue-manifest.json"

if [[ ${ENTEX_BENCH_SKIP_CORPUS:-0} != 1 ]]; then
    # raw_ac itself, as ../shared/bench/README.md runs it (a copy: the shared
    # directory is read-only), to check that benches/corpus.rs mirrors it.
    if [[ -d $ROOT/../shared/bench/raw_ac ]]; then
        log "raw_ac, the shared DFA reference, as its README runs it"
        rm -rf "$OUT/raw_ac" && cp -r "$ROOT/../shared/bench/raw_ac" "$OUT/raw_ac" && rm -rf "$OUT/raw_ac/target"
        rm -f "$OUT/raw_ac.json"
        if cargo build -q --release --manifest-path "$OUT/raw_ac/Cargo.toml" --target-dir "$OUT/raw_ac/target" \
            2> "$OUT/raw_ac.log"; then
            run "$OUT/raw_ac/target/release/raw_ac" "$ENTEX_BENCH_NEWS_DIR/dict_domain_clean.tsv" "$NEWS_CORPUS" dfa 5 \
                > "$OUT/raw_ac.json" || rm -f "$OUT/raw_ac.json"
            cat "$OUT/raw_ac.json" >&2 || true
        else
            echo "raw_ac does not build; see $OUT/raw_ac.log" >&2
        fi
    fi
    log "engine over the shared corpus against the DFA reference (benches/corpus.rs)"
    printf '%s\n' "ENTEX_BENCH_CATALOGUE_ARTEFACT=$CATALOGUE_ARTEFACT cargo bench --bench corpus" >> "$COMMANDS"
    ENTEX_BENCH_CATALOGUE_ARTEFACT=$CATALOGUE_ARTEFACT cargo bench --bench corpus > "$OUT/corpus.jsonl" 2> "$OUT/corpus.log" \
        || { tail -20 "$OUT/corpus.log" >&2; echo "the corpus bench failed; see $OUT/corpus.log" >&2; exit 1; }
    grep -E '^ *(engine|reference|ratio|dictionary|text)' "$OUT/corpus.log" >&2 || true
fi

if [[ ${ENTEX_BENCH_SKIP_CRITERION:-0} != 1 ]]; then
    log "criterion: engine, raw reference, scan, fold (measurement ${ENTEX_BENCH_MEASURE_SECS}s each)"
    rm -rf "$CRITERION_HOME"
    run cargo bench --bench engine 2>&1 | tee "$OUT/engine.log" | grep -E '^(engine|raw|scan|fold)/|thrpt|^matches|^scan|dictionary|^note' || true
    grep -q '^matches engine/default/news/1MB' "$OUT/engine.log" || { echo "the engine bench failed; see $OUT/engine.log" >&2; exit 1; }

    log "large dictionary: build time, resident memory, artefact load"
    run cargo bench --bench dictionary > "$OUT/dictionary.json" 2> "$OUT/dictionary.log"
    cat "$OUT/dictionary.log" >&2
fi

# --- where the engine's time goes (perf, when available) ------------------

# profile NAME FILTER [env...]: runs one engine benchmark in criterion's
# profiling mode and samples it with perf once setup is over.
profile() {
    local name=$1 filter=$2
    shift 2
    local exe
    exe=$(cargo bench --bench engine --no-run --message-format=json 2>/dev/null \
        | python3 -c 'import json,sys; [print(m["executable"]) for m in map(json.loads, sys.stdin) if m.get("executable") and m.get("target", {}).get("name") == "engine"]' | tail -1)
    [[ -x $exe ]] || return 0
    env "$@" "$exe" --bench --profile-time 12 "$filter" > "$OUT/profile-$name.out" 2>&1 &
    local pid=$!
    for _ in $(seq 1200); do
        grep -q 'Profiling for' "$OUT/profile-$name.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    printf '%s\n' "perf record -F 999 -p <engine bench pid> -- sleep 8   # $filter" >> "$COMMANDS"
    perf record -q -F 999 -o "$OUT/perf-$name.data" -p "$pid" -- sleep 8 > /dev/null 2>&1 || true
    wait "$pid" || true
    perf report -i "$OUT/perf-$name.data" --no-children --stdio --sort symbol 2>/dev/null \
        | grep -E '^ +[0-9.]+%' | head -12 > "$OUT/profile-$name.txt" || true
    rm -f "$OUT/perf-$name.data"
}

if command -v perf > /dev/null && [[ ${ENTEX_BENCH_SKIP_PROFILE:-0} != 1 && ${ENTEX_BENCH_SKIP_CRITERION:-0} != 1 ]]; then
    log "profiles (perf)"
    profile default-news-16KB '^engine/default/news/16KB$' ENTEX_BENCH_LARGE_DIR=/nonexistent
    profile default-news-1MB '^engine/default/news/1MB$' ENTEX_BENCH_LARGE_DIR=/nonexistent
    profile large-news-16KB '^engine/large/news/16KB$'
fi

# --- servers under load ---------------------------------------------------

SERVER_PID=
stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT

# Startup events only (JSON, with timestamps): the "serving" event, the
# source build ("dictionary compiled") or artefact load ("compiled dictionary
# loaded"); requests log "served" at info under entex::service, kept out.
SERVE_LOG=(--log-format json --log-level 'warn,entex::startup=info,entex::dictionary=info')

# start_server NAME WORKERS [serve args...]: starts entex serve on the next
# free port (a port another process took meanwhile is skipped, 5 tries),
# waits (at most 120 s) for SERVING, records the cold start: to the "serving"
# log event (its timestamp minus the time just before the process started)
# and to the first SERVING health answer (polled every 50 ms).
start_server() {
    local name=$1 workers=$2
    shift 2
    local try t0 t1 rss
    for try in 1 2 3 4 5; do
        PORT=$((PORT + 1))
        ADDR=127.0.0.1:$PORT
        t0=$(date +%s.%N)
        "$BIN/entex" serve --workers "$workers" --listen "$ADDR" "${SERVE_LOG[@]}" "$@" > "$OUT/server-$name.log" 2>&1 &
        SERVER_PID=$!
        for _ in $(seq 2400); do
            if "$BIN/entex" healthcheck --addr "$ADDR" --timeout 1 > /dev/null 2>&1; then
                t1=$(date +%s.%N)
                printf '%s\n' "$BIN/entex serve --workers $workers --listen $ADDR ${SERVE_LOG[*]} $*" >> "$COMMANDS"
                rss=$(awk '/^VmRSS/ {print $2 * 1024}' "/proc/$SERVER_PID/status")
                server_facts "$t0" "$t1" "$rss" "$workers" "$OUT/server-$name.log" "$OUT/server-$name.json"
                return 0
            fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "server $name not SERVING after 120 s" >&2
            exit 1
        fi
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=
        grep -q 'Address already in use' "$OUT/server-$name.log" || break
        echo "port $PORT is taken; trying the next" >&2
    done
    echo "server $name exited; see $OUT/server-$name.log" >&2
    exit 1
}

# server_facts T0 T1 RSS WORKERS LOG JSON: writes the server's start-up
# figures; waits (at most 5 s) for the "serving" event, which is logged just
# after health turns SERVING.
server_facts() {
    python3 - "$@" <<'EOF'
import json, sys, time
from datetime import datetime
t0, t1, rss, workers, log, out = sys.argv[1:7]
events = {}
for _ in range(100):
    events = {}
    for line in open(log, errors="replace"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and "message" in event:
            events.setdefault(event["message"], event)
    if "serving" in events:
        break
    time.sleep(0.05)
def seconds_after_start(event):
    if not event or "timestamp" not in event:
        return None
    return datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00")).timestamp() - float(t0)
loaded = events.get("compiled dictionary loaded") or {}
built = events.get("dictionary compiled") or {}
json.dump({
    "cold_start_s": float(t1) - float(t0),
    "serving_event_s": seconds_after_start(events.get("serving")),
    "artefact_load_ms": loaded.get("load_ms"),
    "dictionary_build_ms": built.get("build_ms"),
    "rss_serving_bytes": int(rss),
    "workers": int(workers),
}, open(out, "w"))
EOF
}

# rss_split NAME: VmRSS, RssAnon, RssFile, RssShmem and VmHWM of the running
# server, in bytes, into rss-NAME.json.
rss_split() {
    python3 - "/proc/$SERVER_PID/status" "$OUT/rss-$1.json" <<'EOF'
import json, sys
fields = {}
for line in open(sys.argv[1]):
    key, _, value = line.partition(":")
    if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem", "VmHWM"):
        fields[key] = int(value.split()[0]) * 1024
json.dump(fields, open(sys.argv[2], "w"))
EOF
}

# load NAME [entex-load args...]
load() {
    local name=$1
    shift
    log "load $name"
    run "$BIN/entex-load" --addr "$ADDR" --server-pid "$SERVER_PID" --duration "$LOAD_SECS" \
        --json "$OUT/load-$name.json" "$@"
}

peak_rate() { python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["requests_per_s"] * 0.8, 1))' "$1"; }

for workers in 1 2; do
    log "server, default dictionary, $workers worker(s)"
    start_server "w$workers" "$workers"
    load "w$workers-batch-peak" --mode batch --concurrency 4
    load "w$workers-batch-80" --mode batch --concurrency 4 --rate "$(peak_rate "$OUT/load-w$workers-batch-peak.json")"
    load "w$workers-single-c1" --mode single --concurrency 1
    load "w$workers-single-peak" --mode single --concurrency 8
    load "w$workers-single-80" --mode single --concurrency 8 --rate "$(peak_rate "$OUT/load-w$workers-single-peak.json")"
    # Issue 11: the shared corpus, 64 KB batches of its documents, and single 2 KB documents cut from them.
    load "w$workers-corpus-batch" --mode batch --concurrency 4 --corpus "$NEWS_CORPUS"
    load "w$workers-corpus-single-c1" --mode single --concurrency 1 --corpus "$NEWS_CORPUS"
    stop_server
done

log "server, large dictionary, 2 workers (cold start from source files)"
start_server large 2 --no-default-dictionary "${LARGE_FILES[@]/#/--dictionary=}"
load "large-batch-peak" --mode batch --concurrency 4
load "large-single-c1" --mode single --concurrency 1
stop_server

log "server, large dictionary from its compiled artefact, 2 workers: $COLD_STARTS cold starts"
for i in $(seq "$COLD_STARTS"); do
    start_server "compiled-$i" 2 --compiled "$ARTEFACT"
    stop_server
done

log "server, the catalogue from its compiled artefact, 2 workers: $COLD_STARTS cold starts"
for i in $(seq "$COLD_STARTS"); do
    start_server "catalogue-$i" 2 --compiled "$CATALOGUE_ARTEFACT"
    rss_split "catalogue-$i-serving"
    if [[ $i == 1 ]]; then
        # Resident memory once Extract has walked the mapped tables, and throughput with them.
        load "catalogue-corpus-batch" --mode batch --concurrency 4 --corpus "$NEWS_CORPUS"
        rss_split "catalogue-$i-loaded"
    fi
    stop_server
done

python3 -c 'import json,sys; json.dump({"seconds": int(sys.argv[1]), "loadavg_end": open("/proc/loadavg").read().split()[:3]}, open(sys.argv[2], "w"))' \
    "$(($(date +%s) - STARTED))" "$OUT/run.json"

log "write docs/benchmarks.md"
run python3 bench/report.py "$OUT" docs/benchmarks.md
log "done in $(($(date +%s) - STARTED)) s; raw results in $OUT"
