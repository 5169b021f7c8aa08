# clearinghouse: the two commands of the README, and a few more.
#
#   make demo    set up, build, initialise ./clearinghouse.db with demo data and
#                serve on http://127.0.0.1:8080
#   make check   set up, build with AddressSanitizer and UndefinedBehaviorSanitizer,
#                and run every test (SQLite and PostgreSQL), then a short fuzz run
#
# Other targets: build (release build in ./build), test (tests of ./build),
# fuzz (libFuzzer targets, clang), bench (benchmarks), clean.

JOBS    ?= $(shell nproc 2>/dev/null || echo 2)
BUILD   ?= build
ASAN    ?= build-asan
FUZZ    ?= build-fuzz
FUZZ_SECONDS ?= 5
LISTEN  ?= 127.0.0.1:8080
DB      ?= sqlite:clearinghouse.db
BIN      = $(BUILD)/src/cli/clearinghouse

.PHONY: all setup build demo check test fuzz fuzz-run bench clean

all: build

setup:
	@scripts/setup --oracles --ui

build: setup
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCH_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

demo: build
	@scripts/demo $(BIN) "$(DB)" "$(LISTEN)"

test: build
	@cd $(BUILD) && ctest --output-on-failure --no-tests=error -j$(JOBS)

check: setup
	@tools/check-style
	@cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DCH_WERROR=ON \
	    -DCH_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN) -j$(JOBS)
	@cd $(ASAN) && ctest --output-on-failure --no-tests=error -j$(JOBS)
	@$(MAKE) --no-print-directory fuzz-run

fuzz: setup
	@CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCH_FUZZ=ON \
	    -DCH_TESTS=OFF >/dev/null
	@cmake --build $(FUZZ) -j$(JOBS)

# A short run of every fuzz target from its seed corpus; a crash fails the run.
fuzz-run: fuzz
	@scripts/fuzz-run $(FUZZ) $(FUZZ_SECONDS)

bench: build
	@cmake -S . -B $(BUILD) -DCH_BENCH=ON >/dev/null && cmake --build $(BUILD) -j$(JOBS)
	@echo "benchmarks built in $(BUILD)/bench; see bench/README.md"

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
