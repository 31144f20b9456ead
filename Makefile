# The two commands of the README: `make run` (the demo site) and `make test` (every test).
# Both install what they need first (scripts/install-deps.sh is idempotent).
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test unit functional e2e bench format clean

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

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
