/*
 * detect.c - what makes SVA possible on this machine, read from sysfs and
 * /dev: IOMMUs, SMMUv3 PMCGs, uacce devices with UACCE_DEV_SVA, idxd user
 * work queues, iommu groups. Each is present or unavailable with the reason;
 * nothing here needs privilege (sysfs and /dev listings are world-readable).
 */
#include "host.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UACCE_DEV_SVA 0x1 /* include/uapi/misc/uacce/uacce.h */

static void path_of(char *buf, size_t len, const char *root, const char *rel)
{
	snprintf(buf, len, "%s%s", root && *root ? root : "", rel);
}

/* Names in dir starting with prefix ("" = all but dot entries), sorted. */
static json_t *list_names(const char *dir, const char *prefix)
{
	json_t *a = json_array();
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;

		if (a && nm[0] != '.' && !strncmp(nm, prefix, strlen(prefix)))
			json_array_append_new(a, json_string(nm));
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	return a;
}

/* The first line of a small sysfs file, or "" when unreadable. */
static void read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/* {"present", "<key>": [names], "reason"} */
static json_t *item(json_t *names, const char *key, const char *reason)
{
	json_t *o = json_object();
	int present = names && json_array_size(names) > 0;

	if (!o) {
		json_decref(names);
		return NULL;
	}
	json_object_set_new(o, "present", json_boolean(present));
	json_object_set_new(o, key, names ? names : json_array());
	if (!present)
		json_object_set_new(o, "reason", json_string(reason));
	return o;
}

static json_t *uacce_json(const char *root)
{
	char dir[4096], p[4096], flags[64], api[128];
	json_t *names, *devs = json_array();

	path_of(dir, sizeof(dir), root, "/sys/class/uacce");
	names = list_names(dir, "");
	for (size_t i = 0; devs && names && i < json_array_size(names); i++) {
		const char *nm = json_string_value(json_array_get(names, i));
		unsigned long fl;
		struct stat st;
		json_t *d = json_object();

		if (snprintf(p, sizeof(p), "%s/%s/flags", dir, nm) >= (int)sizeof(p))
			flags[0] = '\0';
		else
			read_line(p, flags, sizeof(flags));
		fl = strtoul(flags, NULL, 0);
		if (snprintf(p, sizeof(p), "%s/%s/api", dir, nm) >= (int)sizeof(p))
			api[0] = '\0';
		else
			read_line(p, api, sizeof(api));
		path_of(p, sizeof(p), root, "/dev/");
		strncat(p, nm, sizeof(p) - strlen(p) - 1);
		if (!d)
			continue;
		json_object_set_new(d, "name", json_string(nm));
		json_object_set_new(d, "flags", json_integer((json_int_t)fl));
		json_object_set_new(d, "sva", json_boolean(fl & UACCE_DEV_SVA));
		json_object_set_new(d, "api", json_string(api));
		json_object_set_new(d, "dev", json_string(p));
		json_object_set_new(d, "dev_present", json_boolean(stat(p, &st) == 0));
		json_array_append_new(devs, d);
	}
	json_decref(names);
	return item(devs, "devices", "no uacce device in /sys/class/uacce");
}

int host_sva_device(const char *root, char *dev, size_t dlen, char *why, size_t wlen)
{
	json_t *d = host_detect(root), *sva;
	int rc = -1;

	if (!d) {
		snprintf(why, wlen, "out of memory");
		return -1;
	}
	sva = json_object_get(d, "sva");
	if (json_is_true(json_object_get(sva, "possible"))) {
		snprintf(dev, dlen, "%s", json_string_value(json_object_get(sva, "device")));
		rc = 0;
	} else {
		snprintf(why, wlen, "%s", json_string_value(json_object_get(sva, "reason")));
	}
	json_decref(d);
	return rc;
}

/* The bind device: a uacce device with the SVA flag and its node, else an idxd WQ. */
static void sva_json(json_t *o, const char *root)
{
	json_t *s = json_object(), *u = json_object_get(o, "uacce");
	json_t *wq = json_object_get(json_object_get(o, "idxd"), "work_queues");
	const char *dev = NULL;
	char p[4096], why[512];
	size_t i;
	json_t *d;

	if (!s)
		return;
	json_array_foreach(json_object_get(u, "devices"), i, d) {
		if (!dev && json_is_true(json_object_get(d, "sva")) &&
		    json_is_true(json_object_get(d, "dev_present")))
			dev = json_string_value(json_object_get(d, "dev"));
	}
	if (!dev && json_array_size(wq)) {
		path_of(p, sizeof(p), root, "/dev/dsa/");
		strncat(p, json_string_value(json_array_get(wq, 0)), sizeof(p) - strlen(p) - 1);
		dev = p;
	}
	json_object_set_new(s, "possible", json_boolean(dev != NULL));
	if (dev) {
		json_object_set_new(s, "device", json_string(dev));
	} else {
		snprintf(why, sizeof(why), "no SVA device: %s; %s; %s",
			 json_is_true(json_object_get(json_object_get(o, "iommu"), "present")) ?
			 "IOMMU present" : "no IOMMU registered in /sys/class/iommu",
			 json_is_true(json_object_get(u, "present")) ?
			 "no uacce device with UACCE_DEV_SVA and a /dev node" : "no uacce device",
			 "no /dev/dsa work queue");
		json_object_set_new(s, "reason", json_string(why));
	}
	json_object_set_new(o, "sva", s);
}

json_t *host_detect(const char *root)
{
	json_t *o = json_object();
	char p[4096];

	if (!o)
		return NULL;
	path_of(p, sizeof(p), root, "/sys/class/iommu");
	json_object_set_new(o, "iommu", item(list_names(p, ""), "iommus",
					     "no IOMMU registered in /sys/class/iommu"));
	path_of(p, sizeof(p), root, "/sys/bus/event_source/devices");
	json_object_set_new(o, "pmcg", item(list_names(p, "smmuv3_pmcg_"), "pmus",
					    "no smmuv3_pmcg_* PMU in /sys/bus/event_source/devices"));
	json_object_set_new(o, "uacce", uacce_json(root));
	path_of(p, sizeof(p), root, "/dev/dsa");
	json_object_set_new(o, "idxd", item(list_names(p, "wq"), "work_queues",
					    "no /dev/dsa work queue (idxd user WQ)"));
	path_of(p, sizeof(p), root, "/sys/kernel/iommu_groups");
	json_object_set_new(o, "iommu_groups", item(list_names(p, ""), "groups",
						    "no iommu group in /sys/kernel/iommu_groups"));
	sva_json(o, root);
	if (!root || !*root) { /* /dev/kvm is opened, so only for the real root */
		char why[300];
		json_t *k = json_object();

		if (k && host_kvm_usable(why, sizeof(why)) == 0) {
			json_object_set_new(k, "present", json_true());
			json_object_set_new(k, "device", json_string("/dev/kvm"));
		} else if (k) {
			json_object_set_new(k, "present", json_false());
			json_object_set_new(k, "reason", json_string(why));
		}
		json_object_set_new(o, "secondary_mmu", k);
	}
	json_object_set_new(o, "privilege",
			    json_string("the CPU-side workloads need no privilege; the bound strategy opens the uacce or idxd device node, which needs read/write permission on it (root or the device's group)"));
	return o;
}
