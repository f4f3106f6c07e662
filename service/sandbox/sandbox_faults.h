/*
 * sandbox_faults.h - how a fake misbehaves like a real service: pending
 * answer-level faults, added latency, the rate limit and the log of recent
 * calls (private to the sandbox; types in sandbox_fake.h).
 */
#ifndef SHOPVOX_SANDBOX_FAULTS_H
#define SHOPVOX_SANDBOX_FAULTS_H

#include <stdbool.h>

#include "http_server.h"
#include "sandbox_fake.h"

/* What sbx_fake_take_fault decided for a call. */
enum sbx_fault {
    SBX_FAULT_NONE,
    SBX_FAULT_BUSY, /* over the rate limit: the fake answers 503 "too busy" */
    SBX_FAULT_429,  /* the fake answers 429 (with Retry-After) */
    SBX_FAULT_500,  /* the fake answers 500 in its dialect */
    SBX_FAULT_HANG  /* call sbx_fake_hang */
};

/*
 * Takes the lock and consumes the next answer-level fault for a call of op,
 * in a fixed order: the rate limit (which consumes no fault), 429, 500,
 * timeout; logs the call when one applies. *delay_ms is the latency to add
 * (start latency + slow_ms) when the call goes ahead.
 */
enum sbx_fault sbx_fake_take_fault(struct sbx_fake *f, const char *op, long *delay_ms);
/* Sleeps up to ms unless the fake stops first. Lock NOT held. */
void sbx_fake_wait_ms(struct sbx_fake *f, long ms);
/* A "timeout" fault: holds the call for hang_ms (or until stop), then no answer. */
void sbx_fake_hang(struct sbx_fake *f, struct http_response *resp);
/* Consumes a drop_after_apply fault, if one is pending. Lock held. */
bool sbx_fake_take_drop(struct sbx_fake *f);
/* Records a call in the log and the per-op counts (strings copied). Lock held. */
void sbx_fake_log_call(struct sbx_fake *f, const char *op, const char *tmpl, long rows,
                       long response_id, int http_code);
/* Sets the rate limit (calls capped at SBX_RATE_MAX_CALLS; window 0 -> 15 s). Lock held. */
void sbx_rate_set(struct sbx_rate_limit *r, long calls, long window_ms);
/* No pending faults, an empty call log, the rate limit given at start. Lock held. */
void sbx_faults_reset(struct sbx_fake *f);

#endif
