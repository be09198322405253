# rentport front door: each target a thin call into Meson/Ninja.
# make run | make test | make bench | make cluster | make asan | make fuzz | make clean
.POSIX:
.PHONY: all deps build run test asan fuzz bench cluster clean

MESON ?= meson
DATA_DIR ?= ./var

all: build

deps:
	@sh scripts/install-deps.sh
	@sh scripts/install-users.sh

build/build.ninja:
	$(MESON) setup build >/dev/null

build: deps build/build.ninja
	@ninja -C build

run: build
	@./build/rentport seed --demo --if-empty --data-dir=$(DATA_DIR)
	@exec ./build/rentport serve --data-dir=$(DATA_DIR)

# PostgreSQL, a core node and two web nodes on loopback (README, "Several
# nodes"); Ctrl-C stops them all.
cluster: build
	@exec python3 scripts/cluster.py

test: deps
	@sh scripts/test.sh

asan: deps
	@sh scripts/test.sh asan

fuzz: deps
	@sh scripts/fuzz.sh

bench: build
	@sh scripts/bench.sh

clean:
	rm -rf build build-asan build-fuzz
