#!/usr/bin/env bash
# A fleet's throughput: W `connector worker --once` processes (release build), each under
# `/usr/bin/time -v`, on one throwaway PostgreSQL schedule; each tenant's Exact Online
# division is a simulator process of its own (every call takes LATENCY_MS, as a real API's
# round trip does). Customer files → Exact Online accounts.
#
#   benches/fleet.sh tenants T N [RUNS]  T tenants, one flow each of N customers; the
#                                        division's real limits (60 calls a minute): each
#                                        run fits its division's budget
#   benches/fleet.sh shared N [RUNS]     one tenant, three flows of N customers each into one
#                                        division limited to PER_MINUTE calls a minute: the
#                                        workers share that budget through PostgreSQL
#
# Each run is done with 1, 2 and 3 workers and prints one line per worker count: records,
# calls, 429s, wall time, records and calls per second, the workers' summed CPU-seconds and
# their largest peak RSS. The last lines give the medians. SKIP_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:?"tenants T N | shared N"}
if [[ $what == tenants ]]; then
    tenants=${2:?"a tenant count"} n=${3:?"customers per tenant"} runs=${4:-3}
    flows=(customers)
else
    tenants=1 n=${2:?"customers per flow"} runs=${3:-1}
    flows=(customers-a customers-b customers-c)
fi
latency=${LATENCY_MS:-20}
per_minute=${PER_MINUTE:-300}
bin=${CONNECTOR_BIN:-$PWD/target/release/examples/connector}
if [[ -z "${SKIP_BUILD:-}" ]]; then
    cargo build --quiet --release --example connector --features full
fi
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (GNU time)"; exit 1; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[[ -x $pgbin/initdb ]] || { echo "needs PostgreSQL's initdb and pg_ctl"; exit 1; }

work=$(mktemp -d)
chmod 777 "$work"
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    kill $(jobs -p) 2>/dev/null || true
    as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
as_pg "$pgbin/initdb" -D "$work/pg" -A trust -U postgres >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w \
    -o "-p $port -k $work -c listen_addresses=127.0.0.1" start >/dev/null
url="postgres://postgres@127.0.0.1:$port/postgres"
export CONNECTOR_STATE_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

mkdir -p "$work/flows"
for flow in "${flows[@]}"; do
    if [[ $what == tenants ]]; then source_options=""; else source_options="options = { path = \"$flow.csv\" }"; fi
    cat >"$work/flows/$flow.toml" <<TOML
name = "$flow"
entity = "customers"

[source]
system = "file"
$source_options

[sink]
system = "exact-online"
TOML
done
customers() { # tenant, prefix
    echo "number,name,emails.0.address"
    for i in $(seq 1 "$n"); do echo "$1-$2$i,Kunde $i van $1,$2$i@$1.example"; done
}

# Starts tenant t's division and registers the tenant with its settings and schedule.
add_tenant() {
    local t=$1 log=$work/sim-$1.log
    CONNECTOR_EXACT_ONLINE_SIM_LATENCY_MS=$latency CONNECTOR_EXACT_ONLINE_SIM_PER_MINUTE=$2 \
        "$bin" simulate exact-online --port 0 >"$log" 2>&1 &
    for _ in $(seq 1 300); do grep -q "REFRESH_TOKEN=" "$log" && break; sleep 0.05; done
    local opts=()
    for key in API_URL TOKEN_URL CLIENT_ID CLIENT_SECRET REFRESH_TOKEN; do
        local v
        v=$(grep -o "CONNECTOR_EXACT_ONLINE_$key=[^ ]*" "$log" | head -1 | cut -d= -f2-)
        opts+=(-o "$(echo "$key" | tr 'A-Z' 'a-z')=$v")
    done
    "$bin" tenants add "$t" exact-online --postgres "$url" "${opts[@]}" >/dev/null
    if [[ $what == tenants ]]; then
        customers "$t" C >"$work/flows/$t.csv"
        "$bin" tenants add "$t" file --postgres "$url" -o "path=$work/flows/$t.csv" >/dev/null
    else
        for flow in "${flows[@]}"; do customers "$t" "${flow: -1}" >"$work/flows/$flow.csv"; done
    fi
    for flow in "${flows[@]}"; do
        "$bin" tenants schedule "$t" "$flow" --postgres "$url" --every 86400 >/dev/null
    done
}

one_run() { # workers
    local w=$1
    kill $(jobs -p) 2>/dev/null || true
    wait 2>/dev/null || true
    as_pg "$pgbin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c \
        "SET client_min_messages TO warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public;" postgres >/dev/null
    local limit=$per_minute
    [[ $what == tenants ]] && limit=60
    for t in $(seq -f "t%03g" 1 "$tenants"); do add_tenant "$t" "$limit"; done
    local start end pids=()
    start=$(date +%s.%N)
    for i in $(seq 1 "$w"); do
        /usr/bin/time -v -o "$work/time-$i.txt" "$bin" worker --once --postgres "$url" \
            --flows "$work/flows" --name "w$i" >"$work/worker-$i.log" 2>&1 &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p"; done
    end=$(date +%s.%N)
    local records calls limited cpu rss
    records=$(cat "$work"/worker-*.log | grep -o 'created [0-9]*' | awk '{s+=$2} END {print s+0}')
    calls=$(cat "$work"/worker-*.log | grep -o 'calls [0-9]*' | awk '{s+=$2} END {print s+0}')
    limited=$(cat "$work"/worker-*.log | grep -o '429s [0-9]*' | awk '{s+=$2} END {print s+0}')
    cpu=$(cat "$work"/time-*.txt | awk -F: '/User time|System time/ {s+=$2} END {printf "%.2f", s}')
    rss=$(cat "$work"/time-*.txt | awk -F: '/Maximum resident/ {if ($2>m) m=$2} END {printf "%.1f", m/1024}')
    rm -f "$work"/worker-*.log "$work"/time-*.txt
    kill $(jobs -p) 2>/dev/null || true # the simulators
    wait 2>/dev/null || true
    awk -v w="$w" -v r="$records" -v c="$calls" -v l="$limited" -v s="$start" -v e="$end" \
        -v cpu="$cpu" -v rss="$rss" 'BEGIN {
            wall = e - s
            printf "workers=%d records=%d calls=%d 429s=%d wall=%.1fs records/s=%.1f calls/s=%.1f cpu=%ss peak_rss=%sMiB\n",
                w, r, c, l, wall, r / wall, c / wall, cpu, rss
        }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for w in 1 2 3; do
    for r in $(seq 1 "$runs"); do one_run "$w"; done | tee "$work/w$w.txt"
    if [[ $runs -gt 1 ]]; then
        echo "median workers=$w wall=$(grep -o 'wall=[0-9.]*' "$work/w$w.txt" | cut -d= -f2 | median)s" \
            "records/s=$(grep -o 'records/s=[0-9.]*' "$work/w$w.txt" | cut -d= -f2 | median)"
    fi
done
