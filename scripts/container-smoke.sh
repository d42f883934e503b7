#!/usr/bin/env bash
# container-smoke.sh — the container image, run like production, end to end.
#
#   1. makes the base images (../shared/tools/container-bases.sh: no registry here)
#      and builds the image with podman from the Dockerfile as it is;
#   2. runs the image alone (`podman run IMAGE`, nothing else): it serves the
#      embedded dictionary, passes its own HEALTHCHECK, and `podman stop` ends it
#      with exit code 0;
#   3. starts three replicas on loopback the way deploy/kubernetes/ runs them
#      (read-only root, no capabilities, the ConfigMap's dictionary mounted as a
#      directory, --watch) and times each from `podman run` to SERVING;
#   4. puts nginx in front (L7: grpc_pass, per-call round robin) and checks THROUGH
#      it: health, reflection, every RPC, and that Extract calls spread over all
#      three replicas (each replica's own entex_grpc_requests_total);
#   5. edits the mounted dictionary: every replica reloads it (--watch);
#   6. under steady Extract load through nginx, sends SIGTERM to one replica: no
#      call may fail, a stream open on that replica must be answered to the end,
#      and the replica must turn NOT_SERVING, drain and exit 0;
#   7. shedding: two more replicas with a small call budget behind their own nginx
#      upstream take a burst of calls through nginx from a client that follows the
#      README's retry policy (entex-load --retry-attempts 5): the replicas must
#      refuse some calls with UNAVAILABLE, stay SERVING, and no call may fail.
# Prints the figures (image size, build time, start-to-SERVING, memory, calls
# ok/failed, per-replica counts) and exits non-zero on the first failed check.
#
# Usage: bash scripts/container-smoke.sh          (from anywhere; needs root for podman)
#        ENTEX_SMOKE_NO_BUILD=1 ENTEX_SMOKE_IMAGE=localhost/entex:dev bash scripts/container-smoke.sh
#                                                   (test an image already built: no build in step 1)
# Needs: podman, runc, nginx, grpcurl, python3, cargo (step 7 builds entex-load, the
# client, on the host; ENTEX_SMOKE_LOAD=PATH uses one already built); ../shared beside
# the project (ENTEX_SHARED_DIR overrides). Everything listens on 127.0.0.1 only. What it
# starts (containers, nginx, load loops, a temp dir) is removed by id on exit.
#
# The podman flags for this sandbox (runc, ulimits, the CA bundle mounted into the
# build so cargo reaches the crate registry) are on the command lines below, never
# in the Dockerfile: see ../shared/docs/containers.md.
#
# shellcheck disable=SC1112  # the typographic apostrophes in the sample texts are meant
set -euo pipefail
cd "$(dirname "$0")/.."

SHARED_DIR=${ENTEX_SHARED_DIR:-../shared}
IMAGE=${ENTEX_SMOKE_IMAGE:-localhost/entex:smoke}
STATE_DIR=/var/tmp/entex-container-smoke   # ids of the images the last build made
REPLICAS=3
DRAIN_DELAY=2         # seconds a replica keeps serving after SIGTERM (ENTEX_DRAIN_DELAY)
SPREAD_CALLS=30       # Extract calls for the spread check
LOAD_WORKERS=3        # concurrent grpcurl loops during the SIGTERM...
LOAD_CALLS=100        # ...of this many Extract calls each
LOAD_BEFORE_TERM=60   # calls finished before the SIGTERM
SHED_CALLS=64         # the shedding burst: calls at once through nginx...
SHED_SLOTS=4          # ...to two replicas admitting this many calls each (ENTEX_MAX_CONCURRENT_CALLS),
                      # so most of the burst is refused at first and must be retried

PODMAN=(podman --runtime runc)
ULIMITS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
BUILD_FLAGS=(--pull=never --format docker "${ULIMITS[@]}"
             -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
PROTO=(-import-path proto -proto entex/v1/entex.proto)
DOC='{"documents": [{"id": "smoke", "text": "Hezbollah’s envoy spoke in Beirut."}]}'

step() { printf '=== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

for tool in podman runc nginx grpcurl python3; do
    command -v "$tool" >/dev/null || fail "$tool not found (.ci/run installs it; see ../shared/docs/containers.md)"
done
[[ -f "$SHARED_DIR/tools/container-bases.sh" ]] ||
    fail "$SHARED_DIR/tools/container-bases.sh not found (check out ../shared beside the project, or set ENTEX_SHARED_DIR)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/entex-smoke.XXXXXX")
chmod 711 "$WORK"  # nginx workers run as nobody and use their temp folders inside
CONTAINERS=()
NGINX_PID=""
LOAD_PIDS=()
cleanup() {
    local status=$?
    set +e
    for pid in "${LOAD_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
    if [[ -n "$NGINX_PID" ]]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    fi
    for id in "${CONTAINERS[@]}"; do
        if ((status != 0)); then
            echo "--- logs of ${id:0:12}" >&2
            "${PODMAN[@]}" logs "$id" 2>&1 | tail -20 >&2
        fi
        "${PODMAN[@]}" rm -f "$id" >/dev/null 2>&1
    done
    if ((status != 0)) && [[ -f "$WORK/nginx-error.log" ]]; then
        echo "--- nginx error log" >&2
        tail -20 "$WORK/nginx-error.log" >&2
    fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Free loopback ports: 3 for gRPC, 3 for metrics, 1 for nginx, 1 for the lone image,
# and for the shedding step 2 for gRPC, 2 for metrics, 1 for nginx.
read -r -a PORTS <<<"$(python3 - <<'EOF'
import socket
socks = [socket.socket() for _ in range(13)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)"
GRPC_PORTS=("${PORTS[@]:0:3}")
METRICS_PORTS=("${PORTS[@]:3:3}")
LB_PORT=${PORTS[6]}
LB=127.0.0.1:$LB_PORT
ALONE_PORT=${PORTS[7]}
SHED_GRPC_PORTS=("${PORTS[@]:8:2}")
SHED_METRICS_PORTS=("${PORTS[@]:10:2}")
SHED_LB=127.0.0.1:${PORTS[12]}

# ---------------------------------------------------------------------------
step "base images (${SHARED_DIR}/tools/container-bases.sh)"
bash "$SHARED_DIR/tools/container-bases.sh"

build_ms=0
deps_cached=n/a
if [[ "${ENTEX_SMOKE_NO_BUILD:-}" == 1 ]]; then
    step "using the image $IMAGE as it is (ENTEX_SMOKE_NO_BUILD=1)"
else
    step "podman build -t $IMAGE ."
    build_start=$(now_ms)
    if ! "${PODMAN[@]}" build "${BUILD_FLAGS[@]}" -t "$IMAGE" . >"$WORK/build.log" 2>&1; then
        tail -40 "$WORK/build.log" >&2
        fail "image build failed"
    fi
    build_ms=$(( $(now_ms) - build_start ))
    # Was the dependency layer (the RUN that ends `--bin entex`) reused?
    deps_cached=no
    if grep -A2 'cargo build --release --locked --bin entex$' "$WORK/build.log" | head -3 | grep -q 'Using cache'; then
        deps_cached=yes
    fi
    grep -E 'Finished `release`' "$WORK/build.log" || true
    # Each build with new sources leaves the previous build's images (the
    # builder stage with its target/, the old image) untagged. Remove the ones
    # this script's previous build made and this build no longer uses, by id,
    # newest first; never a tagged image, nor one that another image is built on.
    state="$STATE_DIR/$(tr -c 'a-zA-Z0-9\n' _ <<<"$IMAGE").chain"
    mkdir -p "$STATE_DIR"
    grep -oE '^--> [0-9a-f]{11,}' "$WORK/build.log" | cut -c5-15 >"$WORK/chain"
    "${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Id}}' | cut -c1-11 >>"$WORK/chain"
    removed=0
    if [[ -f "$state" ]]; then
        while read -r old; do
            grep -qx "$old" "$WORK/chain" && continue
            tags=$("${PODMAN[@]}" image inspect "$old" --format '{{len .RepoTags}}' 2>/dev/null </dev/null) || continue
            [[ "$tags" == 0 ]] || continue
            "${PODMAN[@]}" images -a --format '{{.ParentId}}' </dev/null | cut -c1-11 | grep -qx "$old" && continue
            "${PODMAN[@]}" rmi "$old" >/dev/null 2>&1 </dev/null && removed=$((removed + 1))
        done < <(tac "$state")
    fi
    cp "$WORK/chain" "$state"
    echo "removed $removed untagged image(s) left by this script's previous build"
fi
image_bytes=$("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}')
image_mb=$(python3 -c "print(f'{$image_bytes / 1e6:.1f}')")
echo "image $IMAGE: ${image_mb} MB; build ${build_ms} ms (dependency layer from cache: ${deps_cached})"

# What the image promises, read back from its config.
config=$("${PODMAN[@]}" image inspect "$IMAGE" \
    --format '{{.Config.User}}|{{.Config.StopSignal}}|{{json .Config.Entrypoint}}|{{json .Config.Cmd}}|{{json .Config.Healthcheck.Test}}')
echo "config: $config"
[[ "$config" == '65532:65532|SIGTERM|["/usr/local/bin/entex"]|["serve"]|["CMD","/usr/local/bin/entex","healthcheck"]' ]] ||
    fail "image config is not USER 65532:65532, STOPSIGNAL SIGTERM, exec-form ENTRYPOINT/CMD, exec-form HEALTHCHECK"

# The image's own binary, used on the host as a gRPC health client: the same
# check as the HEALTHCHECK, without a container exec on every poll.
cid=$("${PODMAN[@]}" create "$IMAGE")
"${PODMAN[@]}" cp "$cid:/usr/local/bin/entex" "$WORK/entex" || { "${PODMAN[@]}" rm "$cid" >/dev/null 2>&1; fail "podman cp"; }
"${PODMAN[@]}" rm "$cid" >/dev/null 2>&1
healthy() { "$WORK/entex" healthcheck --addr "$1" --timeout 1 >/dev/null 2>&1; }
# Waits (bounded) until $1 answers SERVING; prints the milliseconds since $2.
wait_serving() {
    local try
    for ((try = 0; try < 500; try++)); do
        healthy "$1" && { echo $(( $(now_ms) - $2 )); return 0; }
        sleep 0.02
    done
    return 1
}
# "VmRSS VmHWM" of a container's process, in MiB.
rss_mib() {
    local pid
    pid=$("${PODMAN[@]}" inspect "$1" --format '{{.State.Pid}}')
    awk '/^VmRSS|^VmHWM/ { v[$1] = int($2 / 1024 + 0.5) } END { print v["VmRSS:"], v["VmHWM:"] }' "/proc/$pid/status"
}
# The dictionary version a server at $1 serves.
dictionary_version() {
    grpcurl -plaintext "${PROTO[@]}" "$1" entex.v1.EntityExtractor/GetDictionaryInfo |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])'
}

# ---------------------------------------------------------------------------
step "the image alone: podman run $IMAGE"
started=$(now_ms)
alone=$("${PODMAN[@]}" run -d "${ULIMITS[@]}" --health-interval disable -p "127.0.0.1:$ALONE_PORT:50051" \
    "$IMAGE" 2>"$WORK/run-alone.err") || { cat "$WORK/run-alone.err" >&2; fail "podman run failed"; }
CONTAINERS+=("$alone")
alone_ms=$(wait_serving "127.0.0.1:$ALONE_PORT" "$started") || fail "the image alone is not SERVING within ~10 s"
out=$(grpcurl -plaintext "${PROTO[@]}" "127.0.0.1:$ALONE_PORT" entex.v1.EntityExtractor/GetDictionaryInfo)
grep -q '"embedded:default/core.toml"' <<<"$out" || fail "the image alone does not serve the embedded dictionary: $out"
# Podman without systemd logs an error for the HEALTHCHECK timer it cannot make
# (hence --health-interval disable and 2>file); `podman healthcheck run` runs the
# image's HEALTHCHECK by hand: the binary as its own gRPC health client, no shell.
"${PODMAN[@]}" healthcheck run "$alone" >/dev/null 2>&1 || fail "the image's HEALTHCHECK failed on a serving container"
alone_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$("${PODMAN[@]}" inspect "$alone" --format '{{.State.Pid}}')/status")
[[ "$alone_uid" == 65532 ]] || fail "the server runs as uid $alone_uid, not 65532"
read -r alone_rss _ <<<"$(rss_mib "$alone")"
stop_start=$(now_ms)
"${PODMAN[@]}" stop -t 10 "$alone" >/dev/null 2>&1
alone_stop_ms=$(( $(now_ms) - stop_start ))
alone_exit=$("${PODMAN[@]}" inspect "$alone" --format '{{.State.ExitCode}}')
[[ "$alone_exit" == 0 ]] || fail "podman stop (SIGTERM): exit code $alone_exit, not 0"
echo "SERVING ${alone_ms} ms after podman run; embedded dictionary; HEALTHCHECK healthy; uid 65532; RSS ${alone_rss} MiB;" \
    "podman stop (SIGTERM) -> exit 0 in ${alone_stop_ms} ms"

# ---------------------------------------------------------------------------
step "the ConfigMap's dictionary as a volume (deploy/kubernetes/configmap-dictionary.yaml)"
# The `extra.toml: |` block of the ConfigMap, unindented: the same file the pods mount.
mkdir -p "$WORK/dictionaries"
python3 - deploy/kubernetes/configmap-dictionary.yaml >"$WORK/dictionaries/extra.toml" <<'EOF'
import sys
lines, out, inside = open(sys.argv[1]).read().splitlines(), [], False
for line in lines:
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
chmod 755 "$WORK/dictionaries" && chmod 644 "$WORK/dictionaries/extra.toml"
VOLUME=(-v "$WORK/dictionaries:/dictionaries:ro")
"${PODMAN[@]}" run --rm "${ULIMITS[@]}" "${VOLUME[@]}" "$IMAGE" check --dictionary /dictionaries/extra.toml 2>/dev/null |
    tee "$WORK/check.txt"
grep -q '^ok: ' "$WORK/check.txt" || fail "entex check rejects the ConfigMap's dictionary"

# ---------------------------------------------------------------------------
step "start $REPLICAS replicas (as deploy/kubernetes/ runs them; drain delay ${DRAIN_DELAY} s)"
START_MS=()
INSIDE_MS=()
# Milliseconds from podman's StartedAt ($1) to the JSON log event's timestamp ($2).
inside_ms() {
    python3 -c '
import datetime, json, re, sys
m = re.match(r"(\S+) (\d+):(\d+):(\d+)(?:\.(\d+))?", sys.argv[1])
started = datetime.datetime.fromisoformat(f"{m[1]}T{m[2]}:{m[3]}:{m[4]}.{(m[5] or str())[:6]:0<6}+00:00")
serving = datetime.datetime.fromisoformat(json.loads(sys.argv[2])["timestamp"][:26] + "+00:00")
print(round((serving - started).total_seconds() * 1000))
' "$1" "$2"
}
REPLICA_IDS=()
RSS_START=()
for i in $(seq 0 $((REPLICAS - 1))); do
    started=$(now_ms)
    # The Deployment's securityContext (read-only root, no capabilities, no
    # privilege escalation) and environment, with the drain delay shortened.
    id=$("${PODMAN[@]}" run -d "${ULIMITS[@]}" --health-interval disable \
        --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
        -p "127.0.0.1:${GRPC_PORTS[i]}:50051" -p "127.0.0.1:${METRICS_PORTS[i]}:9090" "${VOLUME[@]}" \
        -e ENTEX_DICTIONARY=/dictionaries/extra.toml -e ENTEX_WATCH=true -e ENTEX_WATCH_INTERVAL=0.5 \
        -e ENTEX_DRAIN_DELAY="$DRAIN_DELAY" -e ENTEX_LOG_FORMAT=json \
        "$IMAGE" 2>"$WORK/run-$i.err") || { cat "$WORK/run-$i.err" >&2; fail "podman run failed"; }
    CONTAINERS+=("$id")
    REPLICA_IDS+=("$id")
    ms=$(wait_serving "127.0.0.1:${GRPC_PORTS[i]}" "$started") || fail "replica $i not SERVING within ~10 s"
    START_MS+=("$ms")
    INSIDE_MS+=("$(inside_ms "$("${PODMAN[@]}" inspect "$id" --format '{{.State.StartedAt}}')" \
        "$("${PODMAN[@]}" logs "$id" 2>&1 | grep -m1 '"message":"serving"')")")
    read -r rss _ <<<"$(rss_mib "$id")"
    RSS_START+=("$rss")
    echo "replica $i: ${id:0:12} grpc 127.0.0.1:${GRPC_PORTS[i]} metrics 127.0.0.1:${METRICS_PORTS[i]};" \
        "podman run to SERVING ${START_MS[i]} ms (process start to serving: ${INSIDE_MS[i]} ms); RSS ${rss} MiB"
done
"${PODMAN[@]}" exec "${REPLICA_IDS[0]}" /usr/local/bin/entex healthcheck --addr 127.0.0.1:1 >/dev/null 2>&1 &&
    fail "healthcheck against a closed port succeeded"

# ---------------------------------------------------------------------------
step "nginx in front (grpc_pass, listen $LB)"
mkdir -p "$WORK/nginx/tmp"
chmod -R a+rwx "$WORK/nginx"
{
    cat <<EOF
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    log_format grpc '\$msec \$status grpc-status=\$upstream_trailer_grpc_status upstream=\$upstream_addr \$request_uri';
    access_log $WORK/nginx-access.log grpc;
    client_body_temp_path $WORK/nginx/tmp/body;
    proxy_temp_path $WORK/nginx/tmp/proxy;
    fastcgi_temp_path $WORK/nginx/tmp/fastcgi;
    uwsgi_temp_path $WORK/nginx/tmp/uwsgi;
    scgi_temp_path $WORK/nginx/tmp/scgi;

    upstream entex {
EOF
    for port in "${GRPC_PORTS[@]}"; do
        echo "        server 127.0.0.1:$port max_fails=1 fail_timeout=5s;"
    done
    cat <<EOF
        keepalive 16;
    }
    # Step 7's replicas; the same settings as above, on a port of their own.
    upstream entex_shed {
        server 127.0.0.1:${SHED_GRPC_PORTS[0]} max_fails=1 fail_timeout=5s;
        server 127.0.0.1:${SHED_GRPC_PORTS[1]} max_fails=1 fail_timeout=5s;
        keepalive 16;
    }
    server {
        listen $SHED_LB http2;
        client_max_body_size 16m;
        location / {
            grpc_pass grpc://entex_shed;
            grpc_next_upstream error timeout http_502 http_503;
            grpc_next_upstream_tries 2;
            grpc_connect_timeout 1s;
            grpc_read_timeout 30s;
        }
    }
    server {
        listen $LB http2;
        # The largest request entex accepts (--max-request-bytes, 16 MiB);
        # nginx's own default, 1 MiB, would refuse a large batch with 413.
        client_max_body_size 16m;
        location / {
            grpc_pass grpc://entex;
            # nginx (open source) does not read gRPC health, so it keeps sending
            # to a draining replica; once that replica stops accepting, the
            # connection is refused and the call goes to the next one. No
            # non_idempotent here, on purpose: a call already sent to a draining
            # replica must finish there, not be silently retried elsewhere.
            grpc_next_upstream error timeout http_502 http_503;
            grpc_next_upstream_tries $REPLICAS;
            grpc_connect_timeout 1s;
            grpc_read_timeout 30s;
        }
    }
}
EOF
} >"$WORK/nginx/nginx.conf"
nginx -t -q -p "$WORK/nginx" -e "$WORK/nginx-error.log" -c "$WORK/nginx/nginx.conf" ||
    fail "nginx rejected the generated configuration"
nginx -p "$WORK/nginx" -e "$WORK/nginx-error.log" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!
for ((try = 0; try < 100; try++)); do
    healthy "$LB" && break
    kill -0 "$NGINX_PID" 2>/dev/null || fail "nginx exited"
    sleep 0.05
done
healthy "$LB" || fail "no SERVING answer through nginx"
echo "nginx pid $NGINX_PID: SERVING through the balancer"

# ---------------------------------------------------------------------------
step "every RPC through nginx"
# Reflection (a bidirectional stream) through the balancer: no proto files here.
grpcurl -plaintext "$LB" list | tee "$WORK/list.txt"
grep -qx 'entex.v1.EntityExtractor' "$WORK/list.txt" || fail "reflection through nginx does not list entex.v1.EntityExtractor"

grpcurl -plaintext "$LB" grpc.health.v1.Health/Check | grep -q '"SERVING"' || fail "Health/Check through nginx"
echo "Health/Check: SERVING"

out=$(grpcurl -plaintext -d "$DOC" "$LB" entex.v1.EntityExtractor/Extract)
grep -q '"entityId": "org:hezbollah"' <<<"$out" && grep -q '"entityId": "loc:beirut"' <<<"$out" ||
    fail "Extract through nginx: $out"
echo "Extract: org:hezbollah, loc:beirut"
EXTRA_DOC='{"documents": [{"text": "Fajr al-Jadid claimed the attack."}]}'
out=$(grpcurl -plaintext -d "$EXTRA_DOC" "$LB" entex.v1.EntityExtractor/Extract)
grep -q '"entityId": "org:saraya-al-fajr-al-jadid"' <<<"$out" || fail "the mounted dictionary is not served: $out"
for port in "${GRPC_PORTS[@]}"; do  # and by every replica, asked directly
    grpcurl -plaintext "${PROTO[@]}" -d "$EXTRA_DOC" "127.0.0.1:$port" entex.v1.EntityExtractor/Extract |
        grep -q '"entityId": "org:saraya-al-fajr-al-jadid"' || fail "replica on port $port does not serve the mounted dictionary"
done
echo "Extract: org:saraya-al-fajr-al-jadid, from the mounted dictionary (through nginx and on each replica)"

# A batch larger than nginx's default body limit (1 MiB): two documents of ~0.9 MB.
python3 -c '
import json
text = "Nothing of note happened here today. " * 24000 + "Hezbollah’s envoy spoke in Beirut."
print(json.dumps({"documents": [{"id": "big1", "text": text}, {"id": "big2", "text": text}]}))
' >"$WORK/big.json"
out=$(grpcurl -plaintext "${PROTO[@]}" -d @ "$LB" entex.v1.EntityExtractor/Extract <"$WORK/big.json") ||
    fail "a $(stat -c %s "$WORK/big.json")-byte Extract request through nginx failed: ${out:0:300}"
[[ $(grep -c '"entityId": "org:hezbollah"' <<<"$out") == 2 ]] || fail "the large Extract through nginx: ${out:0:300}"
echo "Extract: a $(( $(stat -c %s "$WORK/big.json") / 1000 )) kB request of 2 documents, over nginx's default body limit"

out=$(grpcurl -plaintext -d @ "$LB" entex.v1.EntityExtractor/ExtractStream <<'EOF'
{"document": {"id": "s1", "text": "The Houthis fired at ships off Yemen."}}
{"document": {"id": "s2", "text": "Nothing to see here."}}
{"document": {"id": "s3", "text": "Asa'ib Ahl al-Haq and the PMF"}}
EOF
)
[[ $(grep -c '"dictionaryVersion"' <<<"$out") == 3 ]] && grep -q '"entityId": "org:houthis"' <<<"$out" &&
    grep -q '"entityId": "org:asaib-ahl-al-haq"' <<<"$out" || fail "ExtractStream through nginx: $out"
echo "ExtractStream: 3 responses for 3 messages"

out=$(grpcurl -plaintext -d '{"names": ["Quds Forse", "kataib hizbollah"]}' "$LB" entex.v1.EntityExtractor/Normalize)
grep -q '"id": "org:quds-force"' <<<"$out" && grep -q '"id": "org:kataib-hezbollah"' <<<"$out" ||
    fail "Normalize through nginx: $out"
echo "Normalize: org:quds-force, org:kataib-hezbollah"

out=$(grpcurl -plaintext "$LB" entex.v1.EntityExtractor/GetDictionaryInfo)
version=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])' <<<"$out") ||
    fail "GetDictionaryInfo through nginx: $out"
echo "GetDictionaryInfo: version $version"

# ---------------------------------------------------------------------------
# entex_grpc_requests_total{code="OK",method="entex.v1.EntityExtractor/Extract"} of one replica.
extract_count() {
    python3 - "$1" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
total = 0.0
for line in text.splitlines():
    if line.startswith("entex_grpc_requests_total{") and 'method="entex.v1.EntityExtractor/Extract"' in line \
            and 'code="OK"' in line:
        total += float(line.rsplit(" ", 1)[1])
print(int(total))
EOF
}

step "requests spread over the replicas ($SPREAD_CALLS Extract calls through nginx)"
BEFORE=()
for port in "${METRICS_PORTS[@]}"; do BEFORE+=("$(extract_count "$port")"); done
for ((n = 0; n < SPREAD_CALLS; n++)); do
    grpcurl -plaintext "${PROTO[@]}" -d "$DOC" "$LB" entex.v1.EntityExtractor/Extract >/dev/null ||
        fail "Extract call $n through nginx"
done
total=0
COUNTS=()
for i in $(seq 0 $((REPLICAS - 1))); do
    c=$(( $(extract_count "${METRICS_PORTS[i]}") - BEFORE[i] ))
    COUNTS+=("$c")
    total=$((total + c))
    ((c > 0)) || fail "replica $i served none of the $SPREAD_CALLS calls: nginx did not spread them"
done
echo "of $SPREAD_CALLS calls, each replica's entex_grpc_requests_total{code=\"OK\",method=\".../Extract\"} rose by: ${COUNTS[*]}"
((total == SPREAD_CALLS)) || fail "the replicas counted $total Extract calls; $SPREAD_CALLS were sent"

# ---------------------------------------------------------------------------
step "edit the mounted dictionary: every replica reloads it (--watch)"
# As the kubelet updates a ConfigMap volume: a new file, renamed into place.
{
    cat "$WORK/dictionaries/extra.toml"
    printf '\n[[entity]]\nid = "org:reload-check-brigade"\ntype = "ORG"\nname = "Reload Check Brigade"\n'
} >"$WORK/dictionaries/.extra.toml.new"
chmod 644 "$WORK/dictionaries/.extra.toml.new"
old_versions=()
for i in $(seq 0 $((REPLICAS - 1))); do old_versions+=("$(dictionary_version "127.0.0.1:${GRPC_PORTS[i]}")"); done
edit_ms=$(now_ms)
mv "$WORK/dictionaries/.extra.toml.new" "$WORK/dictionaries/extra.toml"
NEW_VERSIONS=()
for i in $(seq 0 $((REPLICAS - 1))); do
    for ((try = 0; try < 100; try++)); do
        v=$(dictionary_version "127.0.0.1:${GRPC_PORTS[i]}")
        [[ "$v" != "${old_versions[i]}" ]] && break
        sleep 0.1
    done
    [[ "$v" != "${old_versions[i]}" ]] || fail "replica $i still serves ${old_versions[i]} 10 s after the edit"
    NEW_VERSIONS+=("$v")
done
reload_ms=$(( $(now_ms) - edit_ms ))
[[ "${NEW_VERSIONS[0]}" == "${NEW_VERSIONS[1]}" && "${NEW_VERSIONS[1]}" == "${NEW_VERSIONS[2]}" ]] ||
    fail "the replicas reloaded to different versions: ${NEW_VERSIONS[*]}"
out=$(grpcurl -plaintext -d '{"documents": [{"text": "The Reload Check Brigade said so."}]}' "$LB" \
    entex.v1.EntityExtractor/Extract)
grep -q '"entityId": "org:reload-check-brigade"' <<<"$out" || fail "the reloaded dictionary is not served: $out"
RSS_RELOAD=()
for id in "${REPLICA_IDS[@]}"; do read -r _ hwm <<<"$(rss_mib "$id")"; RSS_RELOAD+=("$hwm"); done
echo "all $REPLICAS replicas: ${old_versions[0]} -> ${NEW_VERSIONS[0]} within ${reload_ms} ms of the edit;" \
    "peak RSS so far (VmHWM, with the reload) ${RSS_RELOAD[*]} MiB"

# ---------------------------------------------------------------------------
step "SIGTERM to replica 1 under load ($LOAD_WORKERS grpcurl loops through nginx)"
load_worker() {  # $1 = worker index; one line per call: "<ms> ok|fail"
    local log="$WORK/load-$1.log" out
    for ((n = 0; n < LOAD_CALLS; n++)); do
        if out=$(grpcurl -plaintext -max-time 10 "${PROTO[@]}" -d "$DOC" "$LB" entex.v1.EntityExtractor/Extract 2>&1) &&
            [[ "$out" == *'"entityId": "org:hezbollah"'* ]]; then
            echo "$(now_ms) ok" >>"$log"
        else
            echo "$(now_ms) fail" >>"$log"
            printf '%s\n' "$out" >>"$WORK/load-errors.log"
        fi
    done
}
calls_so_far() { cat "$WORK"/load-*.log 2>/dev/null | wc -l; }
load_start=$(now_ms)
for w in $(seq 1 $LOAD_WORKERS); do
    load_worker "$w" &
    LOAD_PIDS+=($!)
done
for ((try = 0; try < 200; try++)); do
    (($(calls_so_far) >= LOAD_BEFORE_TERM)) && break
    sleep 0.05
done

victim=${REPLICA_IDS[1]}
# An ExtractStream open on replica 1 itself (not through nginx, to pin it there)
# across the SIGTERM, the drain delay and the GOAWAY: its second message goes out
# a second after the replica stopped accepting connections, and must be answered.
(
    echo '{"document": {"id": "before", "text": "Hezbollah’s envoy spoke in Beirut."}}'
    for ((try = 0; try < 600; try++)); do
        [[ -f "$WORK/sigterm-sent" ]] && break
        [[ -d "$WORK" ]] || exit 0  # the script ended early
        sleep 0.1
    done
    sleep $((DRAIN_DELAY + 1))
    echo '{"document": {"id": "after", "text": "The Houthis fired at ships off Yemen."}}'
) | grpcurl -plaintext -max-time 60 "${PROTO[@]}" -d @ "127.0.0.1:${GRPC_PORTS[1]}" \
    entex.v1.EntityExtractor/ExtractStream >"$WORK/stream.out" 2>&1 &
stream_pid=$!
LOAD_PIDS+=("$stream_pid")
sleep 0.5
victim_count=$(extract_count "${METRICS_PORTS[1]}")
term_ms=$(now_ms)
"${PODMAN[@]}" kill --signal TERM "$victim" >/dev/null
touch "$WORK/sigterm-sent"
# The replica itself reports NOT_SERVING while it drains.
drain_status=unknown
for ((try = 0; try < 50; try++)); do
    drain_status=$("$WORK/entex" healthcheck --addr "127.0.0.1:${GRPC_PORTS[1]}" --timeout 1 2>/dev/null || true)
    [[ "$drain_status" == NOT_SERVING ]] && break
    sleep 0.02
done
[[ "$drain_status" == NOT_SERVING ]] || fail "replica 1 did not report NOT_SERVING after SIGTERM (got: $drain_status)"
# Its counter while draining: the calls nginx still sent it.
victim_count=$(extract_count "${METRICS_PORTS[1]}" 2>/dev/null || echo "$victim_count")
exit_code=$(timeout 60 "${PODMAN[@]}" wait "$victim") || fail "replica 1 did not exit within 60 s of SIGTERM"
exit_ms=$(now_ms)
echo "replica 1: NOT_SERVING while draining; exited with code $exit_code $((exit_ms - term_ms)) ms after SIGTERM"
wait "$stream_pid" || { cat "$WORK/stream.out" >&2; fail "the ExtractStream open across the drain failed"; }
[[ $(grep -c '"dictionaryVersion"' "$WORK/stream.out") == 2 ]] && grep -q '"id": "after"' "$WORK/stream.out" ||
    { cat "$WORK/stream.out" >&2; fail "the ExtractStream open across the drain lost its second answer"; }
echo "in-flight ExtractStream on replica 1: both messages answered, the second $((DRAIN_DELAY + 1)) s after SIGTERM"
for pid in "${LOAD_PIDS[@]}"; do [[ $pid == "$stream_pid" ]] || wait "$pid"; done
LOAD_PIDS=()
load_s=$(python3 -c "print(f'{($(now_ms) - $load_start) / 1000:.1f}')")

ok=$(cat "$WORK"/load-*.log | grep -c ' ok$' || true)
failed=$(cat "$WORK"/load-*.log | grep -c ' fail$' || true)
during=$(cat "$WORK"/load-*.log | awk -v a="$term_ms" -v b="$exit_ms" '$1 >= a && $1 <= b' | wc -l)
later=$(cat "$WORK"/load-*.log | awk -v b="$exit_ms" '$1 > b' | wc -l)
retried=$(grep -c 'upstream=[^ ]*, ' "$WORK/nginx-access.log" || true)
echo "load: $ok calls ok, $failed failed in $load_s s ($during finished while replica 1 drained, $later after it exited); nginx retried $retried request(s) on another replica"
if [[ -s "$WORK/nginx-error.log" ]]; then
    echo "nginx error log (what the retries were):"
    sed -E 's/^[0-9/]+ [0-9:]+ (\[[a-z]+\]) [0-9#]+: \*[0-9]+ /\1 /; s/, client: .*//' "$WORK/nginx-error.log" | sort | uniq -c | head -10
fi
"${PODMAN[@]}" logs "$victim" >"$WORK/victim.log" 2>&1
grep -E 'signal received|NOT_SERVING|draining|stopped|did not finish' "$WORK/victim.log" | cut -c1-200

if ((failed > 0)); then
    sort "$WORK/load-errors.log" | uniq -c | head -10 >&2
    fail "$failed call(s) failed while a replica drained"
fi
((later > 0)) || fail "the load ended before replica 1 exited: nothing proved about the calls after it"
[[ "$exit_code" == 0 ]] || fail "replica 1 exited with $exit_code, not 0"
grep -q 'shutdown requested; health is NOT_SERVING' "$WORK/victim.log" &&
    grep -q 'no longer accepting connections; draining in-flight requests' "$WORK/victim.log" &&
    grep -q '"stopped"' "$WORK/victim.log" || fail "replica 1's log does not show the drain"
grep -q 'did not finish in time' "$WORK/victim.log" && fail "replica 1 hit its shutdown timeout"

# ---------------------------------------------------------------------------
step "shedding: a burst through nginx to 2 replicas admitting $SHED_SLOTS calls each; a client with the retry policy"
# The client: entex-load (src/bin/entex-load.rs), built on the host; a debug build
# is enough to send the burst, and shares its dependencies with `cargo test`.
LOAD_BIN=${ENTEX_SMOKE_LOAD:-}
if [[ -z "$LOAD_BIN" ]]; then
    cargo build --locked --quiet --bin entex-load || fail "cannot build entex-load"
    LOAD_BIN=${CARGO_TARGET_DIR:-target}/debug/entex-load
fi
[[ -x "$LOAD_BIN" ]] || fail "no entex-load at $LOAD_BIN"
SHED_IDS=()
for i in 0 1; do
    started=$(now_ms)
    id=$("${PODMAN[@]}" run -d "${ULIMITS[@]}" --health-interval disable \
        --read-only --read-only-tmpfs=false --cap-drop ALL --security-opt no-new-privileges \
        -p "127.0.0.1:${SHED_GRPC_PORTS[i]}:50051" -p "127.0.0.1:${SHED_METRICS_PORTS[i]}:9090" \
        -e ENTEX_MAX_CONCURRENT_CALLS="$SHED_SLOTS" -e ENTEX_LOG_FORMAT=json \
        "$IMAGE" 2>"$WORK/run-shed-$i.err") || { cat "$WORK/run-shed-$i.err" >&2; fail "podman run failed"; }
    CONTAINERS+=("$id")
    SHED_IDS+=("$id")
    wait_serving "127.0.0.1:${SHED_GRPC_PORTS[i]}" "$started" >/dev/null || fail "shedding replica $i not SERVING"
done
# entex_admission_refused_total of one replica, summed over methods and budgets.
refused_count() {
    python3 - "$1" <<'EOF'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
print(int(sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith("entex_admission_refused_total{"))))
EOF
}
"$LOAD_BIN" --addr "$SHED_LB" --burst --concurrency "$SHED_CALLS" --batch-bytes 65536 --retry-attempts 5 \
    --seeds "$SHARED_DIR/eval/seeds" --json "$WORK/shed.json" >"$WORK/shed.out" 2>&1 ||
    { cat "$WORK/shed.out" >&2; fail "a call of the burst failed through nginx, retry policy and all"; }
cat "$WORK/shed.out"
SHED_REFUSED=()
for i in 0 1; do
    SHED_REFUSED+=("$(refused_count "${SHED_METRICS_PORTS[i]}")")
    healthy "127.0.0.1:${SHED_GRPC_PORTS[i]}" || fail "shedding replica $i is not SERVING after the burst"
done
read -r shed_calls shed_ok shed_failed shed_final_refused shed_retries <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["burst_calls"], r["ok"], r["failed"], r["refused"], r["retries"])' "$WORK/shed.json")"
((shed_ok == SHED_CALLS && shed_failed == 0 && shed_final_refused == 0)) ||
    fail "of $shed_calls calls, $shed_ok ok, $shed_failed failed, $shed_final_refused still refused"
((SHED_REFUSED[0] + SHED_REFUSED[1] > 0)) || fail "neither replica refused a call: the burst did not exercise shedding"
# nginx passes a refusal on as it is (HTTP 200, grpc-status 14 in the headers):
# it is no upstream error, and must not mark a replica failed.
if grep -q "${SHED_GRPC_PORTS[0]}\|${SHED_GRPC_PORTS[1]}" "$WORK/nginx-error.log" 2>/dev/null; then
    grep "${SHED_GRPC_PORTS[0]}\|${SHED_GRPC_PORTS[1]}" "$WORK/nginx-error.log" | tail -5 >&2
    fail "nginx logged errors for the shedding replicas"
fi
echo "shedding: $shed_ok of $shed_calls calls ok, none failed; the replicas refused ${SHED_REFUSED[*]} attempt(s)" \
    "with UNAVAILABLE, the client retried $shed_retries time(s); both stayed SERVING"

FINAL=()
for i in 0 2; do FINAL[i]=$(extract_count "${METRICS_PORTS[i]}"); done
FINAL[1]="$victim_count (read while it drained)"
RSS_END=()
for i in 0 2; do RSS_END+=("$(rss_mib "${REPLICA_IDS[i]}" | tr ' ' /)"); done

step "figures"
cat <<EOF
image size:            ${image_mb} MB ($IMAGE)
build time:            $((build_ms / 1000)).$(printf '%03d' $((build_ms % 1000))) s (dependency layer from cache: ${deps_cached})
podman run to SERVING: image alone ${alone_ms} ms; replicas ${START_MS[*]} ms (process start to serving: ${INSIDE_MS[*]} ms)
podman stop:           ${alone_stop_ms} ms, exit code 0
memory (RSS, MiB):     image alone ${alone_rss}; replicas at start ${RSS_START[*]}; peak with one reload ${RSS_RELOAD[*]}; replicas 0 and 2 at the end (now/peak) ${RSS_END[*]}
dictionary reload:     ${reload_ms} ms from the edit to all $REPLICAS replicas serving ${NEW_VERSIONS[0]}
spread ($SPREAD_CALLS calls):     ${COUNTS[*]} Extract calls per replica
drain under load:      $ok ok, $failed failed in $load_s s; replica 1 exit code $exit_code after $((exit_ms - term_ms)) ms (drain delay ${DRAIN_DELAY} s)
shedding burst:        $shed_ok of $shed_calls ok, $shed_failed failed; refusals by the 2 replicas ${SHED_REFUSED[*]}, client retries $shed_retries
Extract per replica:   0: ${FINAL[0]}; 1: ${FINAL[1]}; 2: ${FINAL[2]}
EOF
step "container smoke: ok"
