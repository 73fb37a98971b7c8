/*
 * metrics.h - moved to lib/metrics.h (the layer below targets/ and core/).
 * Kept so code written against the old path compiles; new code includes
 * lib/metrics.h. scripts/check-layers.sh refuses this path outside core/.
 */
#include "../lib/metrics.h"
