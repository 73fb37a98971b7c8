-- 003_regressions.sql - regression tracking keyed by configuration
-- (daemon/history.c, daemon/history_config.c).
--
-- experiments.config is the configuration a history series belongs to, as
-- canonical JSON (keys sorted, compact): {"target", "workload", "preset":
-- {"name", "hash"}, "params": {the fixed params the spec sets away from the
-- preset's defaults}}; hash is the first 16 hex digits of the SHA-256 of the
-- preset's values (name -> value, keys sorted). config_id is the first 16
-- hex digits of the SHA-256 of config. A series is (config, cell,
-- strategy, metric): experiments differing in preset values or one fixed
-- parameter never share one. Filled at submission and import; rows of
-- older schemas are filled by svabenchd at start-up.
-- experiments.kernel is the kernel under test, {"version", "commit",
-- "config"} (JSON, NULL when unknown); history orders by its version.
-- experiments.import_hash is the SHA-256 of an imported document's content
-- (spec, host, runs and samples): a second import of it is refused (409).
--
-- The alerts of 002 carried no configuration (and were made by GETs): they
-- are dropped. An alert is now one change across the metrics it moved: one
-- row per (config, experiment) with the experiment before the step
-- (previous), a direction (regression when any metric got worse by its
-- direction, else improvement), tentative while the step is at the newest
-- point, and a triage status (new, acknowledged, invalid, fixed) changed by
-- POST /api/v1/alerts/ID; alert_changes holds one row per series it moved.

ALTER TABLE experiments ADD COLUMN config TEXT;
ALTER TABLE experiments ADD COLUMN config_id TEXT;
ALTER TABLE experiments ADD COLUMN kernel TEXT;
ALTER TABLE experiments ADD COLUMN import_hash TEXT;

-- A configuration's ended experiments, newest first: what a finished run's
-- alert check reads, without walking past queued experiments.
CREATE INDEX experiments_config_ended ON experiments(config_id, id)
	WHERE status IN ('done', 'failed');
-- A workload's ended experiments, newest first (GET /api/v1/history).
CREATE INDEX experiments_workload_ended ON experiments(target, workload, id)
	WHERE status IN ('done', 'failed');
CREATE INDEX experiments_import_hash ON experiments(import_hash)
	WHERE import_hash IS NOT NULL;

DROP TABLE alerts;

CREATE TABLE alerts (
	id            INTEGER PRIMARY KEY,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	config_id     TEXT NOT NULL,
	target        TEXT NOT NULL,
	workload      TEXT NOT NULL,
	experiment    INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
	previous      INTEGER REFERENCES experiments(id) ON DELETE SET NULL,
	direction     TEXT NOT NULL CHECK (direction IN ('regression', 'improvement')),
	tentative     INTEGER NOT NULL DEFAULT 0,
	status        TEXT NOT NULL DEFAULT 'new'
		CHECK (status IN ('new', 'acknowledged', 'invalid', 'fixed')),
	status_at     INTEGER,
	note          TEXT,
	UNIQUE (config_id, experiment)
);

CREATE INDEX alerts_workload ON alerts(workload, id);
CREATE INDEX alerts_experiment ON alerts(experiment);
CREATE INDEX alerts_previous ON alerts(previous);

CREATE TABLE alert_changes (
	alert        INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
	cell         TEXT NOT NULL,
	strategy     TEXT NOT NULL,
	metric       TEXT NOT NULL,
	direction    TEXT NOT NULL CHECK (direction IN ('regression', 'improvement')),
	value_before REAL,
	value_after  REAL,
	change       REAL,
	ci_low       REAL,
	ci_high      REAL,
	p            REAL,
	PRIMARY KEY (alert, cell, strategy, metric)
) WITHOUT ROWID;
