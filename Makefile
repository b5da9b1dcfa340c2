# gwkit: one non-recursive Makefile.
#   make            build every program into bin/
#   make check      unit + integration tests (installs missing Debian packages)
#   make check SANITIZE=address,undefined   the same under sanitizers (bin/san/)
#   make bench      benchmarks with their comparisons
#   make fuzz       libFuzzer targets (clang), bounded runs
#   make demo       the stack on the simulator
#   make soak SOAK_MINUTES=N   the stack under chaos for N minutes, then a report
#   make man        roff man pages from docs/*.md into bin/man/
#   make install    programs and man pages under $(DESTDIR)$(PREFIX) (uninstall)
#   make dist       gwkit-$(VERSION).tar.gz, the tracked sources
.DELETE_ON_ERROR:
.SUFFIXES:
.SECONDARY:

PREFIX  ?= /usr/local
DESTDIR ?=
MANDIR  ?= $(PREFIX)/share/man
DISTDIR ?= .
CC      ?= cc
CFLAGS  ?= -O2 -g
FUZZ_SECONDS ?= 30

WARN := -std=gnu11 -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wwrite-strings
ifeq ($(WERROR),1)
WARN += -Werror
endif
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong

ifneq ($(SANITIZE),)
BINDIR := bin/san
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
else
BINDIR := bin
SANFLAGS :=
endif
OBJDIR := $(BINDIR)/obj

# pkg-config is evaluated lazily (recipes run after the deps step).
PKG_CFLAGS = $(shell pkg-config --cflags libevent jansson libcurl 2>/dev/null)
EVENT_LIBS = $(shell pkg-config --libs libevent 2>/dev/null)
JANSSON_LIBS = $(shell pkg-config --libs jansson 2>/dev/null)
# Programs link fully statically (Debian ships libevent.a, libjansson.a and
# libc.a): a binary then runs in any container, e.g. gw-probe bind-mounted
# into the Ubuntu-based gateway image, whatever its libraries, and its peak
# RSS halves (make bench). Names are resolved by libevent's own resolver, so
# glibc's NSS is never loaded; --no-warnings silences ld's note about it.
# Sanitizer builds cannot be static and stay dynamic.
ifeq ($(SANITIZE),)
PROG_LINK := -static-pie -Wl,--no-warnings
else
PROG_LINK :=
endif
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)
CURL_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)

ALL_CPPFLAGS = -D_GNU_SOURCE -iquote lib $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(HARDEN) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) -Wl,--as-needed $(LDFLAGS)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
LIBGW    := $(OBJDIR)/libgwkit.a

PROGS := gw-probe gw-sim discord-notify stack-init bot-core health-mon
PROG_BINS := $(PROGS:%=$(BINDIR)/%)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BINDIR)/tests/%)
HELPER_SRCS := $(wildcard tests/helpers/*.c)
HELPER_BINS := $(HELPER_SRCS:tests/helpers/%.c=$(BINDIR)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=bin/fuzz/%)

# The version every program's --version prints: one #define per main.c,
# read here from gw-probe's (tests/integration/dist.bats checks they agree).
# Not from git, so a dist tarball builds the same.
VERSION := $(shell sed -n 's/^\#define GWKIT_VERSION "\(.*\)"/\1/p' cmd/gw-probe/main.c)

.PHONY: all check unit integration bench fuzz demo soak man install uninstall dist clean deps-build deps-check

all: $(PROG_BINS)

deps-build:
	@mk/deps.sh build
deps-check:
	@mk/deps.sh check
	@mk/deps.sh k8s
	@mk/deps.sh stoqey

$(OBJDIR)/.deps-ok:
	@mk/deps.sh build
	@mkdir -p $(@D) && touch $@

$(OBJDIR)/%.o: %.c | $(OBJDIR)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBGW): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# Each program is its room: cmd/<prog>/ holds main.c and the modules only it
# uses (docs/architecture.md). Those modules, without main.o, also form an
# archive per program that the unit tests and fuzz targets link.
prog_srcs = $(wildcard cmd/$(1)/*.c)
prog_objs = $(patsubst %.c,$(OBJDIR)/%.o,$(call prog_srcs,$(1)))
prog_mods = $(filter-out $(OBJDIR)/cmd/$(1)/main.o,$(call prog_objs,$(1)))
# Every cmd/<dir> with modules is a room (a program's modules may land
# before its main.c does).
ALL_ROOMS := $(notdir $(wildcard cmd/*))
ROOMS := $(foreach p,$(ALL_ROOMS),$(if $(call prog_mods,$(p)),$(p)))
PROG_ARS := $(ROOMS:%=$(OBJDIR)/cmd/%/libroom.a)
define room_rule
$(OBJDIR)/cmd/$(1)/libroom.a: $(call prog_mods,$(1))
	rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach p,$(ROOMS),$(eval $(call room_rule,$(p))))

# Each program lists only the libraries it links.
$(BINDIR)/gw-probe: $(call prog_objs,gw-probe) $(LIBGW)
	$(CC) $(ALL_LDFLAGS) $(PROG_LINK) -o $@ $^ $(EVENT_LIBS) $(JANSSON_LIBS) $(LDLIBS)
$(BINDIR)/stack-init: $(call prog_objs,stack-init) $(LIBGW)
	$(CC) $(ALL_LDFLAGS) $(PROG_LINK) -o $@ $^ $(EVENT_LIBS) $(JANSSON_LIBS) $(LDLIBS)
$(BINDIR)/bot-core: $(call prog_objs,bot-core) $(LIBGW)
	$(CC) $(ALL_LDFLAGS) $(PROG_LINK) -o $@ $^ $(EVENT_LIBS) $(JANSSON_LIBS) -lm $(LDLIBS)
$(BINDIR)/health-mon: $(call prog_objs,health-mon) $(LIBGW)
	$(CC) $(ALL_LDFLAGS) $(PROG_LINK) -o $@ $^ $(EVENT_LIBS) $(JANSSON_LIBS) -lm $(LDLIBS)
$(BINDIR)/gw-sim: $(call prog_objs,gw-sim) $(LIBGW)
	$(CC) $(ALL_LDFLAGS) $(PROG_LINK) -o $@ $^ $(EVENT_LIBS) $(JANSSON_LIBS) -lm $(LDLIBS)

# discord-notify links libcurl (and its TLS stack), which Debian ships for
# dynamic linking only: this program is not static.
$(BINDIR)/discord-notify: $(call prog_objs,discord-notify) $(LIBGW)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CURL_LIBS) $(EVENT_LIBS) $(JANSSON_LIBS) $(LDLIBS)

# Unit tests see every room's headers; each links the rooms' archives (only
# the objects it uses are pulled in) before the shared library.
TEST_CPPFLAGS := $(ALL_ROOMS:%=-iquote cmd/%)
$(OBJDIR)/tests/%.o: ALL_CPPFLAGS += $(TEST_CPPFLAGS)
$(BINDIR)/tests/test_%: $(OBJDIR)/tests/unit/test_%.o $(PROG_ARS) $(LIBGW)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(CURL_LIBS) $(EVENT_LIBS) $(JANSSON_LIBS) -lm $(LDLIBS)
$(BINDIR)/tests/%: $(OBJDIR)/tests/helpers/%.o $(LIBGW)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(EVENT_LIBS) $(JANSSON_LIBS) -lm $(LDLIBS)

check: deps-check
	@$(MAKE) --no-print-directory unit integration

# The benchmarks' own programs are built by make check too, so they cannot rot.
BENCH_BINS := $(BINDIR)/bench/runner $(BINDIR)/bench/curlfloor $(BINDIR)/bench/botbench
unit: $(UNIT_BINS) $(BENCH_BINS) $(PROG_ARS) $(LIBGW)
	@dups=$$(for a in $(PROG_ARS) $(LIBGW); do nm -g --defined-only $$a | \
		awk 'NF == 3 { print $$3 }'; done | sort | uniq -d); \
	if [ -n "$$dups" ]; then echo "defined in two rooms (or a room and lib/): $$dups"; exit 1; fi
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; $$t; done

# Every wait in a test has its deadline; the suite has one too, so a hang
# fails make check with its reason instead of running into CI's limit.
BATS_DEADLINE ?= 2400
integration: $(PROG_BINS) $(HELPER_BINS)
	@echo "GWKIT_BIN=$(abspath $(BINDIR)) bats tests/integration  (deadline $(BATS_DEADLINE) s)"
	@GWKIT_BIN=$(abspath $(BINDIR)) timeout -k 30 $(BATS_DEADLINE) bats tests/integration || \
	{ rc=$$?; [ $$rc -lt 124 ] || echo "make integration: the suite ran past its $(BATS_DEADLINE) s deadline (BATS_DEADLINE) and was stopped"; exit $$rc; }

$(BINDIR)/bench/runner: $(OBJDIR)/bench/runner.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/bench/curlfloor: $(OBJDIR)/bench/curlfloor.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CURL_LIBS) $(LDLIBS)

$(BINDIR)/bench/botbench: $(OBJDIR)/bench/botbench.o
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

bench: all $(BINDIR)/tests/freeport $(BINDIR)/tests/fake-discord $(BINDIR)/tests/tws-client $(BENCH_BINS)
	@mk/deps.sh bench
	GWKIT_BIN=$(abspath $(BINDIR)) bench/run.sh

# libFuzzer needs clang; the fuzz binaries link the library sources directly.
ROOM_SRCS := $(filter-out %/main.c,$(foreach p,$(ALL_ROOMS),$(call prog_srcs,$(p))))
bin/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS) $(ROOM_SRCS) | $(OBJDIR)/.deps-ok
	@mk/deps.sh fuzz
	@mkdir -p $(@D)
	clang $(ALL_CPPFLAGS) $(TEST_CPPFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
		$(PKG_CFLAGS) -o $@ $< $(LIB_SRCS) $(ROOM_SRCS) $(CURL_LIBS) $(EVENT_LIBS) $(JANSSON_LIBS) -lm

fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZ_BINS); do \
		n=$$(basename $$f); mkdir -p bin/fuzz/corpus-$$n; \
		echo "== $$n ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=8192 bin/fuzz/corpus-$$n \
			tests/fuzz/seeds-$${n#fuzz_}; \
	done

demo: all $(BINDIR)/tests/fake-discord $(BINDIR)/tests/freeport
	@mk/deps.sh demo
	GWKIT_BIN=$(abspath $(BINDIR)) mk/demo.sh

# Not part of make check: the stack under chaos for SOAK_MINUTES (3).
SOAK_MINUTES ?= 3
soak: all $(BINDIR)/tests/freeport $(BINDIR)/tests/fake-discord
	@mk/deps.sh bench
	GWKIT_BIN=$(abspath $(BINDIR)) SOAK_MINUTES=$(SOAK_MINUTES) mk/soak.sh

# Man pages: docs/<prog>.md is the source, readable on GitHub; mk/man.sh
# renders it with lowdown (section 1 for the programs, 7 for the strategy
# protocol). MANBUILD may point elsewhere (dist.bats builds in a copy).
MANBUILD ?= $(BINDIR)/man
MAN1 := $(PROGS:%=$(MANBUILD)/%.1)
MAN7 := $(MANBUILD)/gwkit-strategy.7
MAN_TOOLS := mk/man.sh mk/man-post.awk

man: $(MAN1) $(MAN7)

$(MANBUILD)/.deps-ok:
	@mk/deps.sh man
	@mkdir -p $(@D) && touch $@
$(MANBUILD)/%.1: docs/%.md $(MAN_TOOLS) | $(MANBUILD)/.deps-ok
	mk/man.sh $(VERSION) $* 1 $< $@
$(MANBUILD)/gwkit-strategy.7: docs/strategy-protocol.md $(MAN_TOOLS) | $(MANBUILD)/.deps-ok
	mk/man.sh $(VERSION) gwkit-strategy 7 $< $@

# uninstall removes exactly the files install put there; the directories
# (bin, man1, man7 under PREFIX) are shared with other software and stay.
install: all man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(PROG_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(MAN1) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(MAN7) $(DESTDIR)$(MANDIR)/man7/

uninstall:
	rm -f $(PROGS:%=$(DESTDIR)$(PREFIX)/bin/%)
	rm -f $(MAN1:$(MANBUILD)/%=$(DESTDIR)$(MANDIR)/man1/%)
	rm -f $(MAN7:$(MANBUILD)/%=$(DESTDIR)$(MANDIR)/man7/%)

# The source tarball: the files git tracks (their working-tree contents),
# under gwkit-$(VERSION)/, owner and order normalised. Outside a git checkout
# (an unpacked tarball, even one inside another repository) it packs what is
# there, less bin/ and tarballs.
DIST := gwkit-$(VERSION)
dist:
	@set -e; out=$(DISTDIR)/$(DIST); rm -f $$out.tar.list $$out.tar; \
	if [ -e .git ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z >$$out.tar.list; \
	else \
		find . -path ./bin -prune -o -path ./.git -prune -o \
			-name 'gwkit-*.tar*' -prune -o -type f -printf '%P\0' >$$out.tar.list; \
	fi; \
	LC_ALL=C sort -z -o $$out.tar.list $$out.tar.list; \
	tar -c -f $$out.tar --null --no-recursion --owner=0 --group=0 --numeric-owner \
		--transform 's,^,$(DIST)/,' -T $$out.tar.list; \
	rm -f $$out.tar.list; gzip -9nf $$out.tar; echo $$out.tar.gz

clean:
	rm -rf bin

-include $(shell find bin -name '*.d' 2>/dev/null)
