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

echo "== onespace run -C $instance /bin/pipeline"
echo "   (5 processes, 10 threads, pipes, epoll, posix_spawn, mmap: one host process)"
start=$(date +%s%N)
"$onespace" run -C "$instance" /bin/pipeline
end=$(date +%s%N)
echo "   onespace: whole run $(( (end - start) / 1000000 )) ms"

echo "== the same program natively, for comparison"
start=$(date +%s%N)
(cd "$instance/image" && ./bin/pipeline | tail -2)
end=$(date +%s%N)
echo "   native: whole run $(( (end - start) / 1000000 )) ms"
