/*
 * it_sandbox.h - talking to the Peoplevox sandbox's control API from tests.
 */
#ifndef SHOPVOX_IT_SANDBOX_H
#define SHOPVOX_IT_SANDBOX_H

#include <json-c/json.h>
#include <stddef.h>

/* The Peoplevox endpoint URL of a sandbox on port (client id SANDBOX) into out. */
void it_sandbox_pvx_url(int port, char *out, size_t cap);
/* GET path on the sandbox; the parsed JSON (caller puts it) or NULL. */
struct json_object *it_sandbox_get(int port, const char *path);
/* POST a JSON body; 0 when the sandbox answered 200, else -1 (printed). */
int it_sandbox_post(int port, const char *path, const char *body);
/* A top-level number of GET /_sandbox/state ("sales_orders", ...), -1 when absent. */
long it_sandbox_count(int port, const char *key);
/* A member of o as a number (-1 when absent) or a string (NULL when absent). */
long it_json_long(struct json_object *o, const char *key);
const char *it_json_str(struct json_object *o, const char *key);

#endif
