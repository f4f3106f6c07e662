/*
 * app.h - the HTTP application: routes, webhook intake, operations endpoints.
 *
 * Wires the pieces a request needs (configuration, database pool) behind
 * the single handler http_server calls. Owns nothing it did not create:
 * the configuration is borrowed for the application's lifetime.
 */
#ifndef SHOPVOX_APP_H
#define SHOPVOX_APP_H

#include "api.h"
#include "config.h"
#include "http_server.h"
#include "store.h"

struct app;

/* Threads of the operations listener: a slow API read must not hold up a probe. */
#define APP_OPS_THREADS 2
/* The pending inbox is looked at this often even without a nudge (other replicas, a crash). */
#define APP_APPLY_POLL_MS 1000

/* Creates the application over a borrowed config; opens the DB pool. */
struct app *app_create(const struct cfg *cfg);
void app_destroy(struct app *a);
/*
 * The public listener (ctx = the app): POST /webhooks/shopline, the
 * Peoplevox nudge POST|GET /webhooks/peoplevox/{PEOPLEVOX_WEBHOOK_TOKEN}
 * (200 and the despatch poll brought forward; 404 for a wrong token or
 * when no token is configured; never a call to Peoplevox), 404 for
 * anything else. app_admit lets a body in only for a POST to the webhook
 * with a well-formed signature header; any other request gets its answer
 * from the headers alone.
 */
void app_handle(void *ctx, const struct http_request *req, struct http_response *resp);
bool app_admit(void *ctx, const struct http_request *req, struct http_response *resp);
/*
 * The operations listener (ctx = the app): GET/HEAD /healthz, /readyz and
 * /metrics, the admin API under /api/v1/ (api.h) and the web page under
 * /ops/ (console.h). Only an authenticated operator's API write and a
 * login take a body (app_admit_ops asks api_admit or console_admit);
 * anything else is answered from the headers.
 */
void app_handle_ops(void *ctx, const struct http_request *req, struct http_response *resp);
bool app_admit_ops(void *ctx, const struct http_request *req, struct http_response *resp);
/* The admin API (borrowed), e.g. to install its session hook. */
struct api *app_api(struct app *a);
/* Registers the metric families the app uses (idempotent). */
void app_metrics_describe(void);

#endif
