# The README's commands. Everything real is in CMake; this only chains the
# steps so that a fresh clone on a fresh Debian machine needs nothing else.
JOBS ?= 2
RELEASE := build/release
DEBUG   := build/debug

.PHONY: all deps build run test bench fuzz valgrind clean

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

# Each fuzz target for FUZZ_SECONDS (clang + libFuzzer); new inputs stay
# under build/fuzz, crashes are printed with the file that reproduces them.
FUZZ_SECONDS ?= 60
fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz needs clang: apt-get install clang" >&2; exit 1; }
	@CC=clang cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=Debug -DRA_FUZZ=ON >/dev/null
	@cmake --build build/fuzz -j $(JOBS)
	@sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

# The golden CLI tests again under valgrind (no sanitizers in this build).
valgrind: deps
	@command -v valgrind >/dev/null || { echo "make valgrind needs valgrind: apt-get install valgrind" >&2; exit 1; }
	@cmake -S . -B build/valgrind -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build/valgrind -j $(JOBS)
	@cd build/valgrind && RELAYAUDIT_NO_JIT=1 RA_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite" ctest -R golden -j $(JOBS) --output-on-failure

clean:
	rm -rf build
