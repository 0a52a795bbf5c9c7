# The README's commands. Everything real is in CMake; this only chains the
# steps so that a fresh clone on a fresh Debian machine needs nothing else.
JOBS ?= 2
RELEASE := build/release
DEBUG   := build/debug

.PHONY: all deps build run test bench clean

all: build

deps:
	@sh scripts/deps.sh

build: deps
	@cmake -S . -B $(RELEASE) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
	@cmake --build $(RELEASE) -j $(JOBS)

# The main job on the bundled samples.
run: build
	@sh scripts/run-samples.sh $(RELEASE)/relayaudit

test: deps
	@cmake -S . -B $(DEBUG) -DCMAKE_BUILD_TYPE=Debug -DRA_WERROR=ON >/dev/null
	@cmake --build $(DEBUG) -j $(JOBS)
	@cd $(DEBUG) && ctest --output-on-failure -j $(JOBS)

bench: build
	@sh scripts/deps.sh --bench
	@sh bench/run.sh $(RELEASE)/relayaudit

clean:
	rm -rf build
