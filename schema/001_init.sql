-- 001_init.sql - svabenchd's first schema: experiments, the runs of their
-- plans, each run's final metrics and its time series.
--
-- Applied once, in a transaction, by PRAGMA user_version (daemon/store.c).
-- Never edit this file once released: add 002_*.sql instead.
--
-- Times are Unix milliseconds (UTC). JSON columns hold compact JSON text.
-- Public ids are derived, not stored: experiment "e<id>", run
-- "e<experiment>-r<idx + 1>".

CREATE TABLE experiments (
	id               INTEGER PRIMARY KEY,
	spec             TEXT NOT NULL,          -- the spec as submitted
	target           TEXT NOT NULL,
	workload         TEXT NOT NULL,
	label            TEXT,
	name             TEXT,
	preset           TEXT NOT NULL,          -- JSON: preset_json(), values with sources
	host             TEXT NOT NULL,          -- JSON: kernel, machine, svabench_version
	svabench_version TEXT NOT NULL,
	status           TEXT NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
	runs_total       INTEGER NOT NULL,
	runs_done        INTEGER NOT NULL DEFAULT 0,
	runs_failed      INTEGER NOT NULL DEFAULT 0,
	runs_cancelled   INTEGER NOT NULL DEFAULT 0, -- ended without a result
	rev              INTEGER NOT NULL DEFAULT 0, -- bumped by every change; keys cached documents
	created_at       INTEGER NOT NULL,
	finished_at      INTEGER,                -- when the last run ended
	imported_from    TEXT                    -- the id in the document it was imported from
);

-- GET /api/v1/experiments?label= and the history of one workload, newest first.
CREATE INDEX experiments_label ON experiments(label, id);
CREATE INDEX experiments_workload ON experiments(workload, id);

CREATE TABLE runs (
	id          INTEGER PRIMARY KEY,         -- claim order: oldest queued first
	experiment  INTEGER NOT NULL REFERENCES experiments(id) ON DELETE CASCADE,
	idx         INTEGER NOT NULL,            -- index in the experiment's plan
	cell        TEXT NOT NULL,               -- JSON: the swept params' values
	strategy    TEXT NOT NULL,
	repetition  INTEGER NOT NULL,
	seed        INTEGER NOT NULL,
	status      TEXT NOT NULL DEFAULT 'queued'
		CHECK (status IN ('queued', 'running', 'done', 'failed', 'interrupted', 'cancelled')),
	reason      TEXT,
	examples    TEXT,                        -- JSON array of strings
	attempts    INTEGER NOT NULL DEFAULT 0,
	samples     INTEGER NOT NULL DEFAULT 0,  -- time points stored (approximate)
	queued_at   INTEGER NOT NULL,
	started_at  INTEGER,
	finished_at INTEGER,
	UNIQUE (experiment, idx)
);

-- The claim (oldest queued run), recovery (running runs) and counts by status.
CREATE INDEX runs_status ON runs(status, id);

CREATE TABLE metric_names (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

-- A run's final metrics in the order the target reported them; value NULL
-- for a metric that has no number.
CREATE TABLE metrics (
	run    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	pos    INTEGER NOT NULL,
	metric INTEGER NOT NULL REFERENCES metric_names(id),
	value  REAL,
	PRIMARY KEY (run, pos)
) WITHOUT ROWID;

-- Time series, one row per metric value. No foreign keys: checking one per
-- row would halve the ingest rate; the store deletes a run's samples itself
-- and checks the run once per batch.
CREATE TABLE samples (
	run    INTEGER NOT NULL,
	t_ns   INTEGER NOT NULL,
	metric INTEGER NOT NULL,
	value  REAL,
	PRIMARY KEY (run, t_ns, metric)
) WITHOUT ROWID;
