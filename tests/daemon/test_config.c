/*
 * test_config.c - svabenchd's options come from one table (daemon/config.c):
 * every "(default X)" --help prints is the value the daemon takes when the
 * option is not given, so giving "--OPTION X" changes nothing; bad values
 * are refused naming the option and its range.
 */
#include "../harness.h"
#include "../../daemon/daemon.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
	char *help = NULL, err[512];
	size_t hlen = 0, checked = 0;
	struct config dflt, given;
	FILE *f = open_memstream(&help, &hlen);
	char *argv0[] = {"svabenchd", NULL};

	config_usage(f);
	fclose(f);
	test_result(config_parse(1, argv0, &dflt, err, sizeof(err)) == 0, "no options: the defaults parse",
		    "%s", err);
	for (char *line = strtok(help, "\n"); line; line = strtok(NULL, "\n")) {
		char opt[64], val[128], *d = strstr(line, "(default "), *argv[4] = {"svabenchd", opt, val, NULL};
		int rc;

		if (sscanf(line, " %63s", opt) != 1 || strncmp(opt, "--", 2) || !d || d[9] == ':' ||
		    sscanf(d + 9, "%127[^)]", val) != 1)
			continue;
		rc = config_parse(3, argv, &given, err, sizeof(err));
		if (!given.workers || rc) {
			test_result(0, "each default --help shows is the value taken without the option",
				    "%s %s: %s", opt, val, err);
			free(help);
			return test_exit();
		}
		given.workers = dflt.workers;
		if (memcmp(&given, &dflt, sizeof(dflt))) {
			test_result(0, "each default --help shows is the value taken without the option",
				    "%s %s differs from the default", opt, val);
			free(help);
			return test_exit();
		}
		checked++;
	}
	test_result(checked >= 14, "each default --help shows is the value taken without the option",
		    "only %zu defaults in --help", checked);
	{
		char *argv[] = {"svabenchd", "--run-timeout", "0", NULL};

		test_result(config_parse(3, argv, &given, err, sizeof(err)) == -1 &&
				    strstr(err, "--run-timeout") && strstr(err, "1..86400"),
			    "an out-of-range value is refused naming the option and its range", "%s", err);
	}
	free(help);
	return test_exit();
}
