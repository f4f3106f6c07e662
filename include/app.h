/*
 * app.h - the HTTP application: routes, webhook intake, operations endpoints.
 *
 * Wires the pieces a request needs (configuration, database pool) behind
 * the single handler http_server calls. Owns nothing it did not create:
 * the configuration is borrowed for the application's lifetime.
 */
#ifndef SHOPVOX_APP_H
#define SHOPVOX_APP_H

#include "config.h"
#include "http_server.h"
#include "store.h"

struct app;

/* Creates the application over a borrowed config; opens the DB pool. */
struct app *app_create(const struct cfg *cfg);
void app_destroy(struct app *a);
/* The handler to give to http_server (ctx = the app). */
void app_handle(void *ctx, const struct http_request *req, struct http_response *resp);
/* Registers the metric families the app uses (idempotent). */
void app_metrics_describe(void);

#endif
