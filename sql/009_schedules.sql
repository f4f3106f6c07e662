-- 009: scheduler status (issue 8): what each scheduled task's last run came to.
--
-- One row per periodic task the leader enqueues (catalogue_sync,
-- detect_stalled, purge_retention, poll_despatches), written by the worker
-- that ran the task's job, when the job finished (an enqueue is not a run):
-- last_run_at every time, last_success_at on success, last_error and
-- last_error_at on a failure (kept after a later success, so the last
-- error stays readable), failing whether the latest run failed. replica is
-- the process that ran it ("host:pid", as jobs.locked_by; the host is the
-- pod's name in Kubernetes). The leader and the despatch watermark are
-- cursors rows (scheduler_leader, despatch_watermark).
CREATE TABLE schedules (
    task            text        PRIMARY KEY,
    last_run_at     timestamptz NOT NULL,
    last_success_at timestamptz,
    last_error      text,
    last_error_at   timestamptz,
    failing         boolean     NOT NULL,
    replica         text        NOT NULL,
    runs            bigint      NOT NULL DEFAULT 1,
    failures        bigint      NOT NULL DEFAULT 0
);
