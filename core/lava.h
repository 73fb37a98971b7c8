/*
 * lava.h - svabench documents that come back from LAVA jobs (lava/, the
 * board's svabench-lava script): found in a job's log, decoded, checked and
 * given the board's and kernel's identity. Shared by `svabench import-lava`
 * (cli/import_lava.c) and svabenchd's notify-callback endpoint
 * (daemon/api_lava.c).
 *
 * On the board each document travels on the console as an envelope,
 *
 *   SVABENCH-LAVA-DOC-BEGIN name=NAME bytes=N cksum=C
 *   <base64 of the envelope, any line width>
 *   SVABENCH-LAVA-DOC-END name=NAME
 *
 * where N and C are the byte count and POSIX cksum (CRC) of the envelope
 * JSON, {"svabench_lava": 1, "name": NAME, "board": {...}, "kernel": {...},
 * "document": <svabench run --offline --json's result document>}. LAVA
 * rewrites '"' as '\"' in the console lines it logs, so JSON cannot travel
 * as text.
 */
#ifndef SVABENCH_LAVA_H
#define SVABENCH_LAVA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define LAVA_DOC_BEGIN "SVABENCH-LAVA-DOC-BEGIN"
#define LAVA_DOC_END "SVABENCH-LAVA-DOC-END"
#define LAVA_DOC_MAX (64u * 1024 * 1024) /* largest decoded envelope accepted */
#define LAVA_DOCS_MAX 256                /* documents per job */

/* What the input says of the LAVA job (empty strings where it says nothing). */
struct lava_job {
	char id[64];          /* the job id: the callback's "id", else LAVA_JOB_ID from the board */
	char device[128];     /* the callback's actual_device_id */
	char device_type[128];
	char health[32];      /* the callback's health_string: complete, incomplete, canceled */
	char failure[512];    /* why LAVA failed the job (its "job" result's error_msg), or "" */
	int failed;           /* LAVA reported the job failed */
	int from_callback;    /* the input was a notify callback's JSON (or a job's REST data) */
};

/*
 * Finds the documents in text (a LAVA job log: lava-run's or a server's
 * YAML lines, "- {dt, lvl, msg}"; console text as it is; or a notify
 * callback's / REST API's JSON object holding the log in "log"). Returns a
 * JSON array of result documents ready for POST /api/v1/import, each with
 * experiment.host.board, .kernel_identity and .lava merged in, and *job
 * filled. NULL with err (naming the document, the line, the limit) when a
 * document is damaged, or when there is none (the job's failure reason
 * when LAVA gave one): nothing is returned half.
 */
json_t *lava_extract(const char *text, size_t len, const char *server, struct lava_job *job,
		     char *err, size_t elen);

/* POSIX cksum (CRC-32, length appended) of buf: what `cksum` prints first. */
uint32_t lava_cksum(const unsigned char *buf, size_t len);

/*
 * Decodes base64 text (whitespace ignored, '=' padding) into a malloc'd
 * buffer: 0 with *out and *outlen; -1 when it is not base64, -2 out of memory.
 */
int lava_base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen);

/*
 * The headline metrics of a result document for LAVA's test cases: per
 * strategy (the test set), per cell and metric, the median over the
 * strategy's runs in that cell. Calls fn for each, strategies in the
 * spec's order; result is "pass" when every such run completed, "fail"
 * otherwise (a livelock detected is a completed run: its count is the
 * measurement). Returns 0, or -1 when doc is not a result document.
 */
typedef int (*lava_case_fn)(void *ctx, const char *set, const char *name, const char *result,
			    double measurement, const char *units);
int lava_cases(const json_t *doc, lava_case_fn fn, void *ctx);

#endif
