#!/usr/bin/env bash
# Fuzzing entex with AFL++ through cargo-afl, on the stable toolchain (see
# docs/fuzzing.md for why this fuzzer, the targets and the campaign figures).
#
#   scripts/fuzz.sh <target> <seconds>   one campaign of one target, at nice 19, on one core;
#                                        its figures at the end; output in fuzz/out/<target>/
#   scripts/fuzz.sh ci [seconds]         every target, one after the other, from the seed
#                                        corpora, FUZZ_CI_SECONDS (default 20) each: fails on a crash
#   scripts/fuzz.sh build                the instrumented binaries only
#   scripts/fuzz.sh replay <target> <file>...
#                                        runs inputs (a crash AFL++ saved) through a target, outside AFL++
#   scripts/fuzz.sh targets              lists the targets
#
# Installs cargo-afl (pinned, from crates.io: it builds AFL++ from the source
# it bundles, with the C compiler) when it is missing. The instrumented build
# goes to ENTEX_FUZZ_TARGET_DIR (default fuzz/target), never to the
# project's own target directory. ENTEX_FUZZ_PREBUILT=1: a campaign uses the
# binaries already built (`scripts/fuzz.sh build` once, then campaigns of
# several targets side by side, none of them starting cargo).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_AFL_VERSION="0.18.2"
TARGETS=(fold matcher dictionary artefact rpc)
TARGET_DIR="${ENTEX_FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
OUT_ROOT="${ENTEX_FUZZ_OUT:-$PWD/fuzz/out}"
# Per-input time limit, ms: generous, since an input of the matcher and
# dictionary targets builds a dictionary, and this machine is shared. The
# artefact target's load a small artefact, well under a millisecond, and an
# endless scan is what it looks for (bug artefact-automaton-unchecked): 1 s.
timeout_ms() {
    case "$1" in
        artefact) echo "${ENTEX_FUZZ_TIMEOUT_MS:-1000}" ;;
        *) echo "${ENTEX_FUZZ_TIMEOUT_MS:-5000}" ;;
    esac
}

usage() {
    sed -n '2,20p' "$0" >&2
    exit 2
}

# The installed cargo-afl's version, or nothing.
afl_version() {
    cargo afl --version 2>/dev/null | awk '{print $2}' || true
}

ensure_afl() {
    if [[ "$(afl_version)" != "${CARGO_AFL_VERSION}" ]]; then
        echo "installing cargo-afl ${CARGO_AFL_VERSION} (builds AFL++; a few minutes)" >&2
        cargo install --locked --quiet cargo-afl --version "${CARGO_AFL_VERSION}"
    fi
    # AFL++ is built (with make and the C compiler) once per rustc version:
    # after an install or a toolchain update. "already built" is fine; any
    # other failure (no make, no cc) is reported here, not as a puzzling
    # afl-fuzz error later.
    local output
    if ! output=$(cargo afl config --build 2>&1); then
        if ! grep -q "already built" <<<"${output}"; then
            echo "cargo afl config --build failed:" >&2
            echo "${output}" >&2
            exit 1
        fi
    fi
}

build() {
    ensure_afl
    echo "building the instrumented targets (release, in ${TARGET_DIR})" >&2
    (cd fuzz && CARGO_TARGET_DIR="${TARGET_DIR}" cargo afl build --release --locked --features afl --bins --quiet)
}

check_target() {
    local target=$1 known
    for known in "${TARGETS[@]}"; do
        [[ "${known}" == "${target}" ]] && return 0
    done
    echo "unknown target '${target}'; targets: ${TARGETS[*]}" >&2
    exit 2
}

# One field of AFL++'s fuzzer_stats.
stat() {
    awk -F' *: *' -v key="$2" '$1 == key {print $2}' "$1/default/fuzzer_stats"
}

# Runs afl-fuzz on one target for $2 seconds, output in $3; prints figures.
fuzz_one() {
    local target=$1 seconds=$2 out=$3
    rm -rf "${out}"
    mkdir -p "${out}"
    # A copy of the binary: a rebuild during a campaign leaves it alone, and
    # the crashes stay reproducible with the binary that found them.
    cp "${TARGET_DIR}/release/${target}" "${out}/${target}"
    # AFL_NO_AFFINITY: the machine is shared, so no core is claimed.
    # AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES / AFL_SKIP_CPUFREQ: core dumps go
    # to a handler and the CPU governor is not ours to change; both only
    # affect speed. AFL_NO_UI: plain status lines for logs.
    local started=${SECONDS}
    AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
        nice -n 19 cargo afl fuzz -i "fuzz/corpus/${target}" -o "${out}" -V "${seconds}" -t "$(timeout_ms "${target}")" -m none \
        -- "${out}/${target}" >"${out}/afl.log" 2>&1 || {
        echo "afl-fuzz failed on ${target}; the end of its log:" >&2
        tail -30 "${out}/afl.log" >&2
        return 1
    }
    local wall=$((SECONDS - started))
    local crashes hangs
    crashes=$(stat "${out}" saved_crashes)
    hangs=$(stat "${out}" saved_hangs)
    printf '%-10s wall %5ss  fuzzing %5ss  execs %10s  (%s/s)  corpus %5s  edges %s/%s (%s)  crashes %s  hangs %s\n' \
        "${target}" "${wall}" "$(stat "${out}" run_time)" "$(stat "${out}" execs_done)" \
        "$(stat "${out}" execs_per_sec)" "$(stat "${out}" corpus_count)" "$(stat "${out}" edges_found)" \
        "$(stat "${out}" total_edges)" "$(stat "${out}" bitmap_cvg)" "${crashes}" "${hangs}"
    if [[ "${crashes}" != "0" ]]; then
        echo "${target}: crashes saved in ${out}/default/crashes; reproduce with: scripts/fuzz.sh replay ${target} <file>" >&2
        return 1
    fi
}

case "${1:-}" in
    targets)
        printf '%s\n' "${TARGETS[@]}"
        ;;
    build)
        build
        ;;
    replay)
        [[ $# -ge 3 ]] || usage
        check_target "$2"
        target=$2
        shift 2
        [[ -x "${TARGET_DIR}/release/${target}" ]] || build
        status=0
        for file in "$@"; do
            echo "=== ${file}"
            "${TARGET_DIR}/release/${target}" <"${file}" || status=1
        done
        exit "${status}"
        ;;
    ci)
        seconds="${2:-${FUZZ_CI_SECONDS:-20}}"
        build
        failed=()
        for target in "${TARGETS[@]}"; do
            fuzz_one "${target}" "${seconds}" "${OUT_ROOT}/ci-${target}" || failed+=("${target}")
        done
        if ((${#failed[@]})); then
            echo "fuzzing failed: ${failed[*]}" >&2
            exit 1
        fi
        ;;
    "" | -h | --help)
        usage
        ;;
    *)
        [[ $# -eq 2 && "$2" =~ ^[0-9]+$ ]] || usage
        check_target "$1"
        if [[ "${ENTEX_FUZZ_PREBUILT:-0}" != "1" ]]; then
            build
        fi
        fuzz_one "$1" "$2" "${OUT_ROOT}/$1"
        ;;
esac
