#!/usr/bin/env bash
# make demo: an onespace instance running a real multi-process program.
#   run_demo.sh BUILD_DIR
set -euo pipefail
build=$1
onespace=$build/tools/onespace
instance=$build/demo-instance
if [ ! -f "$instance/onespace.json" ]; then
  "$onespace" init "$instance"
fi
cp "$build/demo/pipeline" "$instance/image/bin/pipeline"
work=$(mktemp -d "${TMPDIR:-/tmp}/onespace-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

echo "== onespace run --stats -C $instance /bin/pipeline"
echo "   (demo/pipeline.c: a coordinator and 4 worker processes, pipes, epoll,"
echo "    posix_spawn, threads, mmap; all inside ONE host process)"
start=$(date +%s%N)
# --stats: at exit onespace prints (stderr) every guest process and the
# memory pool's use; the guest's own output is stdout.
"$onespace" run --stats -C "$instance" /bin/pipeline > "$work/onespace.out" 2> "$work/stats.txt" &
host_pid=$!
host_threads=0
# While it runs, count the host threads of that one process (every guest
# thread is one of them).
while kill -0 "$host_pid" 2>/dev/null; do
  n=$(ls /proc/"$host_pid"/task 2>/dev/null | wc -l || true)
  [ "${n:-0}" -gt "$host_threads" ] && host_threads=$n
  sleep 0.05
done
status=0
wait "$host_pid" || status=$?
onespace_ms=$(ms_since "$start")
cat "$work/onespace.out"
grep -v '^onespace stats:' "$work/stats.txt" >&2 || true
if [ "$status" -ne 0 ]; then
  echo "onespace run failed (status $status)" >&2
  exit "$status"
fi

echo
echo "== the same program natively (one Linux process each), for comparison"
start=$(date +%s%N)
(cd "$instance/image" && ./bin/pipeline) > "$work/native.out"
native_ms=$(ms_since "$start")
tail -3 "$work/native.out"

# The summary.
guests=$(sed -n 's/^onespace stats: \([0-9]*\) guest processes.*/\1/p' "$work/stats.txt")
moved=$(sed -n 's/^coordinator: \([0-9.]*\) MiB moved.*/\1/p' "$work/onespace.out")
guest_s=$(sed -n 's/.*(own check: [0-9]*) in \([0-9.]*\) s$/\1/p' "$work/onespace.out")
native_s=$(sed -n 's/.*(own check: [0-9]*) in \([0-9.]*\) s$/\1/p' "$work/native.out")
echo
echo "== summary"
echo "   onespace: 1 host process (pid $host_pid, up to $host_threads host threads) ran"
echo "             ${guests:-?} guest processes; ${moved:-?} MiB moved through pipes;"
echo "             ${guest_s:-?} s inside the program, $onespace_ms ms for the whole command"
echo "   natively: 5 Linux processes; ${native_s:-?} s inside the program, $native_ms ms in all"
echo "   memory pool use per guest process (onespace run --stats):"
sed -n 's/^onespace stats: /     /p' "$work/stats.txt" | tail -n +2
