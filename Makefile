# skynet on LuaJIT, libuv and spdlog.
#   make          build ./skynet
#   make run      install missing packages, build, start the demo (config.example)
#   make test     install missing packages, build, run every test
#   make asan / make tsan   the unit tests and scenarios under sanitizers
#   make bench    the benchmark workloads of bench/
#   make fuzz     the libFuzzer targets of test/fuzz/, each for FUZZ_TIME seconds

CXX ?= g++
PKGS := luajit libuv spdlog openssl
BUILD ?= build
OPT ?= -O2
CXXFLAGS += -std=c++20 $(OPT) -g -Wall -Wextra -Werror -fno-strict-aliasing -pthread \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -Iskynet-main -Iskynet-main/lua -Iservice-src
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lfmt -ldl -lpthread
LDFLAGS += -Wl,-E -pthread
SAN ?=
BIN ?= skynet

CORE_SRC := $(filter-out skynet-main/main.cpp,$(wildcard skynet-main/*.cpp skynet-main/lua/*.cpp skynet-main/lua/*/*.cpp service-src/*.cpp))
CORE_OBJ := $(CORE_SRC:%.cpp=$(BUILD)/%.o)
TEST_SRC := $(wildcard test/unit/*.cpp)
TEST_OBJ := $(TEST_SRC:%.cpp=$(BUILD)/%.o)
EXAMPLE_SO := $(patsubst examples/csrc/%.c,examples/cservice/%.so,$(wildcard examples/csrc/*.c))

.PHONY: all deps run test unit scenarios cluster-tests asan tsan bench fuzz clean install
.PHONY: soak check

all: $(BIN) $(EXAMPLE_SO)

deps:
	@./3rd/deps.sh

$(BIN): $(CORE_OBJ) $(BUILD)/skynet-main/main.o
	$(CXX) $(LDFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	@echo "  CXX $<"
	@$(CXX) $(CXXFLAGS) $(SAN) -MMD -MP -c -o $@ $<

examples/cservice/%.so: examples/csrc/%.c skynet-main/skynet.h
	@mkdir -p examples/cservice
	$(CC) -O2 -Wall -Wextra -Werror -fPIC -shared -Iskynet-main -o $@ $<

$(BUILD)/unit-tests: $(CORE_OBJ) $(TEST_OBJ)
	$(CXX) $(LDFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

run: deps all
	./skynet config.example

unit: $(BUILD)/unit-tests

test: deps
	@$(MAKE) --no-print-directory all $(BUILD)/unit-tests
	@./test/run_all.sh $(BUILD) ./skynet

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan BIN=build-asan/skynet OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -Wno-maybe-uninitialized" all build-asan/unit-tests
	@# A node leaves what is in flight at exit (queued messages, unread socket
	@# buffers, shared trees its live services hold) to the process's end, as
	@# upstream does: no leak report for the nodes, only for the unit tests.
	@ASAN_OPTIONS=detect_leaks=0 ./test/run_all.sh build-asan build-asan/skynet

tsan:
	@$(MAKE) --no-print-directory BUILD=build-tsan BIN=build-tsan/skynet OPT=-O1 SAN="-fsanitize=thread -Wno-maybe-uninitialized -Wno-tsan" all build-tsan/unit-tests
	@./test/run_all.sh build-tsan build-tsan/skynet

# The full soak (test/cluster/soak.sh): 10 minutes; `make test` runs its 60 s form.
soak: all
	SOAK_SECONDS=$${SOAK_SECONDS:-600} timeout -k 5 $$(( $${SOAK_SECONDS:-600} + 300 )) test/cluster/soak.sh ./skynet

# What CI runs (.ci/run): every test, then again under ASan+UBSan and under TSan.
check:
	@$(MAKE) --no-print-directory test
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan

# Each test/fuzz/<name>.cpp defines LLVMFuzzerTestOneInput and links against the core.
FUZZ_SRC := $(wildcard test/fuzz/*.cpp)
FUZZ_BIN := $(FUZZ_SRC:test/fuzz/%.cpp=build-fuzz/fuzz-%)
FUZZ_TIME ?= 60

fuzz: deps
	@$(MAKE) --no-print-directory CXX=clang++ BUILD=build-fuzz OPT=-O1 \
		SAN="-fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer" fuzz-build
	@./test/fuzz/run.sh $(FUZZ_TIME) $(FUZZ_BIN)

fuzz-build: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_SRC:test/fuzz/%.cpp=$(BUILD)/test/fuzz/%.o)

build-fuzz/fuzz-%: $(BUILD)/test/fuzz/%.o $(CORE_OBJ)
	$(CXX) $(LDFLAGS) -fsanitize=address,undefined,fuzzer -o $@ $^ $(LDLIBS)

bench: deps all
	@./bench/run.sh

# The binary and its Lua trees in lib/skynet/ (snlua finds lualib/ and
# service/ next to the executable), bin/skynet a link to it, an example config
# and start service under share/skynet/ (see examples/systemd/).
PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/skynet $(DESTDIR)$(PREFIX)/share/skynet/examples
	install -m 755 $(BIN) $(DESTDIR)$(PREFIX)/lib/skynet/skynet
	ln -sf ../lib/skynet/skynet $(DESTDIR)$(PREFIX)/bin/skynet
	cp -R lualib service $(DESTDIR)$(PREFIX)/lib/skynet/
	sed 's|@PREFIX@|$(PREFIX)|g' examples/systemd/config > $(DESTDIR)$(PREFIX)/share/skynet/config.example
	sed 's|@PREFIX@|$(PREFIX)|g' examples/systemd/skynet.service > $(DESTDIR)$(PREFIX)/share/skynet/skynet.service
	install -m 644 examples/systemd/main.lua $(DESTDIR)$(PREFIX)/share/skynet/examples/main.lua

clean:
	rm -rf build build-asan build-tsan build-fuzz skynet examples/cservice

-include $(CORE_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/skynet-main/main.d
