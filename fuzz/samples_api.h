/* The sample-file reader under test (SPEC.md 5): one place to point the
 * fuzz target at it when it moves (core/samples.h: samples_read and
 * samples_read_states, same contract). */
#include "core/samples.h"
#define FUZZ_SAMPLES_READ samples_read
#define FUZZ_SAMPLES_READ_STATES samples_read_states
