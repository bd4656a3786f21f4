# onespace: the three entry points. Each installs missing Debian packages
# (as root, or through sudo) and then builds with CMake.
#   make demo   - the main job: a multi-process program inside onespace
#   make test   - build everything (gcc: plain, ASan+UBSan, TSan; clang:
#                 plain + the fuzz harnesses) and run the whole suite through
#                 ctest (with a short run of each fuzzer, label fuzz)
#   make bench  - run every benchmark; prints `bench:` lines
#   make fuzz   - run every fuzz harness FUZZ_SECONDS seconds each and merge
#                 the new interesting inputs into fuzz/<target>/corpus/

BUILD       ?= build
BUILD_CLANG ?= build-clang
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)

# Everything the build, the tests and the benchmarks need, as Debian packages.
PKGS := cmake make gcc clang pkg-config libcmocka-dev libjson-c-dev \
        libssl-dev libclang-rt-14-dev musl-tools libcapstone-dev

# Seconds each fuzz harness runs: in `make test` (ctest label fuzz) and in
# `make fuzz` (the long run).
FUZZ_TEST_SECONDS ?= 12
FUZZ_SECONDS      ?= 600

.PHONY: all deps build build-clang demo test bench fuzz clean

all: build

deps:
	@missing=""; for p in $(PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "onespace: installing missing Debian packages:$$missing"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(BUILD)/CMakeCache.txt: | deps
	cmake -S . -B $(BUILD) -DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# clang builds the plain variant only: it is there to keep clang -Werror clean
# and to run the unit tests a second time with another compiler. It also
# builds the libFuzzer harnesses (fuzz/), whose short runs are ctests.
build-clang: deps
	cmake -S . -B $(BUILD_CLANG) -DCMAKE_C_COMPILER=clang \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONESPACE_VARIANTS=plain \
	  -DONESPACE_FUZZ=ON -DONESPACE_FUZZ_SECONDS=$(FUZZ_TEST_SECONDS)
	cmake --build $(BUILD_CLANG) -j $(JOBS)

demo: build
	@demo/run_demo.sh $(BUILD)

# Both trees always run; the status says whether either failed.
test: build build-clang
	@status=0; \
	(cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600) || status=1; \
	(cd $(BUILD_CLANG) && ctest --output-on-failure -j $(JOBS) --timeout 600 -LE slow) || status=1; \
	if [ $$status -ne 0 ]; then echo "make test: FAILED"; else echo "make test: all tests passed"; fi; \
	exit $$status

bench: build
	@set -e; for b in $(BUILD)/bench/bench_*; do \
	  [ -x "$$b" ] || continue; echo "== $$(basename $$b)"; "$$b"; done

# The long run: each harness fuzzes FUZZ_SECONDS into a scratch corpus;
# new coverage is then merged (minimised) into the committed corpus and
# crashing inputs are left in fuzz/<target>/ as crash-* files.
fuzz: build-clang
	@status=0; for t in config loader vfs syscall; do \
	  echo "== fuzz $$t for $(FUZZ_SECONDS)s"; \
	  work=$$(mktemp -d /tmp/onespace-fuzz-XXXXXX); \
	  cp fuzz/$$t/corpus/* $$work/ 2>/dev/null; \
	  $(BUILD_CLANG)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=fuzz/$$t/ $$work || status=1; \
	  $(BUILD_CLANG)/fuzz/fuzz_$$t -merge=1 fuzz/$$t/corpus $$work >/dev/null 2>&1; \
	  rm -rf $$work; \
	done; \
	if [ $$status -ne 0 ]; then echo "make fuzz: crashes in fuzz/*/crash-*"; fi; exit $$status

clean:
	rm -rf $(BUILD) $(BUILD_CLANG)
