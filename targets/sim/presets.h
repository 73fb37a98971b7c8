/*
 * presets.h - what the sim's preset loader (presets.c) offers outside the
 * target interface: `svabench calibrate` (core/calibrate.c) writes local
 * presets and needs the loader to see them.
 */
#ifndef SVABENCH_SIM_PRESETS_H
#define SVABENCH_SIM_PRESETS_H

/*
 * Re-reads the local preset directory (sim_presets_set_dir's, else
 * $SVABENCH_PRESETS, else ./var/presets): new names are appended, a
 * changed one replaced (the old one stays valid for whoever holds it).
 */
void sim_presets_reload(void);
/* The local preset directory from now on (NULL: back to the environment's);
 * read at the first preset lookup and at each sim_presets_reload(). */
void sim_presets_set_dir(const char *dir);
/* 1 when name is one of the sim's embedded (built-in) presets. */
int sim_preset_embedded(const char *name);

#endif
