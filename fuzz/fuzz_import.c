/*
 * fuzz_import.c - libFuzzer harness for the import path: bytes as
 * POST /api/v1/import reads them (jansson, duplicates refused) into
 * store_import_experiment against a scratch store. A document is imported
 * or refused with a message; the store stays consistent (the imported
 * experiment reads back); never a crash, a leak or undefined behaviour.
 */
#include "../daemon/daemon.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static char dir[] = "/tmp/svabench-fuzz-import.XXXXXX";

static void cleanup(void)
{
	static const char *const files[] = {"svabench.db", "svabench.db-wal", "svabench.db-shm"};
	char path[96];

	store_close(st);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static struct store *scratch_store(void)
{
	char path[64], err[512];

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/svabench.db", dir);
	st = store_open(path, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "fuzz_import: %s\n", err);
		abort();
	}
	atexit(cleanup);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[64] = "", err[512] = "";
	json_error_t jerr;
	json_t *doc, *back;
	int rc;

	if (!st)
		scratch_store();
	doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return 0;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return 0;
	}
	rc = store_import_experiment(st, doc, id, sizeof(id), err, sizeof(err));
	json_decref(doc);
	if (rc) {
		if (!err[0] && rc != STORE_FULL)
			__builtin_trap(); /* a refusal always says why */
		return 0;
	}
	back = store_experiment_doc(st, id, 1, &rc);
	if (!back)
		__builtin_trap(); /* imported, yet it does not read back */
	json_decref(back);
	return 0;
}
