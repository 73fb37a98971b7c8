-- 002_history.sql - alerts: the change points found in a metric's history
-- (daemon/history.c), one per series and experiment.
--
-- A series is (target, workload, cell, strategy, metric); cell is the run's
-- cell as canonical JSON (keys sorted, compact). experiment is the first
-- experiment after the step; label is its label when the alert was made.
-- before/after are the medians of the windows either side, change is
-- after / before - 1 (NULL when before was 0), p the Welch t-test's.
-- status starts 'new'; later migrations may add states (Perfherder's
-- acknowledged, invalid, fixed...), so it has no CHECK to outgrow.

CREATE TABLE alerts (
	id           INTEGER PRIMARY KEY,
	created_at   INTEGER NOT NULL,
	target       TEXT NOT NULL,
	workload     TEXT NOT NULL,
	cell         TEXT NOT NULL,
	strategy     TEXT NOT NULL,
	metric       TEXT NOT NULL,
	experiment   INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
	label        TEXT,
	value_before REAL,
	value_after  REAL,
	change       REAL,
	p            REAL,
	status       TEXT NOT NULL DEFAULT 'new',
	UNIQUE (target, workload, cell, strategy, metric, experiment)
);

-- GET /api/v1/alerts?workload=, newest first.
CREATE INDEX alerts_workload ON alerts(workload, id);
CREATE INDEX alerts_experiment ON alerts(experiment);
