/*
 * test_calibrate.c - local sim presets: with SVABENCH_PRESETS at a scratch
 * directory holding a hand-written local.json (extends default, one value
 * of confidence local), a spec naming preset "local" parses and its runs
 * use the local value, the other values coming from default; a broken file
 * is skipped; a file whose name shadows the built-in "default" is refused
 * (default keeps its own values); a file added later appears on
 * sim_presets_reload(); calibrate's name checks.
 */
#include "../harness.h"
#include "../../core/core.h"
#include "../../targets/sim/presets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/svabench-test-calibrate.XXXXXX";

static void put_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void rm_file(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static double param(const struct spec *s, const char *name)
{
	int k = target_param_index(s->target, name);

	return k >= 0 ? s->runs[0].params[k] : -1;
}

static struct spec *parse(const char *text, struct spec_error *e)
{
	return spec_parse(text, strlen(text), e);
}

int main(void)
{
	const struct target *sim = target_find("sim");
	const struct preset *p;
	struct spec_error e;
	struct spec *s;
	char err[256];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	put_file("local.json",
		 "{\"name\": \"local\", \"description\": \"hand-written\", \"extends\": \"default\",\n"
		 " \"values\": {\"cpu_fault_ns\": {\"value\": 1234, \"source\": \"test bench\","
		 " \"confidence\": \"local\"}}}\n");
	put_file("broken.json", "{\"name\": \"broken\", \"values\": ");
	put_file("badparam.json", "{\"name\": \"badparam\", \"values\": {\"nope_ns\": "
		 "{\"value\": 1, \"source\": \"x\", \"confidence\": \"local\"}}}");
	put_file("shadow.json", "{\"name\": \"default\", \"description\": \"evil\", \"values\": "
		 "{\"cpu_fault_ns\": {\"value\": 9, \"source\": \"x\", \"confidence\": \"local\"}}}");
	setenv("SVABENCH_PRESETS", dir, 1);

	s = parse("{\"workload\": \"rw-reuse\", \"preset\": \"local\", "
		  "\"params\": {\"duration_us\": 200}}", &e);
	test_result(s != NULL, "spec with preset local parses", "%s: %s", e.field, e.msg);
	if (s) {
		test_result(!strcmp(s->preset->name, "local"), "the spec's preset is local",
			    "got %s", s->preset->name);
		test_result(param(s, "cpu_fault_ns") == 1234, "the run uses the local value",
			    "cpu_fault_ns = %g", param(s, "cpu_fault_ns"));
		test_result(param(s, "cmd_sync_ns") == 600, "other values come from default",
			    "cmd_sync_ns = %g", param(s, "cmd_sync_ns"));
		{
			json_t *pj = preset_json(s->target, s->preset);
			const char *conf = json_string_value(json_object_get(
				json_object_get(json_object_get(pj, "values"), "cpu_fault_ns"),
				"confidence"));

			test_result(conf && !strcmp(conf, "local"),
				    "the result document names the value's confidence local",
				    "got %s", conf ? conf : "(none)");
			json_decref(pj);
		}
		{
			struct results *r = results_new(s);
			struct runner_opts ro = {.jobs = 1};
			char msg[128];

			test_result(r && !runner_run(r, &ro, msg, sizeof(msg)) && r->ndone == s->nruns,
				    "the runs with preset local complete", "ndone %zu of %zu",
				    r ? r->ndone : 0, s->nruns);
			results_free(r);
		}
		spec_free(s);
	}
	test_result(target_find_preset(sim, "broken") == NULL, "a broken file is skipped",
		    "preset broken was loaded");
	test_result(target_find_preset(sim, "badparam") == NULL,
		    "a file with an unknown parameter is skipped", "preset badparam was loaded");
	p = target_find_preset(sim, "default");
	test_result(p == sim->preset(0), "a local file cannot shadow default",
		    "default is not the built-in one");
	s = parse("{\"workload\": \"rw-reuse\", \"params\": {\"duration_us\": 200}}", &e);
	test_result(s && param(s, "cpu_fault_ns") == 800, "default keeps its own values",
		    "cpu_fault_ns = %g", s ? param(s, "cpu_fault_ns") : -1);
	spec_free(s);

	/* a reload picks up a new file and a changed one */
	put_file("zlater.json", "{\"name\": \"later\", \"extends\": \"local\", \"values\": {}}");
	put_file("local.json",
		 "{\"name\": \"local\", \"extends\": \"default\", \"values\": {\"cpu_fault_ns\": "
		 "{\"value\": 4321, \"source\": \"again\", \"confidence\": \"local\"}}}");
	sim_presets_reload();
	p = target_find_preset(sim, "later");
	test_result(p != NULL, "a reload finds a new file", "no preset later");
	p = target_find_preset(sim, "local");
	{
		int k = -1;

		for (size_t i = 0; p && i < p->nvalues; i++)
			if (!strcmp(p->values[i].param, "cpu_fault_ns"))
				k = (int)i;
		test_result(k >= 0 && p->values[k].value == 4321, "a reload replaces a changed file",
			    "cpu_fault_ns not 4321");
	}

	test_result(calibrate_name_ok("local", err, sizeof(err)) == 0, "calibrate accepts local",
		    "%s", err);
	test_result(calibrate_name_ok("default", err, sizeof(err)) == -1 && strstr(err, "built-in"),
		    "calibrate refuses the name default", "%s", err);
	test_result(calibrate_name_ok("a/b", err, sizeof(err)) == -1,
		    "calibrate refuses a name with a slash", "accepted");
	calibrate_default_path("local", err, sizeof(err));
	test_result(!strncmp(err, dir, strlen(dir)) && strstr(err, "/local.json"),
		    "the default output is $SVABENCH_PRESETS/local.json", "got %s", err);

	rm_file("local.json");
	rm_file("zlater.json");
	rm_file("broken.json");
	rm_file("badparam.json");
	rm_file("shadow.json");
	rmdir(dir);
	return test_exit();
}
