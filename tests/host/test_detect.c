/*
 * test_detect.c - SVA detection against sysfs and /dev trees the test
 * builds: an empty machine reports every item unavailable with the reason;
 * a machine with an SMMUv3, its PMCG, a uacce device with UACCE_DEV_SVA and
 * an idxd work queue has all found and SVA possible through the uacce node.
 */
#include "../../targets/host/host.h"
#include "../harness.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[256];

static void mk(const char *rel)
{
	char p[512], *s;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	for (s = p + strlen(root) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	}
	mkdir(p, 0755);
}

static void put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *reason(json_t *d, const char *item)
{
	const char *r = json_string_value(json_object_get(json_object_get(d, item), "reason"));

	return r ? r : "";
}

static int present(json_t *d, const char *item)
{
	return json_is_true(json_object_get(json_object_get(d, item), "present"));
}

int main(void)
{
	char cmd[300], dev[512], why[512];
	json_t *d, *u;
	int rc;

	snprintf(root, sizeof(root), "/tmp/svabench-detect-XXXXXX");
	if (!mkdtemp(root)) {
		test_result(0, "temp dir", "mkdtemp failed");
		return test_exit();
	}

	d = host_detect(root);
	test_result(d && !present(d, "iommu") && strstr(reason(d, "iommu"), "no IOMMU registered in /sys/class/iommu"),
		    "empty tree: no IOMMU, with the reason", "reason \"%s\"", reason(d, "iommu"));
	test_result(!present(d, "pmcg") && strstr(reason(d, "pmcg"), "smmuv3_pmcg"),
		    "empty tree: no PMCG, with the reason", "reason \"%s\"", reason(d, "pmcg"));
	test_result(!present(d, "uacce") && strstr(reason(d, "uacce"), "no uacce device"),
		    "empty tree: no uacce device, with the reason", "reason \"%s\"", reason(d, "uacce"));
	test_result(!present(d, "idxd") && strstr(reason(d, "idxd"), "no /dev/dsa work queue"),
		    "empty tree: no idxd work queue, with the reason", "reason \"%s\"", reason(d, "idxd"));
	test_result(!present(d, "iommu_groups") && *reason(d, "iommu_groups"),
		    "empty tree: no iommu group, with the reason", "reason \"%s\"", reason(d, "iommu_groups"));
	test_result(json_is_false(json_object_get(json_object_get(d, "sva"), "possible")) &&
		    strstr(reason(d, "sva"), "no IOMMU") && strstr(reason(d, "sva"), "no uacce device") &&
		    strstr(reason(d, "sva"), "no /dev/dsa work queue"),
		    "empty tree: SVA impossible, naming all three", "reason \"%s\"", reason(d, "sva"));
	rc = host_sva_device(root, dev, sizeof(dev), why, sizeof(why));
	test_result(rc == -1 && strstr(why, "no uacce device"), "empty tree: no device to bind",
		    "rc %d, why \"%s\"", rc, why);
	json_decref(d);

	mk("/sys/class/iommu/smmu3.0x0000000009050000");
	mk("/sys/bus/event_source/devices/smmuv3_pmcg_9057000");
	mk("/sys/bus/event_source/devices/cpu");
	mk("/sys/class/uacce/hisi_zip-0");
	put("/sys/class/uacce/hisi_zip-0/flags", "1\n");
	put("/sys/class/uacce/hisi_zip-0/api", "hisi_qm_v2\n");
	mk("/sys/kernel/iommu_groups/0");
	mk("/dev/dsa");
	put("/dev/hisi_zip-0", "");
	put("/dev/dsa/wq0.0", "");

	d = host_detect(root);
	test_result(d && present(d, "iommu") &&
		    !strcmp(json_string_value(json_array_get(json_object_get(json_object_get(d, "iommu"), "iommus"), 0)),
			    "smmu3.0x0000000009050000"),
		    "SMMUv3 found in /sys/class/iommu", "iommu not present");
	test_result(present(d, "pmcg") &&
		    json_array_size(json_object_get(json_object_get(d, "pmcg"), "pmus")) == 1,
		    "its PMCG found (and only smmuv3_pmcg_* PMUs)", "pmcg not found or cpu counted");
	u = json_array_get(json_object_get(json_object_get(d, "uacce"), "devices"), 0);
	test_result(present(d, "uacce") && json_is_true(json_object_get(u, "sva")) &&
		    json_is_string(json_object_get(u, "api")) &&
		    !strcmp(json_string_value(json_object_get(u, "api")), "hisi_qm_v2") &&
		    json_is_true(json_object_get(u, "dev_present")),
		    "uacce hisi_zip-0 found with UACCE_DEV_SVA, api and its /dev node", "uacce not as built");
	test_result(present(d, "idxd") && present(d, "iommu_groups"), "idxd wq0.0 and an iommu group found",
		    "idxd %d, groups %d", present(d, "idxd"), present(d, "iommu_groups"));
	rc = host_sva_device(root, dev, sizeof(dev), why, sizeof(why));
	test_result(rc == 0 && strstr(dev, "/dev/hisi_zip-0"), "SVA possible, binding through the uacce node",
		    "rc %d, dev \"%s\"", rc, rc == 0 ? dev : why);
	json_decref(d);

	put("/sys/class/uacce/hisi_zip-0/flags", "0\n");
	rc = host_sva_device(root, dev, sizeof(dev), why, sizeof(why));
	test_result(rc == 0 && strstr(dev, "/dev/dsa/wq0.0"),
		    "a uacce device without the SVA flag is passed over for the idxd work queue",
		    "rc %d, dev \"%s\"", rc, rc == 0 ? dev : why);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
	return test_exit();
}
