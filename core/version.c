/*
 * version.c - which svabench this is: the version, and the git commit the
 * build came from (the Makefile passes `git describe --always --dirty`;
 * "unknown" outside a git checkout). Reports print both in their "to
 * reproduce" block.
 */
#include "core.h"

#ifndef SVABENCH_COMMIT
#define SVABENCH_COMMIT "unknown"
#endif

const char *svabench_commit(void)
{
	return SVABENCH_COMMIT[0] ? SVABENCH_COMMIT : "unknown";
}
