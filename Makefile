# The two set-up commands of the README are `make run` and `make test`.
# Both install their own dependencies first (quick when already present).

BUILD      ?= build
BUILD_ASAN ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

# Lets ccache reuse objects across checkouts in other folders (CI clones anew).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: all deps-run deps-test deps-package build run test test-asan bench package package-test clean fuzz fuzz-ci

all: build

deps-run:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

deps-package:
	@scripts/install-deps.sh package

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTREAMHOST_WERROR=ON $(CMAKE_ARGS)

build: deps-run $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS) --target server

# Builds and starts streamhostd on examples/quickstart.yaml (SQLite under ./data).
run: build
	@scripts/quickstart.sh $(BUILD)

# Builds everything and runs every test: unit, ABI, integration.
test: deps-test $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j$(JOBS)

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer: the
# daemon and plugins the integration tests start are sanitized builds too.
test-asan: deps-test
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DSTREAMHOST_SANITIZE=ON -DSTREAMHOST_WERROR=ON \
	  -DSTREAMHOST_BUILD_INTEGRATION_TESTS=ON $(CMAKE_ARGS)
	cmake --build $(BUILD_ASAN) -j$(JOBS)
	cd $(BUILD_ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure --timeout 900 -j$(JOBS)

bench: deps-test
	cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DSTREAMHOST_BUILD_BENCH=ON -DSTREAMHOST_BUILD_TESTS=OFF
	cmake --build build-bench -j$(JOBS)
	bench/run_all.sh build-bench

# libFuzzer targets (clang) for the JSON readers, webhook bodies and signature
# headers, journal frames and recovery, the YAML config, the pgoutput decoder
# and the API's request targets and query parameters: each runs FUZZ_SECONDS.
FUZZ_SECONDS ?= 600
fuzz: deps-test
	scripts/fuzz.sh build-fuzz time $(FUZZ_SECONDS)

# What CI runs: every target built and run over its seeds plus a fixed number of inputs.
fuzz-ci: deps-test
	scripts/fuzz.sh build-fuzz runs 5000

# deb, dbgsym ddeb and rpm (plus the SDK's) into $(BUILD)/packages.
package: build
	cmake --build $(BUILD) -j$(JOBS) --target package_scripts
	rm -rf $(BUILD)/packages
	cd $(BUILD) && cpack -G "DEB;RPM"
	packaging/finish-packages.sh $(BUILD)/packages

# The packages in a throwaway Debian 12 root: lint, install, first key,
# upgrade N -> N+1, refused downgrade, purge (packaging/test/package-test.sh).
package-test: deps-package $(BUILD)/CMakeCache.txt
	packaging/test/package-test.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD)-pkg-next build-bench build-fuzz
