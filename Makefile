# The two commands of the README: `make run` (the demo site) and `make test` (every test).
# Both install what they need first (scripts/install-deps.sh is idempotent).
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test unit functional e2e bench sanitize tsan format clean

all: build

deps:
	./scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	ninja -C $(BUILD) -j $(JOBS)

# Embedded SQLite under ./data, demo content on first start.
run: build
	$(BUILD)/calipso demo
	$(BUILD)/calipso serve

# Unit, functional (SQLite and PostgreSQL) and browser tests, with a throwaway PostgreSQL.
test: build
	tests/support/with-postgres.sh tests/run-all.sh $(BUILD)

unit: build
	tests/support/with-postgres.sh sh -c 'cd $(BUILD) && CALIPSO_TEST_REQUIRE_PG=1 ctest --output-on-failure -j $(JOBS)'

functional: build
	tests/support/with-postgres.sh sh -c 'CALIPSO_BIN=$(BUILD)/calipso CALIPSO_TEST_REQUIRE_PG=1 /usr/bin/python3 -m pytest tests/functional -q'

e2e: build
	CALIPSO_BIN=$(BUILD)/calipso tests/e2e/run.sh

bench: build
	bench/run.sh

# Unit and functional tests against an AddressSanitizer + UBSan build (in build-asan; slow to
# build, so not part of `make test`). Any report fails the run: the server must exit 0.
sanitize: deps
	cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALIPSO_JEMALLOC=OFF \
	  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
	ninja -C build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  tests/support/with-postgres.sh sh -c 'build-asan/unit_tests && \
	  CALIPSO_BIN=build-asan/calipso CALIPSO_TEST_REQUIRE_PG=1 /usr/bin/python3 -m pytest tests/functional -q'

# The same under ThreadSanitizer (build-tsan). A race report makes the server exit non-zero,
# which fails its test; tests/support/tsan.supp lists the known false positives.
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCALIPSO_JEMALLOC=OFF \
	  -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
	ninja -C build-tsan -j $(JOBS) calipso unit_tests
	TSAN_OPTIONS="suppressions=$(CURDIR)/tests/support/tsan.supp" \
	  tests/support/with-postgres.sh sh -c 'build-tsan/unit_tests && \
	  CALIPSO_BIN=build-tsan/calipso CALIPSO_TEST_REQUIRE_PG=1 /usr/bin/python3 -m pytest tests/functional -q'

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
