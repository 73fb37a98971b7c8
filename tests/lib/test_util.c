/*
 * test_util.c - the util layer (lib/util.h, strbuf.h, logger.h): strings
 * that grow past any first guess, whole files of every size up to a limit
 * and a refusal past it, errors formatted into a caller's buffer, strict
 * numbers, and log lines with a UTC time, a level and the program.
 */
#include "../harness.h"
#include "../../lib/logger.h"
#include "../../lib/strbuf.h"
#include "../../lib/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;
	int ok = 1;

	test_result(sb.len == 0 && sb.buf[0] == '\0', "strbuf: an empty buffer reads as \"\"", "len %zu", sb.len);
	for (int i = 0; i < 10000; i++)
		strbuf_addf(&sb, "%d,", i);
	for (int i = 0, off = 0; i < 10000 && ok; i++) {
		char want[16];
		int n = snprintf(want, sizeof(want), "%d,", i);

		ok = !strncmp(sb.buf + off, want, (size_t)n);
		off += n;
	}
	test_result(ok && strlen(sb.buf) == sb.len, "strbuf: 10000 appends keep every byte in order",
		    "len %zu strlen %zu", sb.len, strlen(sb.buf));
	strbuf_reset(&sb);
	strbuf_addstr(&sb, "a b  ");
	strbuf_addch(&sb, '\t');
	strbuf_rtrim_blanks(&sb);
	strbuf_add(&sb, "\0z", 2);
	test_result(sb.len == 5 && !memcmp(sb.buf, "a b\0z", 6), "strbuf: reset, trailing blanks dropped, NULs kept",
		    "len %zu", sb.len);
	{
		char big[3000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		strbuf_reset(&sb);
		strbuf_addf(&sb, "<%s>", big);
		test_result(sb.len == 3001 && sb.buf[0] == '<' && sb.buf[3000] == '>' && !sb.buf[3001],
			    "strbuf: one formatted piece longer than any first guess", "len %zu", sb.len);
	}
	s = strbuf_detach(&sb, &len);
	test_result(len == 3001 && sb.len == 0 && sb.buf[0] == '\0' && s[0] == '<',
		    "strbuf: detach hands over the string and leaves the buffer empty", "len %zu", len);
	free(s);
	s = strbuf_detach(&sb, &len);
	test_result(s && len == 0 && !*s, "strbuf: detaching an empty buffer gives a freeable \"\"", "len %zu", len);
	free(s);
	strbuf_release(&sb);
}

static void test_read_file(void)
{
	char dir[] = "/tmp/test_util.XXXXXX", path[64];
	size_t sizes[] = {0, 1, 8191, 8192, 8193, 100000}, len = 0;
	int ok = 1;
	char *buf;

	if (!mkdtemp(dir)) {
		test_result(0, "read_file: a scratch directory", "%s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/f", dir);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes) && ok; i++) {
		FILE *f = fopen(path, "w");

		for (size_t k = 0; k < sizes[i]; k++)
			fputc('a' + (int)(k % 26), f);
		fclose(f);
		buf = read_file(path, 100000, &len);
		ok = buf && len == sizes[i] && buf[len] == '\0' && (!len || buf[len - 1] == 'a' + (int)((len - 1) % 26));
		if (!ok)
			test_result(0, "read_file: files of 0..100000 bytes read whole", "size %zu: got %zu", sizes[i],
				    buf ? len : (size_t)-1);
		free(buf);
	}
	if (ok)
		test_result(1, "read_file: files of 0..100000 bytes read whole", "%s", "");
	errno = 0;
	buf = read_file(path, 99999, &len);
	test_result(!buf && errno == EFBIG, "read_file: one byte over the limit is EFBIG", "errno %d", errno);
	free(buf);
	unlink(path);
	errno = 0;
	buf = read_file(path, 10, &len);
	test_result(!buf && errno == ENOENT, "read_file: a missing file is ENOENT", "errno %d", errno);
	rmdir(dir);
}

static void test_xgrow(void)
{
	int *v = NULL;
	size_t n = 0, cap = 0, grew = 0;
	int ok = 1;

	for (int i = 0; i < 1000; i++) {
		size_t before = cap;

		v = xgrow(v, &cap, n, sizeof(*v));
		grew += cap != before;
		v[n++] = i;
	}
	for (size_t i = 0; i < n; i++)
		ok &= v[i] == (int)i;
	test_result(ok && cap >= 1000 && grew == 8, "xgrow: 1000 appends keep every element, 8 doublings",
		    "cap %zu, grew %zu times", cap, grew);
	free(v);
}

static void test_error_into(void)
{
	char err[8] = "";

	test_result(error_into(err, sizeof(err), "limit %d exceeded", 12345) == -1 && !strcmp(err, "limit 1"),
		    "error_into: returns -1, formats truncated into err", "got '%s'", err);
	test_result(error_into(NULL, 0, "x") == -1, "error_into: no buffer is fine", "%s", "");
}

static void test_parse_double(void)
{
	static const char *const bad[] = {"", " 1", "+1", "1x", "inf", "nan", "1e999", "2", "-0.5", NULL};
	double v = -1;
	int ok = 1;

	for (int i = 0; bad[i]; i++)
		if (!parse_double(bad[i], -0.25, 1, &v))
			ok = 0;
	test_result(ok && v == -1, "parse_double: blanks, signs, words, overflow and out-of-range refused", "v %g", v);
	test_result(!parse_double("0.5", 0, 1, &v) && v == 0.5 && !parse_double("-.25", -0.25, 1, &v) && v == -0.25 &&
			    !parse_double("1e-3", 0, 1, &v) && v == 0.001,
		    "parse_double: decimals and exponents in range", "v %g", v);
}

static void test_json_put(void)
{
	json_t *o = json_object();
	int bad = 0;

	json_put(o, "a", json_integer(1), &bad);
	test_result(!bad && json_integer_value(json_object_get(o, "a")) == 1, "json_put: sets the member", "%s", "");
	json_put(o, "b", json_string("\xff"), &bad); /* invalid UTF-8: the constructor fails */
	test_result(bad && !json_object_get(o, "b"), "json_put: a failed constructor marks the object bad", "%s", "");
	json_decref(o);
}

static void test_logger(void)
{
	char line[LOG_LINE_MAX], big[LOG_LINE_MAX * 2];
	regex_t re;
	size_t n;
	int fds[2], saved;



	log_set_program("svabenchd");
	regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z warn svabenchd: disk 93% full\n$",
		REG_EXTENDED);
	/* through stderr, as the daemon's lines go */
	if (pipe(fds)) {
		test_result(0, "logger: a pipe", "%s", strerror(errno));
		return;
	}
	saved = dup(2);
	dup2(fds[1], 2);
	log_warn("disk %d%% full", 93);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = (size_t)read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	line[n < sizeof(line) ? n : 0] = '\0';
	test_result(!regexec(&re, line, 0, NULL, 0), "logger: one line on stderr with UTC time, level and program",
		    "got '%s'", line);
	regfree(&re);

	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	saved = dup(2);
	if (pipe(fds)) {
		close(saved);
		return;
	}
	dup2(fds[1], 2);
	log_error("%s", big);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = (size_t)read(fds[0], big, sizeof(big));
	close(fds[0]);
	test_result(n == LOG_LINE_MAX - 1 && !memcmp(big + n - 6, "[...]\n", 6) && strstr(big, " error svabenchd: yyy"),
		    "logger: a line too long is cut, says so and still ends the line", "%zu bytes", n);
}

int main(void)
{
	test_strbuf();
	test_read_file();
	test_xgrow();
	test_error_into();
	test_parse_double();
	test_json_put();
	test_logger();
	return test_exit();
}
