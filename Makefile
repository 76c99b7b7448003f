# jiaxiao — the two commands. `make run` builds and serves the demo
# district; `make test` builds with ASan+UBSan and runs every test.
BUILD      ?= build
TEST_BUILD ?= build-test
DATA       ?= data
JOBS       ?= 2
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test bench fuzz format clean

all: build

deps:
	@sh scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

run: build
	$(BUILD)/jiaxiao demo --data $(DATA) --set plugin_dir=$(BUILD)/plugins

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

test: build node_modules/.package-lock.json
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug \
		-DJX_SANITIZE=ON -DJX_TESTING=ON
	cmake --build $(TEST_BUILD) -j$(JOBS)
	ctest --test-dir $(TEST_BUILD) --output-on-failure -j$(JOBS)

bench: build
	sh bench/run.sh $(BUILD)
	sh bench/import.sh $(BUILD)
	sh bench/keyinfo.sh $(BUILD)
	sh bench/load.sh $(BUILD)
	sh bench/files.sh $(BUILD)
	sh bench/feeds.sh $(BUILD)
	sh bench/stats.sh $(BUILD)

fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DJX_FUZZ=ON \
		-DJX_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-fuzz -j$(JOBS) --target fuzz_multipart \
		fuzz_json_body fuzz_wechat_xml
	for t in fuzz_multipart fuzz_json_body fuzz_wechat_xml; do \
		mkdir -p build-fuzz/corpus/$$t && \
		build-fuzz/tests/$$t -max_total_time=$(FUZZ_SECONDS) \
			build-fuzz/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

format:
	cmake --build $(BUILD) --target format

clean:
	rm -rf $(BUILD) $(TEST_BUILD) build-fuzz
