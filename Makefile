# The README's two commands, `make demo` and `make test`, plus the pieces they are made of.
# Each target first runs the idempotent setup (Debian + npm packages, Debian sources for wasm).
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD ?= build
WASM_BUILD ?= build-wasm
ASAN_BUILD ?= build-asan
export NODE_PATH := /usr/share/nodejs
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo -G Ninja)

.PHONY: all setup native wasm asan builds test demo bench fuzz clean
all: native wasm

setup:
	@scripts/setup

native: setup
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

wasm: setup
	scripts/build-wasm-deps
	emcmake cmake -S . -B $(WASM_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release \
	  -DCMAKE_CROSSCOMPILING_EMULATOR="/usr/bin/node;--no-experimental-fetch"
	cmake --build $(WASM_BUILD) -j $(JOBS)

# The core and the weight readers under AddressSanitizer + UndefinedBehaviorSanitizer (clang),
# with the libFuzzer targets; its ctest runs the core's tests and 60 s of fuzzing per target.
asan: setup
	CC=clang CXX=clang++ cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCATDOG_CORE_ONLY=ON -DCATDOG_SANITIZE=ON -DCATDOG_FUZZ=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)

# The three trees build side by side: each one's serial steps (configure, the wasm
# dependencies' own configure scripts, links) leave a core idle that the others fill.
# -Otarget prints each tree's log whole, when it is done.
builds:
	$(MAKE) --no-print-directory -j3 -Otarget native wasm asan

test: builds
	scripts/run-tests $(BUILD) $(WASM_BUILD) $(ASAN_BUILD)

demo:
	$(MAKE) --no-print-directory -j2 -Otarget native wasm
	scripts/demo

bench: native
	bench/preprocess

clean:
	rm -rf $(BUILD) $(WASM_BUILD) $(ASAN_BUILD)

# libFuzzer targets under ASan + UBSan, built with clang and without LibTorch;
# bench/fuzz runs each one FUZZ_SECONDS (default 60) and prints executions, coverage, findings.
# `make fuzz FUZZ_SECONDS=600` is the long campaign; it reuses the sanitizer build.
FUZZ_SECONDS ?= 60
fuzz: asan
	bench/fuzz --build $(ASAN_BUILD) $(FUZZ_SECONDS)
