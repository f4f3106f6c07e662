/*
 * sandbox_control.h - the /_sandbox/ JSON control API every fake serves,
 * and the helpers a fake's control hook builds its answers with (private
 * to the sandbox).
 */
#ifndef SHOPVOX_SANDBOX_CONTROL_H
#define SHOPVOX_SANDBOX_CONTROL_H

#include "buf.h"
#include "http_server.h"
#include "sandbox_fake.h"

struct json_object;

/* Answers a request under /_sandbox/ (takes the lock). */
void sbx_control_serve(struct sbx_fake *f, const struct http_request *req,
                       struct http_response *resp);
/* Writes o (consumed) to out; returns code. */
int sbx_json_reply(struct buf *out, int code, struct json_object *o);
/* Writes {"error": msg} to out; returns code. */
int sbx_json_error(struct buf *out, int code, const char *msg);
/* A string member of o, or NULL (absent or not a string); borrowed. */
const char *sbx_json_str(struct json_object *o, const char *key);
/*
 * POST /_sandbox/faults, the shared part: counts (http_500, http_429,
 * timeout, drop_after_apply, slow_ms: whole numbers >= 0) and rate_limit
 * {"calls": 0..1000, "window_ms": >= 1}. 0, or -1 with a 400 answer in out.
 * Lock held.
 */
int sbx_faults_post(struct sbx_fake *f, struct json_object *in, struct buf *out);
/* The pending shared faults as a new JSON object (the fake adds its own). Lock held. */
struct json_object *sbx_faults_json(const struct sbx_fake *f);
/*
 * Adds the shared part of GET /_sandbox/state to j: calls_total, calls
 * (per op), faults (the given object, consumed), rate_limit, refused.
 * Lock held.
 */
void sbx_state_json(const struct sbx_fake *f, struct json_object *j,
                    struct json_object *faults);

#endif
