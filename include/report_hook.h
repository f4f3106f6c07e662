/*
 * report_hook.h - the daily report's POST to SHOPVOX_REPORT_WEBHOOK_URL
 * (libcurl; report_notify.h says when and why).
 */
#ifndef SHOPVOX_REPORT_HOOK_H
#define SHOPVOX_REPORT_HOOK_H

#include <curl/curl.h>

#include "common.h"

#define REPORT_POST_TIMEOUT_MS 10000

/*
 * POSTs body (JSON) to url with curl (the caller's handle, reset first);
 * ST_OK for a 2xx, ST_RETRY for a network failure, a timeout, 408, 429 or
 * 5xx, ST_FAIL for any other answer (err says which, never the URL).
 */
enum st report_hook_post(CURL *curl, const char *url, const char *body, struct errbuf *err);

#endif
