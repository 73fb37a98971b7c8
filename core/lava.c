/*
 * lava.c - svabench documents coming back from LAVA jobs (see lava.h): the
 * log's lines, the markers, base64 and cksum, the identity merged into the
 * document; and the headline metrics the board reports as test cases.
 */
#include "lava.h"
#include "../lib/strbuf.h"
#include "../lib/util.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- cksum and base64 ---- */

uint32_t lava_cksum(const unsigned char *buf, size_t len)
{
	uint32_t crc = 0;

	/* POSIX cksum: CRC-32 (0x04c11db7, MSB first) of the bytes, then of
	 * the length's bytes least significant first, complemented. */
	for (size_t i = 0; i < len; i++) {
		crc ^= (uint32_t)buf[i] << 24;
		for (int b = 0; b < 8; b++)
			crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	}
	for (size_t n = len; n; n >>= 8) {
		crc ^= (uint32_t)(n & 0xff) << 24;
		for (int b = 0; b < 8; b++)
			crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
	}
	return ~crc;
}

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int lava_base64_decode(const char *text, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf = malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t n = 0;
	int bits = 0, pad = 0;

	*out = NULL;
	if (!buf)
		return -2;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)text[i], v;

		if (isspace(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || pad) { /* a stranger, or data after the padding */
			free(buf);
			return -1;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (bits >= 6 || pad > 2) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

/* ---- the log's lines ---- */

static void copy(char *dst, size_t n, const char *src)
{
	if (src)
		snprintf(dst, n, "%s", src);
}

/* One document being collected between its markers. */
struct pending {
	char name[128];
	unsigned long long bytes;
	unsigned long cksum;
	size_t line;        /* the line of its BEGIN marker */
	struct strbuf b64;
	int open;
};

struct scan {
	const char *server;
	struct lava_job *job;
	json_t *docs;
	struct pending cur;
	char *err;
	size_t elen;
	int failed;         /* an error is in err */
	size_t log_lines;   /* lines that were LAVA log entries ({"lvl": ...}) */
};

/* "key=value" of a marker line into dst (n bytes); 0 when present. */
static int marker_field(const char *line, const char *key, char *dst, size_t n)
{
	size_t k = strlen(key);

	for (const char *p = line; (p = strstr(p, key)); p++) {
		if ((p == line || p[-1] == ' ') && p[k] == '=') {
			size_t i = 0;

			p += k + 1;
			while (p[i] && !isspace((unsigned char)p[i]) && i + 1 < n) {
				dst[i] = p[i];
				i++;
			}
			dst[i] = '\0';
			return 0;
		}
	}
	return -1;
}

static int put_identity(json_t *host, const char *key, json_t *v)
{
	if (!v)
		return 0;
	return json_object_set(host, key, v);
}

/* The envelope of the document being closed: checked, decoded, merged. */
static int finish_document(struct scan *s, size_t line)
{
	struct pending *p = &s->cur;
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	json_error_t jerr;
	json_t *env, *doc, *exp, *host, *lava;
	const char *what = p->name;
	int rc = lava_base64_decode(p->b64.len ? p->b64.buf : "", p->b64.len, &raw, &rawlen);
	uint32_t sum;

	if (rc == -2)
		return error_into(s->err, s->elen, "out of memory");
	if (rc)
		return error_into(s->err, s->elen, "document %s (line %zu): not base64 between the markers",
				  what, p->line);
	if (rawlen != p->bytes) {
		free(raw);
		return error_into(s->err, s->elen, "document %s (line %zu): %zu bytes decoded, the marker "
				  "says bytes=%llu (cut short or damaged on the console)", what, p->line,
				  rawlen, p->bytes);
	}
	sum = lava_cksum(raw, rawlen);
	if (sum != p->cksum) {
		free(raw);
		return error_into(s->err, s->elen, "document %s (line %zu): cksum %lu does not match the "
				  "marker's cksum=%lu (damaged on the console)", what, p->line,
				  (unsigned long)sum, p->cksum);
	}
	env = json_loadb((const char *)raw, rawlen, JSON_REJECT_DUPLICATES, &jerr);
	free(raw);
	if (!json_is_object(env)) {
		json_decref(env);
		return error_into(s->err, s->elen, "document %s (line %zu): the envelope is not a JSON "
				  "object: %s", what, p->line, jerr.text);
	}
	doc = json_object_get(env, "document");
	exp = json_object_get(doc, "experiment");
	if (json_integer_value(json_object_get(env, "svabench_lava")) != 1 ||
	    !json_is_object(exp) || !json_is_array(json_object_get(doc, "runs"))) {
		json_decref(env);
		return error_into(s->err, s->elen, "document %s (line %zu): the envelope needs "
				  "\"svabench_lava\": 1 and a result document in \"document\"", what, p->line);
	}
	host = json_object_get(exp, "host");
	if (!json_is_object(host)) {
		host = json_object();
		if (!host || json_object_set_new(exp, "host", host)) {
			json_decref(env);
			return error_into(s->err, s->elen, "out of memory");
		}
	}
	lava = json_pack("{s:s?,s:s?,s:s?,s:s?,s:s}", "job_id", s->job->id[0] ? s->job->id : NULL,
			 "device", s->job->device[0] ? s->job->device : NULL,
			 "device_type", s->job->device_type[0] ? s->job->device_type : NULL,
			 "server", s->server, "document", what);
	if (!lava || put_identity(host, "board", json_object_get(env, "board")) ||
	    put_identity(host, "kernel_identity", json_object_get(env, "kernel")) ||
	    json_object_set_new(host, "lava", lava) || json_array_append(s->docs, doc)) {
		json_decref(env);
		return error_into(s->err, s->elen, "out of memory");
	}
	json_decref(env);
	(void)line;
	return 0;
}

/* One console line of the board. */
static int console_line(struct scan *s, const char *text, size_t line)
{
	struct pending *p = &s->cur;
	const char *m;
	char v[64];

	if ((m = strstr(text, LAVA_DOC_BEGIN))) {
		if (p->open)
			return error_into(s->err, s->elen, "document %s (line %zu): a new BEGIN marker at "
					  "line %zu before its END", p->name, p->line, line);
		if (json_array_size(s->docs) >= LAVA_DOCS_MAX)
			return error_into(s->err, s->elen, "line %zu: more than %d documents in one job",
					  line, LAVA_DOCS_MAX);
		memset(p->name, 0, sizeof(p->name));
		if (marker_field(m, "name", p->name, sizeof(p->name)) ||
		    marker_field(m, "bytes", v, sizeof(v)) ||
		    (p->bytes = strtoull(v, NULL, 10), p->bytes == 0) ||
		    marker_field(m, "cksum", v, sizeof(v)))
			return error_into(s->err, s->elen, "line %zu: a BEGIN marker needs name=, bytes= "
					  "and cksum=", line);
		if (p->bytes > LAVA_DOC_MAX)
			return error_into(s->err, s->elen, "document %s (line %zu): bytes=%llu is over the "
					  "limit of %u", p->name, line, p->bytes, LAVA_DOC_MAX);
		p->cksum = strtoul(v, NULL, 10);
		p->line = line;
		strbuf_reset(&p->b64);
		p->open = 1;
		return 0;
	}
	if (!p->open)
		return 0;
	if ((m = strstr(text, LAVA_DOC_END))) {
		p->open = 0;
		return finish_document(s, line);
	}
	if (p->b64.len + strlen(text) > (size_t)LAVA_DOC_MAX / 3 * 4 + 4096)
		return error_into(s->err, s->elen, "document %s (line %zu): more base64 than its bytes=%llu",
				  p->name, p->line, p->bytes);
	strbuf_addstr(&p->b64, text);
	return 0;
}

/* A "results" entry of the log: LAVA's own verdict on the job. */
static void results_entry(struct scan *s, const json_t *msg)
{
	const char *def = json_string_value(json_object_get(msg, "definition"));
	const char *c = json_string_value(json_object_get(msg, "case"));
	const char *res = json_string_value(json_object_get(msg, "result"));
	const json_t *extra = json_object_get(msg, "extra");
	const char *why = json_string_value(json_object_get(extra, "error_msg"));

	if (!why)
		why = json_string_value(json_object_get(msg, "error_msg"));
	if (def && c && res && !strcmp(def, "lava") && !strcmp(c, "job") && !strcmp(res, "fail")) {
		s->job->failed = 1;
		if (why && !s->job->failure[0])
			copy(s->job->failure, sizeof(s->job->failure), why);
	} else if (def && c && res && !strcmp(def, "lava") && !strcmp(res, "fail") && why &&
		   !s->job->failure[0]) {
		/* An action's own failure (e.g. the boot's "kernel panic") says more. */
		snprintf(s->job->failure, sizeof(s->job->failure), "%s: %s", c, why);
	}
	/* The reason's first line (a panic's call trace follows it). */
	s->job->failure[strcspn(s->job->failure, "\r\n")] = '\0';
}

/*
 * One line of the log: {"dt": ..., "lvl": ..., "msg": ...} as lava-run prints
 * it, "- {...}" as lava-server stores it (YAML's flow style, JSON but for
 * the odd tag such as "size": ! "123", whose lines are then console text,
 * harmlessly), or console text as it is.
 */
static int log_line(struct scan *s, char *text, size_t line)
{
	const char *p = text;
	json_t *o, *msg;
	const char *lvl;
	int rc = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (p[0] == '-' && p[1] == ' ')
		p += 2;
	if (p[0] != '{')
		return console_line(s, text, line);
	o = json_loads(p, 0, NULL);
	if (!o && strstr(p, ": ! \"")) {
		/* YAML's non-specific tag, as in "endtc": ! "12": dropped, then JSON. */
		char *q = strdup(p), *t;

		for (t = q; t && (t = strstr(t, ": ! \"")); )
			memmove(t + 2, t + 4, strlen(t + 4) + 1);
		o = q ? json_loads(q, 0, NULL) : NULL;
		free(q);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return console_line(s, text, line);
	}
	lvl = json_string_value(json_object_get(o, "lvl"));
	msg = json_object_get(o, "msg");
	if (lvl)
		s->log_lines++;
	if (lvl && !strcmp(lvl, "target") && json_is_string(msg))
		rc = console_line(s, json_string_value(msg), line);
	else if (lvl && !strcmp(lvl, "results") && json_is_object(msg))
		results_entry(s, msg);
	json_decref(o);
	return rc;
}

/* The job's fields of a notify callback or a REST job object. */
static void callback_fields(struct lava_job *job, const json_t *o)
{
	const json_t *id = json_object_get(o, "id");

	job->from_callback = 1;
	if (json_is_integer(id))
		snprintf(job->id, sizeof(job->id), "%lld", (long long)json_integer_value(id));
	else if (json_is_string(id))
		copy(job->id, sizeof(job->id), json_string_value(id));
	copy(job->device, sizeof(job->device),
	     json_string_value(json_object_get(o, "actual_device_id")));
	copy(job->device_type, sizeof(job->device_type),
	     json_string_value(json_object_get(o, "requested_device_type_id")));
	copy(job->health, sizeof(job->health), json_string_value(json_object_get(o, "health_string")));
	if (job->health[0] && strcmp(job->health, "complete"))
		job->failed = 1;
	copy(job->failure, sizeof(job->failure),
	     json_string_value(json_object_get(o, "failure_comment")));
}

/* Whether text[0..len) holds word. */
static int has(const char *text, size_t len, const char *word)
{
	size_t n = strlen(word);

	for (size_t i = 0; i + n <= len; i++)
		if (text[i] == word[0] && !memcmp(text + i, word, n))
			return 1;
	return 0;
}

json_t *lava_extract(const char *text, size_t len, const char *server, struct lava_job *job,
		     char *err, size_t elen)
{
	struct scan s = {.server = server, .job = job, .err = err, .elen = elen};
	json_t *cb = NULL;
	const char *end;
	char *copybuf = NULL, *line;
	size_t n = 0;
	int rc = 0;

	memset(job, 0, sizeof(*job));
	if (elen)
		err[0] = '\0';
	/* A callback's (or the REST API's) JSON object holds the log in "log". */
	while (len && isspace((unsigned char)*text))
		text++, len--;
	/* lava-run's log is JSON lines too: the whole text is one object only in a callback. */
	if (len && *text == '{')
		cb = json_loadb(text, len, 0, NULL);
	if (json_is_object(cb) && !json_object_get(cb, "lvl")) {
		if (json_object_get(cb, "experiment")) {
			json_decref(cb);
			error_into(err, elen, "this is a result document, not a LAVA job: svabench import "
				   "takes it");
			return NULL;
		}
		callback_fields(job, cb);
		if (!json_is_string(json_object_get(cb, "log"))) {
			char failure[sizeof(job->failure)];

			snprintf(failure, sizeof(failure), "%s", job->failure);
			error_into(err, elen, "log: the LAVA job's JSON holds no log (a callback needs "
				   "dataset: all or logs)%s%s", failure[0] ? "; the job failed: " : "",
				   failure);
			json_decref(cb);
			return NULL;
		}
		text = json_string_value(json_object_get(cb, "log"));
		len = json_string_length(json_object_get(cb, "log"));
	} else {
		json_decref(cb);
		cb = NULL;
	}
	s.docs = json_array();
	copybuf = malloc(len + 1);
	if (!s.docs || !copybuf) {
		error_into(err, elen, "out of memory");
		goto bad;
	}
	memcpy(copybuf, text, len);
	copybuf[len] = '\0';
	for (line = copybuf; !rc && line < copybuf + len; line = (char *)end + 1) {
		end = memchr(line, '\n', (size_t)(copybuf + len - line));
		if (!end)
			end = copybuf + len;
		*(char *)end = '\0';
		if (end > line && end[-1] == '\r')
			((char *)end)[-1] = '\0';
		rc = log_line(&s, line, ++n);
	}
	if (!rc && s.cur.open)
		rc = error_into(err, elen, "document %s (line %zu): no END marker: the log ends first "
				"(the job stopped while it was being written?)", s.cur.name, s.cur.line);
	if (!rc && !json_array_size(s.docs)) {
		if (job->failed)
			rc = error_into(err, elen, "no svabench document in the log: the LAVA job failed%s%s",
					job->failure[0] ? ": " : "", job->failure);
		else if (!s.log_lines && (has(text, len, "definition") || has(text, len, "measurement")))
			rc = error_into(err, elen, "this looks like a LAVA results export: it holds test "
					"cases (name, result, measurement), not svabench's documents; import the "
					"job's log instead (lavacli jobs logs --raw ID > job.log), or the job "
					"with --lava URL ID");
		else
			rc = error_into(err, elen, "no svabench document in the log (no %s marker)",
					LAVA_DOC_BEGIN);
	}
	/* The board's own idea of the job id when the input had none. */
	if (!rc && !job->id[0]) {
		const char *bid = json_string_value(json_object_get(json_object_get(json_object_get(
			json_object_get(json_array_get(s.docs, 0), "experiment"), "host"), "board"),
			"lava_job_id"));

		copy(job->id, sizeof(job->id), bid);
		for (size_t i = 0; bid && i < json_array_size(s.docs); i++) {
			json_t *l = json_object_get(json_object_get(json_object_get(
				json_array_get(s.docs, i), "experiment"), "host"), "lava");

			json_object_set_new(l, "job_id", json_string(bid));
		}
	}
	free(copybuf);
	strbuf_release(&s.cur.b64);
	json_decref(cb);
	if (rc) {
		json_decref(s.docs);
		return NULL;
	}
	return s.docs;
bad:
	free(copybuf);
	json_decref(s.docs);
	json_decref(cb);
	return NULL;
}

/* ---- the board's test cases ---- */

/* Headline metrics, in the order reported, with LAVA's units. */
static const struct {
	const char *metric, *units;
} headline[] = {
	{"cost.total_ns", "ns"},
	{"cost.total_ns_per_op", "ns"},
	{"dma.throughput_bps", "bytes/s"},
	{"dma.latency_ns.p99", "ns"},
	{"dma.livelocked", "transactions"},
	{"oracle.coherence_violations", "accesses"},
	{"cpu.invalidation_ns", "ns"},
	{"cmdq.sync_wait_ns", "ns"},
	{"op.latency_ns.p50", "ns"},
	{"op.latency_ns.p99", "ns"},
	{"qemu.dma_attempts", "attempts"},
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int lava_cases(const json_t *doc, lava_case_fn fn, void *ctx)
{
	const json_t *runs = json_object_get(doc, "runs");
	const json_t *strategies = json_object_get(json_object_get(json_object_get(doc,
		"experiment"), "spec"), "strategies");
	size_t nruns = json_array_size(runs), ncells = 0;
	double *vals;
	int rc = 0;

	if (!json_is_array(runs) || !json_is_array(strategies))
		return -1;
	/* Cells are numbered by first appearance of their "cell" object. */
	for (size_t i = 0; i < nruns; i++) {
		const json_t *cell = json_object_get(json_array_get(runs, i), "cell");
		size_t j;

		for (j = 0; j < i; j++)
			if (json_equal((json_t *)cell,
				       json_object_get(json_array_get(runs, j), "cell")))
				break;
		if (j == i)
			ncells++;
	}
	vals = malloc((nruns ? nruns : 1) * sizeof(*vals));
	if (!vals)
		return -1;
	for (size_t si = 0; !rc && si < json_array_size(strategies); si++) {
		const char *strategy = json_string_value(json_array_get(strategies, si));
		size_t cellno = 0;

		if (!strategy)
			continue;
		for (size_t i = 0; !rc && i < nruns; i++) {
			const json_t *cell = json_object_get(json_array_get(runs, i), "cell");
			int first = 1;

			/* The first run of each cell starts that cell. */
			for (size_t j = 0; j < i; j++)
				if (json_equal((json_t *)cell,
					       json_object_get(json_array_get(runs, j), "cell")))
					first = 0;
			if (!first)
				continue;
			cellno++;
			for (size_t h = 0; !rc && h < sizeof(headline) / sizeof(headline[0]); h++) {
				size_t n = 0, total = 0;
				int ok = 1;
				char name[160];

				for (size_t j = 0; j < nruns; j++) {
					const json_t *r = json_array_get(runs, j);
					const char *st = json_string_value(json_object_get(r, "strategy"));
					const char *status = json_string_value(json_object_get(r, "status"));
					const json_t *v = json_object_get(json_object_get(r, "metrics"),
									  headline[h].metric);

					if (!st || strcmp(st, strategy) ||
					    !json_equal((json_t *)cell, json_object_get(r, "cell")))
						continue;
					total++;
					if (!status || strcmp(status, "done"))
						ok = 0;
					if (json_is_number(v) && isfinite(json_number_value(v)))
						vals[n++] = json_number_value(v);
				}
				if (!total || !n)
					continue;
				qsort(vals, n, sizeof(*vals), cmp_double);
				if (ncells > 1)
					snprintf(name, sizeof(name), "c%zu.%s", cellno, headline[h].metric);
				else
					snprintf(name, sizeof(name), "%s", headline[h].metric);
				rc = fn(ctx, strategy, name, ok ? "pass" : "fail",
					n % 2 ? vals[n / 2] : (vals[n / 2 - 1] + vals[n / 2]) / 2,
					headline[h].units);
			}
		}
	}
	free(vals);
	return rc;
}
