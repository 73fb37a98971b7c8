/*
 * test_lava.c - core/lava.c without LAVA: cksum as POSIX cksum computes it,
 * base64, documents found in lava-run's and lava-server's log lines and in
 * a callback's JSON, damaged / cut / oversized ones refused naming the
 * document, a failed job's reason, and the board's test cases (medians per
 * strategy and cell).
 */
#include "../harness.h"
#include "../../core/lava.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* s in base64, lines of width w (malloc'd). */
static char *enc(const char *s, size_t n, size_t w)
{
	char *out = malloc(n * 2 + 16), *o = out;
	size_t col = 0;

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		*o++ = b64[v >> 18 & 63];
		*o++ = b64[v >> 12 & 63];
		*o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? b64[v & 63] : '=';
		if ((col += 4) >= w) {
			*o++ = '\n';
			col = 0;
		}
	}
	*o = '\0';
	return out;
}

static const char envelope[] =
	"{\"svabench_lava\":1,\"name\":\"d1\",\"board\":{\"name\":\"b\"},"
	"\"kernel\":{\"release\":\"6.6.0\"},\"document\":{\"experiment\":{\"spec\":"
	"{\"strategies\":[\"none\",\"pri-inv\"]},\"host\":{\"kernel\":\"6.6.0\"}},\"runs\":["
	"{\"cell\":{},\"strategy\":\"none\",\"status\":\"done\",\"metrics\":{\"dma.livelocked\":3}},"
	"{\"cell\":{},\"strategy\":\"none\",\"status\":\"done\",\"metrics\":{\"dma.livelocked\":9}},"
	"{\"cell\":{},\"strategy\":\"none\",\"status\":\"done\",\"metrics\":{\"dma.livelocked\":5}},"
	"{\"cell\":{},\"strategy\":\"pri-inv\",\"status\":\"failed\",\"metrics\":"
	"{\"dma.livelocked\":0,\"dma.latency_ns.p99\":10}},"
	"{\"cell\":{},\"strategy\":\"pri-inv\",\"status\":\"done\",\"metrics\":"
	"{\"dma.livelocked\":0,\"dma.latency_ns.p99\":20}}]}}";

/* A log of JSON lines (style 0: lava-run's; 1: lava-server's "- {...}") with
 * the envelope between markers; bytes/cksum as given (0: right). */
static char *make_log(int style, unsigned long long bytes, unsigned long cksum, int cut)
{
	size_t n = strlen(envelope);
	char *b = enc(envelope, n, 76), *line, *save = NULL, *out = malloc(65536), *o = out;
	const char *dash = style ? "- " : "";

	o += sprintf(o, "%s{\"dt\": \"x\", \"lvl\": \"info\", \"msg\": \"start\"}\n", dash);
	o += sprintf(o, "%s{\"dt\": \"x\", \"lvl\": \"results\", \"msg\": {\"case\": \"c\", "
		     "\"endtc\": ! \"12\", \"result\": \"pass\"}}\n", dash);
	o += sprintf(o, "%s{\"dt\": \"x\", \"lvl\": \"target\", \"msg\": \"%s name=d1 bytes=%llu "
		     "cksum=%lu\"}\n", dash, LAVA_DOC_BEGIN, bytes ? bytes : (unsigned long long)n,
		     cksum ? cksum : (unsigned long)lava_cksum((const unsigned char *)envelope, n));
	for (line = strtok_r(b, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		o += sprintf(o, "%s{\"dt\": \"x\", \"lvl\": \"target\", \"msg\": \"%s\"}\n", dash, line);
	if (!cut)
		o += sprintf(o, "%s{\"dt\": \"x\", \"lvl\": \"target\", \"msg\": \"%s name=d1\"}\n",
			     dash, LAVA_DOC_END);
	free(b);
	return out;
}

static int count_cases(void *ctx, const char *set, const char *name, const char *result,
		       double measurement, const char *units)
{
	char *acc = ctx;

	sprintf(acc + strlen(acc), "%s/%s/%s/%g/%s;", set, name, result, measurement, units);
	return 0;
}

int main(void)
{
	struct lava_job job;
	char err[1024], *log, cases[1024] = "";
	unsigned char *raw;
	size_t rawlen;
	json_t *docs, *doc, *cb;

	test_result(lava_cksum((const unsigned char *)"", 0) == 4294967295u &&
		    lava_cksum((const unsigned char *)"{\"a\": \"b\"}\n", 11) == 725034856u,
		    "cksum as POSIX cksum", "got %lu", (unsigned long)lava_cksum((const unsigned char *)"", 0));
	test_result(!lava_base64_decode("eyJh\nIjog ImIifQo=", 17, &raw, &rawlen) && rawlen == 11 &&
		    !memcmp(raw, "{\"a\": \"b\"}\n", 11), "base64 decodes across lines", "bad");
	free(raw);
	test_result(lava_base64_decode("ey\"J", 4, &raw, &rawlen) == -1 && !raw,
		    "base64 refuses a stranger", "accepted");

	for (int style = 0; style < 2; style++) {
		log = make_log(style, 0, 0, 0);
		docs = lava_extract(log, strlen(log), "http://lava", &job, err, sizeof(err));
		doc = json_array_get(docs, 0);
		test_result(json_array_size(docs) == 1 &&
			    !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(
				    json_object_get(doc, "experiment"), "host"), "board"), "name")), "b") &&
			    !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(
				    json_object_get(doc, "experiment"), "host"), "kernel_identity"),
				    "release")), "6.6.0") &&
			    !strcmp(json_string_value(json_object_get(json_object_get(json_object_get(
				    json_object_get(doc, "experiment"), "host"), "lava"), "server")),
				    "http://lava"),
			    style ? "a document in lava-server's log lines" : "a document in lava-run's log lines",
			    "%s", err);
		json_decref(docs);
		free(log);
	}

	log = make_log(0, 0, 12345, 0);
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	test_result(!docs && strstr(err, "document d1") && strstr(err, "cksum"),
		    "a damaged document is refused by its cksum", "%s", err);
	free(log);
	log = make_log(0, 10, 0, 0);
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	test_result(!docs && strstr(err, "bytes=10"), "a short document is refused by its bytes",
		    "%s", err);
	free(log);
	log = make_log(0, 0, 0, 1);
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	test_result(!docs && strstr(err, "no END marker"), "a cut document is refused", "%s", err);
	free(log);
	log = make_log(0, (unsigned long long)LAVA_DOC_MAX + 1, 0, 0);
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	test_result(!docs && strstr(err, "over the limit"), "an oversized document is refused",
		    "%s", err);
	free(log);

	/* A failed job: LAVA's reason. */
	log = "{\"lvl\": \"target\", \"msg\": \"Kernel panic - not syncing: VFS\"}\n"
	      "{\"lvl\": \"results\", \"msg\": {\"case\": \"job\", \"definition\": \"lava\", "
	      "\"error_msg\": \"kernel panic\", \"error_type\": \"Job\", \"result\": \"fail\"}}\n";
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	test_result(!docs && job.failed && strstr(err, "the LAVA job failed: kernel panic"),
		    "a failed job is reported with LAVA's reason", "%s", err);

	/* A notify callback's JSON holding the log. */
	log = make_log(1, 0, 0, 0);
	cb = json_pack("{s:i,s:s,s:s,s:s}", "id", 77, "actual_device_id", "dev-1", "health_string",
		       "complete", "log", log);
	free(log);
	log = json_dumps(cb, JSON_COMPACT);
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	doc = json_object_get(json_object_get(json_object_get(json_array_get(docs, 0), "experiment"),
					      "host"), "lava");
	test_result(json_array_size(docs) == 1 && job.from_callback && !strcmp(job.id, "77") &&
		    !strcmp(json_string_value(json_object_get(doc, "device")), "dev-1"),
		    "a callback's JSON", "%s", err);
	json_decref(docs);
	free(log);
	json_decref(cb);
	docs = lava_extract("{\"experiment\": {}, \"runs\": []}", 30, NULL, &job, err, sizeof(err));
	test_result(!docs && strstr(err, "svabench import"), "a result document is sent to import",
		    "%s", err);

	/* A results export is not a log: said so. */
	log = "- case: 01-sim-livelock.dma.livelocked\n  definition: 0_svabench\n"
	      "  measurement: '20.0000000000'\n  result: pass\n  unit: transactions\n";
	docs = lava_extract(log, strlen(log), NULL, &job, err, sizeof(err));
	test_result(!docs && strstr(err, "results export"), "a results export is named as such",
		    "%s", err);

	/* The board's test cases: medians per strategy, fail where a run failed. */
	doc = json_loads(envelope, 0, NULL);
	lava_cases(json_object_get(doc, "document"), count_cases, cases);
	test_result(!strcmp(cases, "none/dma.livelocked/pass/5/transactions;"
			    "pri-inv/dma.latency_ns.p99/fail/15/ns;"
			    "pri-inv/dma.livelocked/fail/0/transactions;"),
		    "test cases: medians per strategy, fail where a run failed", "%s", cases);
	json_decref(doc);
	return test_exit();
}
