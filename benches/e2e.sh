#!/usr/bin/env bash
# The path a user runs, measured end to end: the `connector` CLI (release build) against a
# simulator serving the data from a separate process, under `/usr/bin/time -v`.
#
#   benches/e2e.sh xero-read  N [RUNS]   connector read xero invoices --full > pipe
#   benches/e2e.sh xero-sync  N [RUNS]   connector sync: Xero invoices → a JSON Lines file
#   benches/e2e.sh exact-sync N [RUNS]   connector sync: Exact Online items → a JSON Lines file
#
# N is the number of invoices (three lines each, generated page by page by the simulator)
# or items. Each run starts its own simulator (limits off: this measures the connector, not
# the API's pacing) and prints one line: records, API calls, user and system CPU-seconds,
# records per CPU-second, peak RSS and wall time; the last line gives the medians.
# SKIP_BUILD=1 skips `cargo build`; CONNECTOR_BIN=path runs another build of the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:?"xero-read|xero-sync|exact-sync"}
n=${2:?"a record count"}
runs=${3:-3}
bin=${CONNECTOR_BIN:-target/release/examples/connector}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    cargo build --quiet --release --example connector --features full
fi
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (GNU time)"; exit 1; }

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# Starts a simulator on a free port and waits until it prints its settings.
start_sim() {
    local system=$1
    local log=$work/sim.log
    : >"$log"
    "$bin" simulate "$system" --port 0 >"$log" 2>&1 &
    sim_pid=$!
    for _ in $(seq 1 300); do
        grep -q "REFRESH_TOKEN=" "$log" && return 0
        sleep 0.1
    done
    echo "the $system simulator did not start:"; cat "$log"; exit 1
}

# `KEY=value` settings the simulator printed, as exports.
sim_env() {
    grep -o 'CONNECTOR_[A-Z_]*=[^ <\][^ ]*' "$work/sim.log" | sed 's/^/export /'
}

one_run() {
    local out=$work/out.jsonl err=$work/time.txt
    rm -f "$out" "$work/state.sqlite"*
    case $what in
    xero-read | xero-sync)
        CONNECTOR_XERO_SIM_INVOICES=$n CONNECTOR_XERO_SIM_LIMITS=off start_sim xero
        eval "$(sim_env)"
        entity=invoices system=xero
        ;;
    exact-sync)
        CONNECTOR_EXACT_ONLINE_SIM_ITEMS=$n CONNECTOR_EXACT_ONLINE_SIM_LIMITS=off start_sim exact-online
        eval "$(sim_env)"
        entity=products system=exact-online
        ;;
    esac
    if [[ $what == xero-read ]]; then
        /usr/bin/time -v -o "$err" "$bin" --state "$work/state.sqlite" read xero invoices --full 2>"$work/run.err" |
            wc -l >"$work/count"
    else
        cat >"$work/flow.toml" <<EOF
name = "e2e-$what"
entity = "$entity"

[source]
system = "$system"

[sink]
system = "file"
options = { path = "out.jsonl" }
EOF
        /usr/bin/time -v -o "$err" "$bin" --state "$work/state.sqlite" sync "$work/flow.toml" --full \
            >"$work/run.err" 2>&1
        wc -l <"$out" >"$work/count"
    fi
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    local user sys rss wall calls count
    user=$(sed -n 's/.*User time (seconds): //p' "$err")
    sys=$(sed -n 's/.*System time (seconds): //p' "$err")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$err")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$err")
    calls=$(grep -o "$system: [0-9]* calls" "$work/run.err" | head -1 | grep -o '[0-9]*' || echo "?")
    count=$(tr -d ' ' <"$work/count")
    awk -v c="$count" -v k="$calls" -v u="$user" -v s="$sys" -v r="$rss" -v w="$wall" 'BEGIN {
        cpu = u + s
        printf "%s records  %s calls  user %.2f s  sys %.2f s  %.0f records/CPU-s  peak RSS %.1f MiB  wall %s\n",
            c, k, u, s, (cpu > 0 ? c / cpu : 0), r / 1024, w
    }'
}

results=$work/results
for _ in $(seq 1 "$runs"); do
    one_run | tee -a "$results"
done
# Medians of records/CPU-s, user, sys and RSS over the runs.
awk '{ rate[NR] = $11; user[NR] = $6; sys[NR] = $9; rss[NR] = $15 }
function median(a, n,   i, j, t) {
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
END { printf "median of %d: %.0f records/CPU-s, user %.2f s, sys %.2f s, peak RSS %.1f MiB\n",
      NR, median(rate, NR), median(user, NR), median(sys, NR), median(rss, NR) }' "$results"
