# A plain Makefile: make, make demo, make check, make bench, make install.
# make check SAN=1 builds everything with AddressSanitizer and UBSan (in build/san).

PREFIX	?= /usr/local
DESTDIR	?=
CC	?= gcc
PKG_CONFIG ?= pkg-config

ifeq ($(SAN),1)
BUILD	:= build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD	:= build
SANFLAGS :=
endif

PB	:= $(BUILD)/proto
LIBS_PC	:= libprotobuf-c libnl-3.0 libnl-route-3.0 libcap libseccomp jansson
DEPS_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PC) 2>/dev/null)
DEPS_LIBS = $(shell $(PKG_CONFIG) --libs $(LIBS_PC) 2>/dev/null)

SRC_DIRS := swrk engine engine/util engine/image engine/infect engine/tree engine/task engine/cpu engine/mem \
	    engine/files ns cgroup runtime-hooks
INCLUDES := -Iinclude $(addprefix -I,$(SRC_DIRS)) -I$(PB) -I$(BUILD)/gen

WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wformat=2 -Wno-format-nonliteral
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 -D_GNU_SOURCE $(WARN) $(SANFLAGS) -MMD -MP
LDFLAGS	+= $(SANFLAGS)

PROTOS	  := $(wildcard proto/images/*.proto) proto/rpc.proto
PROTO_C	  := $(patsubst proto/%.proto,$(PB)/%.pb-c.c,$(PROTOS))
PROTO_H	  := $(PROTO_C:.c=.h)
PROTO_O	  := $(PROTO_C:.c=.o)

CRIU_SRCS := $(foreach d,$(SRC_DIRS),$(wildcard $(d)/*.c))
CRIU_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(CRIU_SRCS))
# Everything but main(): linked into unit tests and fuzzers as well.
CORE_OBJS := $(filter-out $(BUILD)/obj/swrk/main.o,$(CRIU_OBJS)) $(PROTO_O)

LIBCRIU_SRCS := $(wildcard swrk/libcriu/*.c)
LIBCRIU_PIC  := $(patsubst %.c,$(BUILD)/pic/%.o,$(LIBCRIU_SRCS)) $(BUILD)/pic/proto/rpc.pb-c.o

all: $(BUILD)/criu $(BUILD)/libcriu.so.2 $(BUILD)/libcriu.so $(BUILD)/libcriu.a
.PHONY: all deps demo check bench install clean fuzz unit

# ---- set-up: install what is missing (Debian 12), once ----
deps:
	@./scripts/install-deps.sh

# ---- protobuf-c ----
$(PB)/%.pb-c.c $(PB)/%.pb-c.h: proto/%.proto
	@mkdir -p $(PB)
	protoc-c --proto_path=proto --c_out=$(PB) $<

$(PB)/%.pb-c.o: $(PB)/%.pb-c.c
	$(CC) $(CFLAGS) -Wno-error $(DEPS_CFLAGS) -I$(PB) -c $< -o $@
# a schema may import another (files.proto imports fdkinds.proto)
$(PROTO_O): | $(PROTO_H)

$(BUILD)/pic/proto/%.pb-c.o: $(PB)/%.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden -Wno-error $(DEPS_CFLAGS) -I$(PB) -c $< -o $@

# ---- generated tables ----
# criu exec's syscall names: every __NR_ macro of the system's x86-64 headers.
$(BUILD)/gen/syscall_names.h:
	@mkdir -p $(dir $@)
	echo '#include <asm/unistd_64.h>' | $(CC) -dM -E -x c - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/SYSCALL_NAME(\1)/p' | LC_ALL=C sort >$@.tmp
	@test -s $@.tmp || { echo "no __NR_ macros in <asm/unistd_64.h>"; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@

$(BUILD)/obj/engine/exec.o: $(BUILD)/gen/syscall_names.h

# ---- the criu binary ----
$(BUILD)/obj/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fvisibility=hidden $(DEPS_CFLAGS) $(INCLUDES) -c $< -o $@

# the plugins' installed default directory (PROTOCOL.md §8: $(PREFIX)/lib/criu)
PLUGINDIR ?= $(PREFIX)/lib/criu
$(BUILD)/obj/runtime-hooks/plugins.o: CFLAGS += -DCR_PLUGIN_DEFAULT='"$(PLUGINDIR)"'

# -rdynamic: plugins resolve criu-log.h and the plugin helpers from the binary.
$(BUILD)/criu: $(CRIU_OBJS) $(PROTO_O)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(DEPS_LIBS) -ldl -lpthread

# ---- libcriu ----
$(BUILD)/pic/%.o: %.c | $(PROTO_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -fvisibility=hidden $(DEPS_CFLAGS) $(INCLUDES) -c $< -o $@

$(BUILD)/libcriu.so.2: $(LIBCRIU_PIC) swrk/libcriu/libcriu.map
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libcriu.so.2 -Wl,--version-script=swrk/libcriu/libcriu.map \
		-o $@ $(LIBCRIU_PIC) $(shell $(PKG_CONFIG) --libs libprotobuf-c)

$(BUILD)/libcriu.so: $(BUILD)/libcriu.so.2
	ln -sf libcriu.so.2 $@

$(BUILD)/libcriu.a: $(LIBCRIU_PIC)
	rm -f $@ && ar rcs $@ $^

# ---- tests ----
include tests/tests.mk

# ---- install ----
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/criu \
		$(DESTDIR)$(PREFIX)/lib/criu
	install -m 0755 $(BUILD)/criu $(DESTDIR)$(PREFIX)/sbin/criu
	install -m 0755 $(BUILD)/libcriu.so.2 $(DESTDIR)$(PREFIX)/lib/libcriu.so.2
	ln -sf libcriu.so.2 $(DESTDIR)$(PREFIX)/lib/libcriu.so
	install -m 0644 $(BUILD)/libcriu.a $(DESTDIR)$(PREFIX)/lib/libcriu.a
	install -m 0644 include/criu.h include/criu-plugin.h include/criu-log.h include/version.h \
		$(BUILD)/proto/rpc.pb-c.h \
		proto/rpc.proto $(DESTDIR)$(PREFIX)/include/criu/
	sed -e 's|@PREFIX@|$(PREFIX)|g' swrk/libcriu/criu.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/criu.pc

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
