-- 006_alerts_pending.sql - an ended experiment's alert analysis survives a
-- kill (daemon/history.c, daemon/scheduler.c).
--
-- experiments.alerts_pending is 1 from an experiment's creation until the
-- history thread has checked its configuration for change points after it
-- ended or was imported. svabenchd queues the ended experiments still
-- pending when it starts: an analysis that was queued, or running, when the
-- daemon was killed runs at the next start (an analysis is idempotent: it
-- updates the configuration's alerts in place). Experiments stored before
-- this schema were analysed when they ended: 0.

ALTER TABLE experiments ADD COLUMN alerts_pending INTEGER NOT NULL DEFAULT 1;
UPDATE experiments SET alerts_pending = 0;
CREATE INDEX experiments_alerts_pending ON experiments(id) WHERE alerts_pending = 1;
