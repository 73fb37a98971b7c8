-- 004_packed_samples.sql - a run's time series as one row per time point.
--
-- 001 stored one row per (run, time, metric): about 90 rows per sample,
-- which made SQLite the daemon's largest cost (issue 15). A time point is
-- now one row: its values packed in a blob, the names once per distinct
-- set of metrics.
--
-- sample_sets.metrics: the metric_names ids of a set, each a 32-bit
-- unsigned little-endian integer, in the order of the values.
-- sample_points.vals: one IEEE 754 double per metric of the set,
-- little-endian; NaN (or any non-finite value) for a value that has no
-- number (served as null). A time point may have several rows, one per set
-- (a target's samples and a collector's may share a time); readers merge
-- them by metric id.
--
-- The rows of 001's samples table are moved here by svabenchd right after
-- this script, in the same transaction (store_samples_migrate in
-- daemon/store_samples.c), and samples is dropped.

CREATE TABLE sample_sets (
	id      INTEGER PRIMARY KEY,
	metrics BLOB NOT NULL UNIQUE
);

-- No foreign key, as before: the store deletes a run's points itself.
CREATE TABLE sample_points (
	run  INTEGER NOT NULL,
	t_ns INTEGER NOT NULL,
	sset INTEGER NOT NULL,
	vals BLOB NOT NULL,
	PRIMARY KEY (run, t_ns, sset)
) WITHOUT ROWID;
