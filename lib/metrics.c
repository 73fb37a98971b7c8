/* metrics.c - the flat name -> number set every target reports into. */
#include "metrics.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct metrics *metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->v);
	free(m);
}

void metrics_clear(struct metrics *m)
{
	m->n = 0;
}

static struct metric *find(const struct metrics *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return &m->v[i];
	return NULL;
}

/* A new, zeroed entry named name at the end. */
static struct metric *append(struct metrics *m, const char *name)
{
	struct metric *e;

	m->v = xgrow(m->v, &m->cap, m->n, sizeof(*m->v));
	e = &m->v[m->n++];
	memset(e, 0, sizeof(*e));
	strncpy(e->name, name, METRIC_NAME_MAX - 1);
	return e;
}

static struct metric *slot(struct metrics *m, const char *name)
{
	struct metric *e = find(m, name);

	return e ? e : append(m, name);
}

void metrics_append(struct metrics *m, const char *name, double value, int is_null)
{
	struct metric *e = append(m, name);

	e->value = is_null ? 0 : value;
	e->is_null = !!is_null;
}

void metrics_set(struct metrics *m, const char *name, double value)
{
	struct metric *e = slot(m, name);

	e->value = value;
	e->is_null = 0;
}

void metrics_set_null(struct metrics *m, const char *name)
{
	struct metric *e = slot(m, name);

	e->value = 0;
	e->is_null = 1;
}

const struct metric *metrics_get(const struct metrics *m, const char *name)
{
	return find(m, name);
}

double metrics_value(const struct metrics *m, const char *name, double dflt)
{
	const struct metric *e = find(m, name);

	return (e && !e->is_null) ? e->value : dflt;
}
