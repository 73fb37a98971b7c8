-- 005_packed_metrics.sql - a run's final metrics as one row.
--
-- 001 stored one metrics row per (run, metric): 86 rows for a one-page
-- simulator run, and with them about as much of the daemon's CPU as the
-- rest of a run's bookkeeping together (issue 15). A run's final metrics
-- are now one row: the set of their names (sample_sets of 004, which name
-- final metrics too: ids in the order the target reported them) and their
-- values packed as 004's sample_points.vals are (one little-endian double
-- per metric; NaN for a metric without a number, served as null).
--
-- SQL reads a value with svabench_metric(sample_sets.metrics, vals, id),
-- a function svabenchd registers on its connections: NULL when the set
-- has no such metric or its value is not a number.
--
-- The rows of 001's metrics table are moved here by svabenchd right after
-- this script, in the same transaction (store_metrics_migrate in
-- daemon/store_samples.c), and metrics is dropped.

CREATE TABLE run_metrics (
	run  INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
	sset INTEGER NOT NULL,
	vals BLOB NOT NULL
);
