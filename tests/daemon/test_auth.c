/*
 * test_auth.c - the bearer token: made on first start with mode 0600, the
 * same on the next start, refused when others can read it; auth_check
 * takes exactly "Bearer <token>".
 */
#include "../harness.h"
#include "../../daemon/daemon.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/svabench-auth-XXXXXX";

static void cleanup(void)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/var/token", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/var", dir);
	rmdir(path);
	rmdir(dir);
}

static int all_hex(const char *s)
{
	for (; *s; s++)
		if (!strchr("0123456789abcdef", *s))
			return 0;
	return 1;
}

int main(void)
{
	char var[256], path[300], tok[128], tok2[128], err[512], header[300];
	struct stat st;
	int rc;

	if (!mkdtemp(dir)) {
		test_result(0, "mkdtemp", "cannot create a temporary directory");
		return test_exit();
	}
	atexit(cleanup);
	snprintf(var, sizeof(var), "%s/var", dir);
	snprintf(path, sizeof(path), "%s/token", var);

	rc = auth_init(var, tok, sizeof(tok), err, sizeof(err));
	test_result(rc == 0, "first start creates the token", "%s", err);
	test_result(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
		    "token file has mode 0600", "mode %04o", (unsigned)(st.st_mode & 0777));
	test_result(strlen(tok) == 64 && all_hex(tok), "token is 64 hex characters",
		    "got '%s'", tok);
	test_result(st.st_size == 65, "token file is the token and a newline",
		    "size %lld", (long long)st.st_size);

	rc = auth_init(var, tok2, sizeof(tok2), err, sizeof(err));
	test_result(rc == 0 && !strcmp(tok, tok2), "next start loads the same token",
		    "rc %d, %s", rc, rc ? err : tok2);

	chmod(path, 0644);
	err[0] = '\0';
	rc = auth_init(var, tok2, sizeof(tok2), err, sizeof(err));
	test_result(rc == -1 && strstr(err, "readable by others (mode 0644); chmod 600 it"),
		    "a token readable by others is refused", "rc %d, '%s'", rc, err);
	chmod(path, 0640);
	rc = auth_init(var, tok2, sizeof(tok2), err, sizeof(err));
	test_result(rc == -1 && strstr(err, "mode 0640"), "a token readable by the group is refused",
		    "rc %d, '%s'", rc, err);
	chmod(path, 0600);

	snprintf(header, sizeof(header), "Bearer %s", tok);
	test_result(auth_check(tok, header) == 1, "auth_check accepts the exact bearer token", "rejected");
	test_result(auth_check(tok, NULL) == 0, "auth_check rejects a missing header", "accepted");
	test_result(auth_check(tok, "") == 0, "auth_check rejects an empty header", "accepted");
	test_result(auth_check(tok, "Bearer ") == 0, "auth_check rejects an empty token", "accepted");
	test_result(auth_check(tok, tok) == 0, "auth_check rejects the token without the scheme",
		    "accepted");
	snprintf(header, sizeof(header), "Basic %s", tok);
	test_result(auth_check(tok, header) == 0, "auth_check rejects another scheme", "accepted");
	snprintf(header, sizeof(header), "Bearer %.63s", tok);
	test_result(auth_check(tok, header) == 0, "auth_check rejects a prefix of the token",
		    "accepted");
	snprintf(header, sizeof(header), "Bearer %sx", tok);
	test_result(auth_check(tok, header) == 0, "auth_check rejects the token with a suffix",
		    "accepted");
	snprintf(header, sizeof(header), "Bearer %s", tok);
	header[7] = header[7] == 'a' ? 'b' : 'a';
	test_result(auth_check(tok, header) == 0, "auth_check rejects a wrong token", "accepted");
	test_result(auth_check("", "Bearer ") == 0, "an empty token accepts nothing", "accepted");
	return test_exit();
}
