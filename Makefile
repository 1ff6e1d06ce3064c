# symrbm build.  Out-of-tree: `make BUILD=dir` puts every object and binary
# under dir/ (default build/), so several builds (plain, asan) coexist.
#
#   make            the program, build/symrbm
#   make check      install missing dependencies, build, run every Check suite
#   make asan       the same suites under AddressSanitizer + UBSan
#   make mpi        the MPI-enabled program, build-mpi/symrbm (--mpi; mpicc)
#   make mpi-check  it against a local run under mpirun -np 3 (tests/mpi_check.sh)
#   make fuzz       libFuzzer targets of the file readers, FUZZ_SECONDS each
#   make demo       install missing dependencies, run the main job on defaults
#   make bench      the benchmarks the issues ask for
#   make figures    the publication figure set into figures/out/

BUILD   ?= build
CC      ?= cc
OPT     ?= -O2
WERROR  ?=
CFLAGS_ALL = -std=c11 $(OPT) -Wall -Wextra $(WERROR) -D_DEFAULT_SOURCE -pthread \
             -I. $(shell pkg-config --cflags gsl fftw3 2>/dev/null) $(EXTRA_CFLAGS)
LIBS    = $(shell pkg-config --libs gsl fftw3 2>/dev/null || echo -lgsl -lgslcblas -lfftw3) \
          -lsundials_cvode -lsundials_nvecserial -lsundials_sunlinsolspgmr -lsundials_sunnonlinsolfixedpoint -lm -pthread $(EXTRA_LIBS)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lrt -lpthread -lm)

# core/task_mpi.c, the MPI backend of the task engine, only in the MPI
# build (make mpi sets MPI=1): the plain program has no MPI in it.
LIB_SRC  = $(filter-out $(if $(MPI),,core/task_mpi.c),$(wildcard core/*.c theory/*.c sim/*.c compare/*.c)) \
           $(filter-out cli/main.c,$(wildcard cli/*.c))
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
TEST_SRC = $(wildcard tests/*.c)
TEST_OBJ = $(TEST_SRC:%.c=$(BUILD)/%.o)
BENCH_SRC = $(wildcard bench/*.c)

.PHONY: all deps check asan mpi mpi-deps mpi-check fuzz fuzz-deps fuzz-build demo bench figures clean
all: $(BUILD)/symrbm

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -MP -c $< -o $@

# The vectorised kernels: fast-math lets GCC call glibc's vector exp, log1p
# and tanh (libmvec); see core/kern.h.
$(BUILD)/core/kern.o: CFLAGS_ALL += -ffast-math -fopenmp-simd
# The trainer's inner loops (sim/kern_sim.h): vectorised without -ffast-math,
# which would cancel the rounding step of their exp; AVX-512/AVX2 clones are
# chosen at load time.
$(BUILD)/sim/kern_sim.o: CFLAGS_ALL += -fopenmp-simd -ffp-contract=fast -fno-math-errno -fno-trapping-math -mprefer-vector-width=512
# The Potts Gibbs step's exponentials (sim/kern_potts.h): libmvec's 2-wide
# exp written out, vectorised at AVX-512/AVX2 width, no contraction.
$(BUILD)/sim/kern_potts.o: CFLAGS_ALL += -fopenmp-simd -ffp-contract=off -fno-trapping-math -mprefer-vector-width=512
# The Potts trainer's element-wise loops (sim/kern_potts_ew.h): vectorised,
# no contraction, so bit-identical to the scalar loops.
$(BUILD)/sim/kern_potts_ew.o: CFLAGS_ALL += -fopenmp-simd -ffp-contract=off -fno-trapping-math -mprefer-vector-width=512

$(BUILD)/libsymrbm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# Linked from the objects, not the archive: main() refers to the subcommands
# weakly, and a weak reference does not pull a member out of an archive.
$(BUILD)/symrbm: $(BUILD)/cli/main.o $(LIB_OBJ)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS)

$(BUILD)/tests/run: $(TEST_OBJ) $(BUILD)/libsymrbm.a
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(CHECK_LIBS) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libsymrbm.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $^ $(LIBS)

deps:
	@bash scripts/deps.sh

# The suites find the program through SYMRBM_BIN (command-line tests) and
# get a generous per-test timeout: some compare long integrations.
check: deps
	@$(MAKE) --no-print-directory $(BUILD)/symrbm $(BUILD)/tests/run
	SYMRBM_BIN=$(BUILD)/symrbm CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-600} $(BUILD)/tests/run $(SUITES)

asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  EXTRA_LIBS="-fsanitize=address,undefined" check SUITES="$(SUITES)"

# MPI (SPEC.md 10, issue 11): the same program with the MPI backend of the
# task engine, built by Open MPI's compiler wrapper into build-mpi/ (its own
# objects: every file is compiled with -DSYM_MPI).
mpi: mpi-deps
	@$(MAKE) --no-print-directory BUILD=build-mpi CC=mpicc MPI=1 \
	  EXTRA_CFLAGS="-DSYM_MPI $(EXTRA_CFLAGS)" build-mpi/symrbm

mpi-deps:
	@bash scripts/deps.sh mpi

mpi-check: mpi
	@bash tests/mpi_check.sh build-mpi/symrbm

# Fuzzing (issue 7 item 8): one libFuzzer target per file reader (fuzz/*.c),
# linked against core/ (where the readers live) compiled by clang under ASan
# + UBSan into build-fuzz/; cli/main.c is not linked (libFuzzer brings its
# own main).  Each target runs FUZZ_SECONDS; fuzz/run.sh prints the
# executions and fails on any finding.  -Wno-pass-failed: clang reports the
# `omp simd` loops of core/kern.c that instrumentation keeps from
# vectorising, which is no defect.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_TARGETS  = samples traj_read traj_summary
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
CORE_OBJ      = $(patsubst %.c,$(BUILD)/%.o,$(wildcard core/*.c))

fuzz: fuzz-deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz CC=$(FUZZ_CC) OPT="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=fuzzer-no-link $(FUZZ_SAN) -Wno-pass-failed" fuzz-build
	@bash fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-deps:
	@bash scripts/deps.sh fuzz

fuzz-build: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/libsymrbm-core.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: $(BUILD)/fuzz/%.o $(BUILD)/libsymrbm-core.a
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LIBS)

demo: deps
	@$(MAKE) --no-print-directory $(BUILD)/symrbm
	@bash scripts/demo.sh $(BUILD)/symrbm

bench: deps
	@$(MAKE) --no-print-directory $(BUILD)/symrbm
	@bash bench/run.sh $(BUILD)

figures: deps
	@$(MAKE) --no-print-directory $(BUILD)/symrbm
	@bash figures/make.sh $(BUILD)/symrbm

clean:
	rm -rf build build-* demo-out figures/out

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/cli/main.d $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%.d)
