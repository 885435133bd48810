#!/usr/bin/env bash
# `cobro run` on SQLite under the wall clock (BENCHMARKS.md §3d, issue 14
# item 4): 20,000 demo accounts (seed 2026), a campaign started yesterday
# with an email, an SMS and a voice step all due at 00:00 under the
# `anytime` pack, launched into a fresh SQLite store and worked by one
# process with the default [worker] settings until nothing is pending;
# once with the outbox transport (a file per message) and once with every
# channel on the null transport.
#
#   bash scripts/bench-sqlite-work.sh                 # this tree's release binary
#   bash scripts/bench-sqlite-work.sh before=/path/to/old/cobro after=target/release/cobro
#   bash scripts/bench-sqlite-work.sh apalis=target/release/cobro inproc=target/release/cobro,--queue=inprocess:
#
# A spec is LABEL=BINARY[,ARG…]: the ARGs (commas between them) are added
# to that binary's `cobro run`.
# Each LABEL=BINARY is measured in the same run, interleaved (run 1 of
# each, then run 2 of each…), so the ratio between them is a same-run
# ratio. Environment: ACCOUNTS (20000), SEED (2026), RUNS (3),
# TRANSPORTS ("outbox null"), WORK (/tmp/bench-sqlite-work, wiped),
# SUPPRESSIONS (0: how many opt-outs to import before the run, numbers
# that are not the portfolio's, as a long-running store's list would be).
# Prints one line per run and the medians; needs python3 and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS="${ACCOUNTS:-20000}"
SEED="${SEED:-2026}"
RUNS="${RUNS:-3}"
TRANSPORTS="${TRANSPORTS:-outbox null}"
WORK="${WORK:-/tmp/bench-sqlite-work}"
SUPPRESSIONS="${SUPPRESSIONS:-0}"

bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
    cargo build --release -p cobro-dispatcher --bin cobro
    bins=("this=${CARGO_TARGET_DIR:-target}/release/cobro")
fi
for spec in "${bins[@]}"; do
    bin="${spec#*=}"
    bin="${bin%%,*}"
    [ -x "$bin" ] || { echo "not an executable: $bin (LABEL=BINARY)" >&2; exit 2; }
done

rm -rf "$WORK"
mkdir -p "$WORK/campaign"
# The campaign files (the dispatcher's test scaffolding, a debug build).
cargo run -q -p cobro-dispatcher --example open_campaign -- "$WORK/campaign" "$ACCOUNTS" "$SEED" >/dev/null
campaign="$WORK/campaign/campaign.toml"
cat >"$WORK/null.toml" <<'EOF'
[channels.email]
provider = "null"

[channels.sms]
provider = "null"

[channels.voice]
provider = "null"
EOF

# One launched store per binary, copied for every run (the launch is not
# what is measured).
for spec in "${bins[@]}"; do
    label="${spec%%=*}"
    bin="${spec#*=}"
    bin="${bin%%,*}"
    mkdir -p "$WORK/$label"
    "$bin" launch "$campaign" --store "sqlite://$WORK/$label/launched.db" >/dev/null
    if [ "$SUPPRESSIONS" -gt 0 ]; then
        python3 -c "import sys; [print(f'+1999{i:07d}') for i in range(int(sys.argv[1]))]" \
            "$SUPPRESSIONS" >"$WORK/suppressions.txt"
        "$bin" suppress import "$WORK/suppressions.txt" --store "sqlite://$WORK/$label/launched.db" >/dev/null
    fi
done

results="$WORK/results.tsv"
printf 'label\ttransport\trun\tcontacts\tsent\tblocked\tworker_s\trate\tcpu\trss_mb\tload1\n' >"$results"
for run in $(seq 1 "$RUNS"); do
    for transport in $TRANSPORTS; do
        for spec in "${bins[@]}"; do
            label="${spec%%=*}"
            bin="${spec#*=}"
            args=()
            if [[ "$bin" == *,* ]]; then
                IFS=, read -r -a args <<<"${bin#*,}"
            fi
            bin="${bin%%,*}"
            dir="$WORK/$label/$transport-$run"
            mkdir -p "$dir"
            cp "$WORK/$label/launched.db" "$dir/w.db"
            # What the launch left in its write-ahead log, if anything.
            for suffix in -wal -shm; do
                if [ -f "$WORK/$label/launched.db$suffix" ]; then
                    cp "$WORK/$label/launched.db$suffix" "$dir/w.db$suffix"
                fi
            done
            extra=()
            [ "$transport" = null ] && extra=(--config "$WORK/null.toml")
            load=$(cut -d' ' -f1 /proc/loadavg)
            /usr/bin/time -v -o "$dir/time.txt" "$bin" run "$campaign" \
                --store "sqlite://$dir/w.db" --outbox "$dir/outbox" "${extra[@]}" "${args[@]}" \
                >"$dir/report.json" 2>"$dir/stderr.txt"
            python3 - "$dir" "$label" "$transport" "$run" "$load" >>"$results" <<'PY'
import json, re, sys
d, label, transport, run, load = sys.argv[1:]
report = json.loads(open(f"{d}/report.json").read().strip().splitlines()[-1])
time = open(f"{d}/time.txt").read()
cpu = re.search(r"Percent of CPU this job got: (\d+)%", time).group(1)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", time).group(1)) // 1024
n = sum(report[k] for k in ("sent", "rescheduled", "blocked", "cancelled", "failed", "unknown", "skipped"))
s = report["elapsed_ms"] / 1000
print(f"{label}\t{transport}\t{run}\t{n}\t{report['sent']}\t{report['blocked']}\t{s:.1f}\t{n / s:.0f}\t{cpu}\t{rss}\t{load}")
PY
            tail -n 1 "$results"
        done
    done
done

python3 - "$results" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
print("\nmedians (contacts/s):")
groups = {}
for r in rows:
    groups.setdefault((r["label"], r["transport"]), []).append(r)
for (label, transport), rs in groups.items():
    rates = [float(r["rate"]) for r in rs]
    print(f"  {label:>10} {transport:>7}: {statistics.median(rates):7.0f}  "
          f"(runs {', '.join(r['rate'] for r in rs)}; worker s {', '.join(r['worker_s'] for r in rs)}; "
          f"CPU {', '.join(r['cpu'] for r in rs)} %; RSS {', '.join(r['rss_mb'] for r in rs)} MB; "
          f"load {', '.join(r['load1'] for r in rs)}; contacts {rs[0]['contacts']})")
PY
