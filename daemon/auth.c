/*
 * auth.c - the bearer token that state-changing requests carry. It lives in
 * var/token (mode 0600), created on first start from the kernel's random
 * source; a token file others can read is refused rather than trusted.
 */
#include "daemon.h"
#include "../lib/util.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_BYTES 32          /* random bytes, written as 64 hex characters */
#define TOKEN_MIN 16            /* shortest token accepted from a hand-written file */
#define TOKEN_FILE_MAX 512

static int fill_random(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = getrandom(buf + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	return 0;
}

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Creates path with a new token. 0 when created, 1 when it already exists
 * (another process won the race, or it was there), -1 with err.
 */
static int create_token(const char *path, char *err, size_t elen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[TOKEN_BYTES];
	char text[2 * TOKEN_BYTES + 1];
	int fd, saved;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 1;
		return error_into(err, elen, "cannot create %s: %s", path, strerror(errno));
	}
	if (fill_random(raw, sizeof(raw))) {
		saved = errno;
		close(fd);
		unlink(path);
		return error_into(err, elen, "cannot read random bytes for %s: %s", path, strerror(saved));
	}
	for (size_t i = 0; i < TOKEN_BYTES; i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[2 * TOKEN_BYTES] = '\n';
	/* The umask can only narrow 0600; fchmod makes it exact either way. */
	if (fchmod(fd, 0600) || write_all(fd, text, sizeof(text)) || fsync(fd)) {
		saved = errno;
		close(fd);
		unlink(path);
		return error_into(err, elen, "cannot write %s: %s", path, strerror(saved));
	}
	memset(raw, 0, sizeof(raw));
	memset(text, 0, sizeof(text));
	if (close(fd)) {
		saved = errno;
		unlink(path);
		return error_into(err, elen, "cannot write %s: %s", path, strerror(saved));
	}
	return 0;
}

/* Reads the token of path into token[len]; -1 with err when unsafe or bad. */
static int load_token(const char *path, char *token, size_t len, char *err, size_t elen)
{
	struct stat st;
	char *buf;
	size_t k;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		return error_into(err, elen, "%s is a symbolic link; refusing to trust it (make it a "
				  "regular file of mode 0600, or delete it to have a new token made)", path);
	if (fd < 0)
		return error_into(err, elen, "cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		close(fd);
		return error_into(err, elen, "cannot stat %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return error_into(err, elen, "%s is not a regular file", path);
	}
	if (st.st_mode & 077) {
		close(fd);
		return error_into(err, elen, "%s is %s by others (mode %04o); chmod 600 it", path,
				  st.st_mode & 044 ? "readable" : "writable", (unsigned)(st.st_mode & 07777));
	}
	buf = read_fd(fd, TOKEN_FILE_MAX, &k);
	close(fd);
	if (!buf && errno == EFBIG)
		return error_into(err, elen, "%s is larger than %d bytes", path, TOKEN_FILE_MAX);
	if (!buf)
		return error_into(err, elen, "cannot read %s: %s", path, strerror(errno));
	while (k && (buf[k - 1] == '\n' || buf[k - 1] == '\r' || buf[k - 1] == ' ' ||
		     buf[k - 1] == '\t'))
		k--;
	buf[k] = '\0';
	rc = 0;
	for (size_t i = 0; !rc && i < k; i++)
		if (buf[i] <= ' ' || buf[i] > '~')
			rc = error_into(err, elen, "%s: the token must be one line of printable ASCII "
					"without spaces", path);
	if (!rc && k < TOKEN_MIN)
		rc = error_into(err, elen, "%s: the token is shorter than %d characters; delete the "
				"file to have a new one made", path, TOKEN_MIN);
	if (!rc && k + 1 > len)
		rc = error_into(err, elen, "%s: the token is longer than %zu characters", path, len - 1);
	if (!rc)
		memcpy(token, buf, k + 1);
	explicit_bzero(buf, k); /* the secret does not outlive its use */
	free(buf);
	return rc;
}

int auth_init(const char *var, char *token, size_t len, char *err, size_t elen)
{
	char path[4200];
	int rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/token", var) >= sizeof(path))
		return error_into(err, elen, "--var: path too long: %s", var);
	if (mkdir(var, 0700) && errno != EEXIST)
		return error_into(err, elen, "cannot create %s: %s", var, strerror(errno));
	rc = create_token(path, err, elen);
	if (rc < 0)
		return -1;
	return load_token(path, token, len, err, elen);
}

int auth_check(const char *token, const char *authorization_header)
{
	static const char scheme[] = "Bearer ";
	const char *given;
	size_t n, m;
	unsigned char diff;

	if (!token || !*token || !authorization_header ||
	    strncmp(authorization_header, scheme, sizeof(scheme) - 1))
		return 0;
	given = authorization_header + sizeof(scheme) - 1;
	n = strlen(token);
	m = strlen(given);
	/* Time depends on the token's length only, which is not a secret. */
	diff = n != m;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)token[i] ^ (unsigned char)(i < m ? given[i] : 0);
	return diff == 0;
}
