# Tests: unit programs (tests/unit/test_*.c, linked with the engine's objects),
# feature programs (tests/features/*.c, standalone), CLI scripts (tests/cli/*.sh),
# fuzzers (tests/fuzz/fuzz_*.c, clang libFuzzer, each run FUZZ_SECONDS in make check).

FUZZ_SECONDS ?= 20
CLANG	?= clang

UNIT_SRCS    := $(wildcard tests/unit/test_*.c)
UNIT_BINS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
FEATURE_SRCS := $(wildcard tests/features/*.c)
FEATURE_BINS := $(patsubst tests/features/%.c,$(BUILD)/tests/features/%,$(FEATURE_SRCS))
CLIENT_SRCS  := $(wildcard tests/client/*.c)
CLIENT_BINS  := $(patsubst tests/client/%.c,$(BUILD)/tests/client/%,$(CLIENT_SRCS))
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_FLAGS   := -O1 -g -std=gnu11 -D_GNU_SOURCE -fsanitize=fuzzer-no-link,address,undefined
FUZZ_OBJS    := $(patsubst $(BUILD)/obj/%,$(BUILD)/fuzzobj/%,$(filter $(BUILD)/obj/%,$(CORE_OBJS))) \
		$(patsubst $(PB)/%.pb-c.o,$(BUILD)/fuzzobj/proto/%.pb-c.o,$(PROTO_O))

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJS) tests/lib/t.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(INCLUDES) -Itests/lib -o $@ $< $(CORE_OBJS) $(LDFLAGS) $(DEPS_LIBS) -ldl -lpthread

$(BUILD)/tests/features/%: tests/features/%.c $(wildcard tests/features/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/features -o $@ $< $(LDFLAGS) -lpthread

$(BUILD)/tests/client/%: tests/client/%.c $(BUILD)/libcriu.so.2 $(BUILD)/libcriu.so $(PB)/rpc.pb-c.o tests/lib/t.h \
			  $(wildcard tests/client/*.h) | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(INCLUDES) -Itests/lib -o $@ $< $(PB)/rpc.pb-c.o $(LDFLAGS) \
		-L$(BUILD) -Wl,-rpath,$(abspath $(BUILD)) -lcriu $(DEPS_LIBS) -ldl -lpthread

$(BUILD)/tests/subreaper: tests/lib/subreaper.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/fuzzobj/proto/%.pb-c.o: $(PB)/%.pb-c.c
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) $(DEPS_CFLAGS) -I$(PB) -c $< -o $@

$(BUILD)/fuzzobj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -Wall -Werror -Wno-unused-parameter $(DEPS_CFLAGS) $(INCLUDES) -c $< -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer $(DEPS_CFLAGS) $(INCLUDES) -o $@ $< $(FUZZ_OBJS) $(DEPS_LIBS) -ldl

# the image mutator of tests/reliability/rel_images.sh (hostile and damaged image sets)
$(BUILD)/tests/img_mutate: tests/reliability/img_mutate.c $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(INCLUDES) -o $@ $< $(CORE_OBJS) $(LDFLAGS) $(DEPS_LIBS) -ldl -lpthread

TEST_BINS := $(UNIT_BINS) $(FEATURE_BINS) $(CLIENT_BINS) $(BUILD)/tests/subreaper $(BUILD)/tests/img_mutate
tests: all $(TEST_BINS)
fuzzers: $(FUZZ_BINS)
.PHONY: tests fuzzers

check:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory all tests fuzzers
	@BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) $(BUILD)/tests/subreaper tests/run.sh

demo:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(BUILD)/tests/subreaper
	@BUILD=$(BUILD) $(BUILD)/tests/subreaper ./scripts/demo.sh

# the trust suites alone (tests/reliability/), with their figures; make check runs them too
reliability:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory all tests
	@BUILD=$(BUILD) $(BUILD)/tests/subreaper tests/reliability/run.sh

bench:
	@./scripts/install-deps.sh
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory $(BUILD)/tests/subreaper
	@BUILD=$(BUILD) $(BUILD)/tests/subreaper ./scripts/bench.sh
.PHONY: check demo bench reliability

$(BUILD)/tests/bench_image: tests/bench/bench_image.c $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(INCLUDES) -o $@ $< $(CORE_OBJS) $(LDFLAGS) $(DEPS_LIBS) -ldl -lpthread
.SECONDARY:

$(BUILD)/tests/memhog: tests/bench/memhog.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS)

# ---- plugins (tests/plugins, tests/cli/cli_plugins.sh) ----
# One example plugin in its two registration forms and a failing one, each in its own
# directory (criu loads every *.so of -L DIR), and the task they checkpoint.
PLUGIN_CFLAGS := -O2 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -fPIC -shared -Iinclude
$(BUILD)/tests/plugins/desc/example.so: tests/plugins/example_plugin.c include/criu-plugin.h include/criu-log.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -o $@ $<
$(BUILD)/tests/plugins/legacy/example.so: tests/plugins/example_plugin.c include/criu-plugin.h include/criu-log.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DLEGACY_FORM -o $@ $<
$(BUILD)/tests/plugins/failinit/failing.so: tests/plugins/example_plugin.c include/criu-plugin.h include/criu-log.h
	@mkdir -p $(dir $@)
	$(CC) $(PLUGIN_CFLAGS) -DFAIL_INIT -o $@ $<
$(BUILD)/tests/plugins/perf_task: tests/plugins/perf_task.c tests/features/feature.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/features -o $@ $< $(LDFLAGS) -lpthread
PLUGIN_TEST_BINS := $(BUILD)/tests/plugins/desc/example.so $(BUILD)/tests/plugins/legacy/example.so \
		    $(BUILD)/tests/plugins/failinit/failing.so $(BUILD)/tests/plugins/perf_task
tests: $(PLUGIN_TEST_BINS)

# ---- the workload of tests/reliability/rel_kill.sh (criu killed at random instants) ----
$(BUILD)/tests/reliability/kill_target: tests/reliability/kill_target.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(LDFLAGS) -lpthread
tests: $(BUILD)/tests/reliability/kill_target
# ---- the client of tests/reliability/rel_service.sh (raw RPC, bursts, idle connections) ----
$(BUILD)/tests/reliability/rel_service_client: tests/reliability/rel_service_client.c tests/client/rpc_client.h \
					       $(PB)/rpc.pb-c.o | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(INCLUDES) -Itests/client -o $@ $< $(PB)/rpc.pb-c.o $(LDFLAGS) $(DEPS_LIBS) \
		-lpthread
tests: $(BUILD)/tests/reliability/rel_service_client
# ... and its forger: a checkpoint copied through the image API with one credential, root or namespace changed
$(BUILD)/tests/reliability/rel_forge: tests/reliability/rel_forge.c $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DEPS_CFLAGS) $(INCLUDES) -o $@ $< $(CORE_OBJS) $(LDFLAGS) $(DEPS_LIBS) -ldl -lpthread
tests: $(BUILD)/tests/reliability/rel_forge
