# SPDX-License-Identifier: Apache-2.0
# PageKit's plain-C build: libraries, tests, the demo and installation.
#
#   make            static and shared library, pagekit.pc   (build/)
#   make demo       the seed walkthrough on this kernel
#   make check      every test: C suite, header checks, installed-copy
#                   builds, Swift suite
#   make install    PREFIX=/usr/local DESTDIR= (library, headers, .pc, man 3)
#   make install-tool                               (pagekit, man 1; needs Swift)
#   make uninstall  the same PREFIX and DESTDIR
#
# The sources also build with nothing but
#   cc -Iinclude Sources/CPageShim/*.c -lbsd -lpthread
# and Mach code that includes <mach/mach.h> adds -Iinclude/compat.

VERSION  = $(shell sed -n 's/^\#define PAGEKIT_VERSION_STRING "\(.*\)"/\1/p' include/pagekit/pagekit.h)
PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DESTDIR ?=

CC      ?= cc
CXX     ?= c++
SWIFT   ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
WARN     = -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 $(WARN) $(CPPFLAGS) $(CFLAGS) -D_GNU_SOURCE -Iinclude -fPIC -fvisibility=hidden

BUILD    = build
SOURCES  = $(wildcard Sources/CPageShim/*.c)
HEADERS  = $(wildcard include/pagekit/*.h) $(wildcard Sources/CPageShim/*.h)
OBJECTS  = $(SOURCES:Sources/CPageShim/%.c=$(BUILD)/obj/%.o)
TESTS    = $(wildcard Tests/c/*.c)

STATIC   = $(BUILD)/libpagekit.a
SONAME   = libpagekit.so.0
REALNAME = libpagekit.so.$(VERSION)
SHARED   = $(BUILD)/$(REALNAME)
PC       = $(BUILD)/pagekit.pc
PC_MACH  = $(BUILD)/pagekit-mach.pc
COMPAT_HEADERS = $(wildcard include/compat/mach/*.h)
COMPAT_MACHINE_HEADERS = $(wildcard include/compat/mach/machine/*.h)

.PHONY: all deps arm64-deps deps-deb check-version FORCE tool install-tool uninstall check-man check-snippets check-docc check-deb demo tour bench check-bench bench-swift fuzz check-fuzz-corpus check check-c check-bare check-headers check-exports check-seed check-install \
        check-swift check-sanitizers check-kernels check-tool check-downstream check-examples install clean

all: $(STATIC) $(SHARED) $(PC) $(PC_MACH)

# Debian packages the build needs, installed when missing (as root).
# What the build and the tests need from Debian; PK_NO_DEPS=1 (set by
# debian/rules, whose Build-Depends say the same) installs nothing.
deps:
	@[ -n "$(PK_NO_DEPS)" ] || for package in libbsd-dev pkg-config procps man-db groff-base python3; do \
	    dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(BUILD)/obj/%.o: Sources/CPageShim/%.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(STATIC): $(OBJECTS)
	rm -f $@
	ar rcs $@ $^

$(SHARED): $(OBJECTS) packaging/libpagekit.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,$(SONAME) -Wl,--version-script=packaging/libpagekit.map -o $@ $(OBJECTS) -lpthread
	ln -sf $(REALNAME) $(BUILD)/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/libpagekit.so

# The paths the .pc file was made for: rewritten (and the .pc remade) only
# when PREFIX, LIBDIR or INCLUDEDIR change.
$(BUILD)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' | cmp -s - $@ || echo '$(PREFIX) $(LIBDIR) $(INCLUDEDIR)' > $@

$(BUILD)/%.pc: packaging/%.pc.in Makefile $(BUILD)/paths
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(VERSION)|' $< > $@

# Ratios against the raw system calls, measured in one process (BENCHMARKS.md).
$(BUILD)/bench: Benchmarks/bench.c $(STATIC)
	$(CC) -std=c11 $(WARN) -O2 -Iinclude -ISources/CPageShim $< $(STATIC) -lpthread -o $@

bench: $(BUILD)/bench
	$(BUILD)/bench $(BENCH_FLAGS)

# The benchmark's hot loops alone, for callgrind and perf (BENCHMARKS.md).
$(BUILD)/profile_loops: Benchmarks/profile_loops.c $(STATIC)
	$(CC) -std=c11 $(WARN) -O2 -g -Iinclude $< $(STATIC) -lpthread -o $@

# The benchmark builds and runs (a smoke run; its ratios are not checked:
# they belong to a quiet machine, not to CI).
check-bench: $(BUILD)/bench $(BUILD)/profile_loops
	$(BUILD)/bench --quick --only basic > /dev/null
	$(BUILD)/profile_loops protect pagekit 100 10 && $(BUILD)/profile_loops allocate pagekit 100

# The Swift layer's benchmarks (package-benchmark, Benchmarks/Package.swift),
# then each Swift call against the C call it makes, as interleaved ratios
# with their targets (Benchmarks/Sources/SwiftRatios); the first build takes
# a few minutes.
bench-swift: | deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --format markdown
	cd Benchmarks && $(SWIFT) run -c release SwiftRatios

install: all
	install -d $(DESTDIR)$(INCLUDEDIR)/pagekit $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(MANDIR)/man3
	install -m 644 include/pagekit/pagekit.h include/pagekit/mach.h include/pagekit/inspect.h include/pagekit/sharing.h $(DESTDIR)$(INCLUDEDIR)/pagekit/
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/
	ln -sf $(REALNAME) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libpagekit.so
	install -m 644 $(PC) $(PC_MACH) $(DESTDIR)$(LIBDIR)/pkgconfig/
	install -d $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach/machine
	install -m 644 $(COMPAT_HEADERS) $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach/
	install -m 644 $(COMPAT_MACHINE_HEADERS) $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach/machine/
	install -m 644 man/man3/*.3 $(DESTDIR)$(MANDIR)/man3/

# The pagekit tool, built in release mode with the Swift runtime linked in,
# so that it runs where no Swift toolchain is installed.
TOOL_SCRATCH ?= .build-release
SWIFT_TOOL_FLAGS ?= -c release --static-swift-stdlib -Xlinker -z -Xlinker relro -Xlinker -z -Xlinker now
tool:
	$(SWIFT) build $(SWIFT_TOOL_FLAGS) --scratch-path $(TOOL_SCRATCH) --product pagekit

install-tool: tool
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $$($(SWIFT) build $(SWIFT_TOOL_FLAGS) --scratch-path $(TOOL_SCRATCH) --show-bin-path)/pagekit $(DESTDIR)$(BINDIR)/
	install -m 644 man/man1/pagekit.1 $(DESTDIR)$(MANDIR)/man1/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach/machine/,$(notdir $(COMPAT_MACHINE_HEADERS)))
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach/,$(notdir $(COMPAT_HEADERS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach/machine $(DESTDIR)$(INCLUDEDIR)/pagekit/compat/mach \
	    $(DESTDIR)$(INCLUDEDIR)/pagekit/compat
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/pagekit/,$(notdir $(wildcard include/pagekit/*.h)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/pagekit
	rm -f $(DESTDIR)$(LIBDIR)/libpagekit.a $(DESTDIR)$(LIBDIR)/libpagekit.so $(DESTDIR)$(LIBDIR)/$(SONAME)* \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/pagekit.pc $(DESTDIR)$(LIBDIR)/pkgconfig/pagekit-mach.pc
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(wildcard man/man3/*.3)))
	rm -f $(DESTDIR)$(BINDIR)/pagekit $(DESTDIR)$(MANDIR)/man1/pagekit.1

$(BUILD)/seed_walkthrough: Examples/seed_walkthrough.c $(STATIC)
	$(CC) -std=c11 $(WARN) -Iinclude/compat -Iinclude $< $(STATIC) -lpthread -o $@

# The main job: the pagekit tool's tour of the library on this kernel.
tour: | deps
	$(SWIFT) build --product pagekit
	$$($(SWIFT) build --show-bin-path)/pagekit tour

demo: $(BUILD)/seed_walkthrough
	@echo "PageKit seed walkthrough (Mach calls through include/pagekit/mach.h) on Linux $$(uname -r):"
	@$(BUILD)/seed_walkthrough

# The C suite compiles the sources in, so it can reach the system-call seam.
$(BUILD)/c-tests: $(TESTS) $(wildcard Tests/c/*.h) $(SOURCES) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O1 -g -DPK_TEST_SEAM -Iinclude -ISources/CPageShim $(TESTS) $(SOURCES) -lpthread -o $@

check-c: $(BUILD)/c-tests
	$(BUILD)/c-tests

# The C suite under AddressSanitizer + UndefinedBehaviorSanitizer and under
# ThreadSanitizer (gcc's: the Swift toolchain's clang has no TSan runtime for
# plain C), and the Swift suite under ThreadSanitizer.
SANITIZER_CC ?= gcc
check-sanitizers: | deps
	@mkdir -p $(BUILD)
	$(SANITIZER_CC) -std=c11 $(WARN) -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	    -DPK_TEST_SEAM -Iinclude -ISources/CPageShim $(TESTS) $(SOURCES) -lpthread -o $(BUILD)/c-tests-asan
	ASAN_OPTIONS=detect_leaks=1 $(BUILD)/c-tests-asan
	$(SANITIZER_CC) -std=c11 $(WARN) -O1 -g -fsanitize=thread \
	    -DPK_TEST_SEAM -Iinclude -ISources/CPageShim $(TESTS) $(SOURCES) -lpthread -o $(BUILD)/c-tests-tsan
	TSAN_OPTIONS=halt_on_error=1 $(BUILD)/c-tests-tsan
	$(SWIFT) test --sanitize=thread --scratch-path .build-tsan

# Public headers: each alone, with every warning and -pedantic, as C99 and
# C11 and as C++11 to C++23, under gcc and clang.
HEADER_CLANG ?= $(shell command -v clang 2>/dev/null || echo /opt/swift/usr/bin/clang)
check-headers: | deps
	@mkdir -p $(BUILD)
	set -e; for header in pagekit mach inspect sharing; do \
	    printf '#include <pagekit/%s.h>\nint main(void) { return 0; }\n' $$header > $(BUILD)/header_$$header.c; \
	    for compiler in $(CC) $(HEADER_CLANG); do for std in c99 c11; do \
	        $$compiler -std=$$std $(WARN) -pedantic -Iinclude -fsyntax-only $(BUILD)/header_$$header.c; \
	    done; done; \
	    for compiler in $(CXX) $(HEADER_CLANG)++; do for std in c++11 c++14 c++17 c++20 c++23; do \
	        $$compiler -std=$$std $(WARN) -pedantic -Iinclude -x c++ -fsyntax-only $(BUILD)/header_$$header.c; \
	    done; done; \
	done
	@echo "public headers compile as C99, C11 and C++11 to C++23, -pedantic, under gcc and clang"

# The number is set in pagekit.h; the string, the Debian changelog and
# CHANGELOG.md must say the same.
check-version: | deps
	@parts=$$(sed -n 's/^#define PAGEKIT_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' include/pagekit/pagekit.h | paste -sd.); \
	test "$$parts" = "$(VERSION)" || { echo "PAGEKIT_VERSION_STRING $(VERSION) is not MAJOR.MINOR.PATCH $$parts"; exit 1; }; \
	debian=$$(sed -n '1s/^pagekit (\([^)-]*\).*/\1/p' debian/changelog); \
	test "$$debian" = "$(VERSION)" || { echo "debian/changelog says $$debian, pagekit.h $(VERSION)"; exit 1; }; \
	grep -q '^## \[\?$(VERSION)' CHANGELOG.md || { echo "CHANGELOG.md has no entry for $(VERSION)"; exit 1; }
	@echo "version $(VERSION) agrees in pagekit.h, debian/changelog and CHANGELOG.md"

# Only pk_ symbols leave the shared library.
check-exports: $(SHARED) $(STATIC) | deps
	@leaked=$$(nm -D --defined-only $(SHARED) | awk '$$2 ~ /[TDBR]/ {print $$3}' | grep -v '^pk_' | grep -v '^PAGEKIT_' || true); \
	if [ -n "$$leaked" ]; then echo "exported by mistake: $$leaked"; exit 1; fi; \
	seam=$$(nm --defined-only $(STATIC) | awk '{print $$3}' | grep -E '^pk_sys_(inject|record|hook|calls)' || true); \
	if [ -n "$$seam" ]; then echo "the static library carries the test seam: $$seam"; exit 1; fi; \
	internal=$$(nm -D --defined-only $(SHARED) | awk '{print $$3}' | grep -E '^pk_(sys|table|spares|segments|object|kernel|names|shared|arena|orphans|permanent|backing|share|copy_pages|fork|descriptor|inherit_locked|memory_entry_lookup|memory_entry_name|map_aligned|check_overwrite|entry_flags|fault_guard)' || true); \
	if [ -n "$$internal" ]; then echo "internal symbols exported: $$internal"; exit 1; fi
	@echo "shared library exports only the public pk_ API"

# Any C program can compile the sources in, with no build system and no
# generated files.
check-bare: | deps
	@mkdir -p $(BUILD)
	cc -Iinclude/compat -Iinclude Examples/seed_walkthrough.c Sources/CPageShim/*.c -lbsd -lpthread -o $(BUILD)/seed_bare
	$(BUILD)/seed_bare > $(BUILD)/seed_bare.out
	diff -u Tests/c/expected/seed_walkthrough.out $(BUILD)/seed_bare.out
	@echo "the sources build into a program with a bare cc command line"

# The sharing examples, written against the Mach calls only, as on macOS:
# a magic ring buffer (vm_remap without copy) and W^X code generation (two
# views of one memory entry).
EXAMPLES = ring_buffer jit
$(BUILD)/example_%: Examples/%.c $(STATIC)
	$(CC) -std=c11 $(WARN) -Iinclude/compat -Iinclude $< $(STATIC) -lpthread -o $@

check-examples: $(EXAMPLES:%=$(BUILD)/example_%)
	set -e; for example in $(EXAMPLES); do \
	    $(BUILD)/example_$$example > $(BUILD)/example_$$example.out; \
	    diff -u Tests/c/expected/$$example.out $(BUILD)/example_$$example.out; \
	done
	@echo "the ring buffer and JIT examples print what Tests/c/expected says"

check-seed: $(BUILD)/seed_walkthrough
	$(BUILD)/seed_walkthrough > $(BUILD)/seed_walkthrough.out
	diff -u Tests/c/expected/seed_walkthrough.out $(BUILD)/seed_walkthrough.out
	@echo "seed walkthrough output matches Tests/c/expected/seed_walkthrough.out"

# Install into a scratch DESTDIR, then build the walkthrough against that copy
# with nothing but pkg-config, statically and against the shared library.
check-install: | deps
	rm -rf $(BUILD)/stage
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(BUILD)/stage PREFIX=/usr/local
	set -e; \
	export PKG_CONFIG_PATH=$(CURDIR)/$(BUILD)/stage/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$(CURDIR)/$(BUILD)/stage; \
	flags=$$(pkg-config --cflags --libs pagekit-mach); \
	$(CC) -std=c11 $(WARN) -static Examples/seed_walkthrough.c $$flags -o $(BUILD)/seed_static; \
	$(CC) -std=c11 $(WARN) Examples/seed_walkthrough.c $$flags -o $(BUILD)/seed_shared; \
	$(BUILD)/seed_static > $(BUILD)/seed_static.out; \
	LD_LIBRARY_PATH=$(CURDIR)/$(BUILD)/stage/usr/local/lib $(BUILD)/seed_shared > $(BUILD)/seed_shared.out; \
	ldd $(BUILD)/seed_static 2>&1 | grep -q 'not a dynamic executable'; \
	LD_LIBRARY_PATH=$(CURDIR)/$(BUILD)/stage/usr/local/lib ldd $(BUILD)/seed_shared | grep -q 'libpagekit.so.0 => $(CURDIR)/$(BUILD)/stage'; \
	diff -u Tests/c/expected/seed_walkthrough.out $(BUILD)/seed_static.out; \
	diff -u Tests/c/expected/seed_walkthrough.out $(BUILD)/seed_shared.out; \
	mach=$$(pkg-config --cflags --libs --static pagekit-mach); \
	$(CC) -std=c11 $(WARN) Tests/compat/macos_names.c $$mach -static -o $(BUILD)/macos_names_c; \
	$(CXX) -std=c++11 $(WARN) -x c++ Tests/compat/macos_names.c -x none $$mach -static -o $(BUILD)/macos_names_cxx; \
	$(BUILD)/macos_names_c; $(BUILD)/macos_names_cxx
	@echo "installed copy: static and shared builds through pkg-config run the walkthrough; <mach/mach.h> as on macOS, C and C++"

# The static C suite as /init of a tiny initramfs under qemu (TCG), on
# Debian's stock Linux 6.1 (no mseal, no guard regions, no anonymous VMA
# names: the fallbacks) and on a tiny 6.1 built with CONFIG_ANON_VMA_NAME
# (the naming path). Kernels are kept in build/kernels between runs.
KERNELS = $(BUILD)/kernels
$(BUILD)/c-tests-static: $(TESTS) $(wildcard Tests/c/*.h) $(SOURCES) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) -O1 -g -static -DPK_TEST_SEAM -Iinclude -ISources/CPageShim $(TESTS) $(SOURCES) -lpthread -o $@

# The same suite cross-compiled for arm64 (Debian's gcc-aarch64-linux-gnu)
# boots on tiny arm64 6.1 kernels with 4, 16 and 64 KiB pages (qemu's virt
# machine, TCG), each with CONFIG_ANON_VMA_NAME.
ARM64_CC = aarch64-linux-gnu-gcc
ARM64_PAGES = 4 16 64
arm64-deps:
	@for package in gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm; do \
	    dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi
$(BUILD)/c-tests-static-arm64: $(TESTS) $(wildcard Tests/c/*.h) $(SOURCES) $(HEADERS) | deps arm64-deps
	@mkdir -p $(@D)
	$(ARM64_CC) -std=c11 $(WARN) -O1 -g -static -DPK_TEST_SEAM -Iinclude -ISources/CPageShim $(TESTS) $(SOURCES) \
	    -lpthread -o $@
# The fuzz model without libFuzzer (the cross-compiler has none), which the
# suite runs as init over the corpus on the 64 KiB kernel (about 100 s of
# TCG: the replay, then 10 s of mutated inputs).
$(BUILD)/fuzz-standalone-arm64: Tests/fuzz/fuzz_mach.c Tests/fuzz/standalone.c $(SOURCES) $(HEADERS) | deps arm64-deps
	@mkdir -p $(@D)
	$(ARM64_CC) -std=c11 $(WARN) -O1 -g -static -Iinclude Tests/fuzz/fuzz_mach.c Tests/fuzz/standalone.c $(SOURCES) \
	    -lpthread -o $@

check-kernels: $(BUILD)/c-tests-static $(BUILD)/c-tests-static-arm64 $(BUILD)/fuzz-standalone-arm64 | deps
	@mkdir -p $(KERNELS)
	@command -v qemu-system-x86_64 >/dev/null || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-x86 >/dev/null; }
	Tests/kernels/debian-kernel.sh $(KERNELS)/debian-6.1.vmlinuz
	Tests/kernels/tiny-kernel.sh $(KERNELS)/tiny-6.1.bzImage
	Tests/kernels/run-kernel.sh $(KERNELS)/debian-6.1.vmlinuz $(BUILD)/c-tests-static "Debian 6.1" $(KERNELS)/debian-6.1.log
	Tests/kernels/run-kernel.sh $(KERNELS)/tiny-6.1.bzImage $(BUILD)/c-tests-static "tiny 6.1 with ANON_VMA_NAME" \
	    $(KERNELS)/tiny-6.1.log
	@for pages in $(ARM64_PAGES); do \
	    started=$$(date +%s); \
	    Tests/kernels/arm64-kernel.sh $$pages $(KERNELS)/arm64-$${pages}k.Image > $(KERNELS)/arm64-$${pages}k.build.log 2>&1 || \
	        { tail -30 $(KERNELS)/arm64-$${pages}k.build.log; exit 1; }; \
	    echo "arm64 $${pages}K kernel: ready in $$(($$(date +%s) - started)) s (built once, then kept)"; \
	    fuzz=; [ $$pages != 64 ] || fuzz="fuzz=$(BUILD)/fuzz-standalone-arm64 corpus=Tests/fuzz/corpus"; \
	    Tests/kernels/run-kernel.sh $(KERNELS)/arm64-$${pages}k.Image $(BUILD)/c-tests-static-arm64 \
	        "arm64 with $${pages} KiB pages" $(KERNELS)/arm64-$${pages}k.log arm64 $$fuzz || exit 1; \
	done

# The model-based fuzzer (clang's libFuzzer with ASan and UBSan; the Swift
# toolchain's clang has them). make fuzz explores for FUZZ_SECONDS and adds
# what it finds to a scratch corpus; make check replays Tests/fuzz/corpus.
FUZZ_CC ?= $(shell command -v clang 2>/dev/null || echo /opt/swift/usr/bin/clang)
FUZZ_SECONDS ?= 60
$(BUILD)/fuzz_mach: Tests/fuzz/fuzz_mach.c $(SOURCES) $(HEADERS) | deps
	@mkdir -p $(@D)
	$(FUZZ_CC) -std=c11 $(WARN) -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -Iinclude $< $(SOURCES) -lpthread -o $@

fuzz: $(BUILD)/fuzz_mach
	@mkdir -p $(BUILD)/fuzz-corpus
	$(BUILD)/fuzz_mach -max_total_time=$(FUZZ_SECONDS) -max_len=256 -len_control=10 \
	    $(BUILD)/fuzz-corpus Tests/fuzz/corpus

check-fuzz-corpus: $(BUILD)/fuzz_mach
	$(BUILD)/fuzz_mach -runs=0 Tests/fuzz/corpus
	@echo "fuzz corpus: $$(ls Tests/fuzz/corpus | wc -l) inputs replayed against the model"

check-swift: | deps
	$(SWIFT) test

# The tool and the Swift examples, run as a user would.
check-tool: | deps
	$(SWIFT) build
	set -e; bin=$$($(SWIFT) build --show-bin-path); \
	$$bin/pagekit tour > $(BUILD)/tour.out; \
	grep -q '^All [0-9]* checks passed.$$' $(BUILD)/tour.out; \
	$$bin/pagekit features | grep -q '^  madv_free '; \
	status=0; $$bin/pagekit no-such-command 2>/dev/null || status=$$?; test $$status -eq 64; \
	test "$$($$bin/pagekit --version)" = "$(VERSION)"; \
	$$bin/pagekit vmmap $$$$ | grep -q '^stack '; \
	python3 Tests/tool/check_vmmap.py $$bin/pagekit; \
	$$bin/seed-walkthrough | grep -q 'refused, as on Mach'; \
	$$bin/purgeable-cache | grep -q 'same bytes'; \
	$$bin/jit | grep -q 'writable view, it returns 7'
	@echo "pagekit tour, features, vmmap (against pmap -XX and smaps_rollup) and the Swift examples behave"

# A throwaway package outside the tree depends on PageKit by path, imports
# it and runs: the product is consumable, Lifetimes feature and all.
check-downstream: | deps
	set -e; mkdir -p $(BUILD); dir=$$(mktemp -d /tmp/pagekit-downstream.XXXXXX); trap 'rm -rf "$$dir"' EXIT; \
	mkdir -p "$$dir/Sources/Consumer"; \
	sed -e 's|@PAGEKIT@|$(CURDIR)|' -e "s|@PAGEKIT_IDENTITY@|$$(basename '$(CURDIR)' | tr A-Z a-z)|" \
	    Tests/downstream/Package.swift.in > "$$dir/Package.swift"; \
	cp Tests/downstream/main.swift "$$dir/Sources/Consumer/main.swift"; \
	(cd "$$dir" && $(SWIFT) run Consumer) | tee $(BUILD)/downstream.out; \
	grep -q '^downstream: ok$$' $(BUILD)/downstream.out
	@echo "a package outside the tree builds against PageKit by path and runs"

# Every man page renders without a warning (from man/, so that .so
# redirections resolve as they do once installed).
check-man: | deps
	cd man && for page in man1/*.1 man3/*.3; do \
	    warnings=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l $$page 2>&1 >/dev/null); \
	    if [ -n "$$warnings" ]; then echo "$$page: $$warnings"; exit 1; fi; \
	done
	@echo "every man page renders without warnings"

# Every C and Swift block of README.md, docs/ and the DocC articles: C
# against an installed copy (through pkg-config), Swift in a package that
# depends on PageKit by path; programs are run.
check-snippets:
	rm -rf $(BUILD)/snippets-prefix
	$(MAKE) --no-print-directory install DESTDIR= PREFIX=$(CURDIR)/$(BUILD)/snippets-prefix
	SWIFT=$(SWIFT) python3 Tests/docs/check-snippets.py --prefix $(CURDIR)/$(BUILD)/snippets-prefix

# The DocC catalog builds without a warning (swift-docc-plugin).
check-docc:
	rm -rf $(BUILD)/docs && mkdir -p $(BUILD)/docs
	$(SWIFT) package --scratch-path .build-docc --allow-writing-to-directory $(BUILD)/docs \
	    generate-documentation --target PageKit --warnings-as-errors --output-path $(BUILD)/docs
	@echo "DocC: PageKit's documentation builds without warnings"

# The Debian packages, built from a copy of the tree; installed into a
# scratch root, where a C program builds with pkg-config and runs; lintian
# finds no error.
DEB_WORK = $(CURDIR)/$(BUILD)/deb
check-deb: | deps-deb
	@for package in debhelper devscripts lintian dpkg-dev; do \
	    dpkg -s $$package >/dev/null 2>&1 || { echo "check-deb needs $$package (make deps-deb)"; exit 1; }; \
	done
	rm -rf $(DEB_WORK) && mkdir -p $(DEB_WORK)/src $(DEB_WORK)/root
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C $(DEB_WORK)/src
	cd $(DEB_WORK)/src && SWIFT=$(SWIFT) dpkg-buildpackage -us -uc -b > $(DEB_WORK)/build.log 2>&1 || { tail -40 $(DEB_WORK)/build.log; exit 1; }
	for deb in $(DEB_WORK)/*.deb; do dpkg-deb -x $$deb $(DEB_WORK)/root; done
	set -e; export PKG_CONFIG_SYSROOT_DIR=$(DEB_WORK)/root \
	    PKG_CONFIG_LIBDIR=$$(ls -d $(DEB_WORK)/root/usr/lib/*/pkgconfig); \
	flags=$$(pkg-config --cflags --libs pagekit-mach); \
	$(CC) -std=c11 $(WARN) Examples/seed_walkthrough.c $$flags -o $(DEB_WORK)/seed; \
	LD_LIBRARY_PATH=$$(dirname $$PKG_CONFIG_LIBDIR) $(DEB_WORK)/seed > $(DEB_WORK)/seed.out; \
	diff -u Tests/c/expected/seed_walkthrough.out $(DEB_WORK)/seed.out; \
	$(DEB_WORK)/root/usr/bin/pagekit features > /dev/null
	lintian --fail-on error $(DEB_WORK)/*.changes
	@ls -l $(DEB_WORK)/*.deb
	@echo "Debian packages build, install into a scratch root, link through pkg-config and pass lintian"

# What check-deb needs, installed when missing (as root), apart from make.
deps-deb:
	@for package in debhelper devscripts lintian dpkg-dev man-db groff-base; do \
	    dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

check: deps check-version check-headers check-exports check-bare check-c check-seed check-examples check-install check-tool check-downstream \
       check-bench check-sanitizers check-fuzz-corpus check-kernels check-swift check-man check-docc check-snippets check-deb

FORCE:

clean:
	rm -rf $(BUILD)
