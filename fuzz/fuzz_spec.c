/*
 * fuzz_spec.c - libFuzzer harness for the spec parser (core/spec.c): any
 * bytes either parse into a plan that holds together or are refused with a
 * field and a message; never a crash, a leak or undefined behaviour.
 *
 *   make fuzz FUZZ_SECONDS=60      (every harness; see tests/fuzz/test_fuzz.sh)
 */
#include "../core/core.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec_error err;
	struct spec *s = spec_parse((const char *)data, size, &err);

	if (!s) {
		/* a refusal always says why */
		if (!err.msg[0])
			__builtin_trap();
		return 0;
	}
	if (!s->nruns || s->nruns > SPEC_MAX_RUNS || s->ncells * s->nstrategies *
	    (size_t)s->repetitions != s->nruns)
		__builtin_trap();
	for (size_t i = 0; i < s->nruns; i++)
		if (s->runs[i].cell >= s->ncells || s->runs[i].seed >> 53)
			__builtin_trap();
	if (spec_check_samples(s, &err) && strcmp(err.field, "params.sample_us"))
		__builtin_trap();
	spec_free(s);
	return 0;
}
