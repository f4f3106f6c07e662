/*
 * report_hook.c - the daily report's POST (libcurl; see report_notify.h).
 * One request with the worker's own handle, reset first (the handle
 * carries other clients' options between jobs); the answer's body is read
 * and dropped, at most REPORT_HOOK_MAX_REPLY_BYTES of it. The URL may hold
 * a secret (a Slack webhook's path): it is never logged or put in err.
 */
#include <string.h>

#include "report_hook.h"

#define REPORT_HOOK_MAX_REPLY_BYTES 65536

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    size_t *total = ctx;

    *total += size * n;
    return *total > REPORT_HOOK_MAX_REPLY_BYTES ? 0 : size * n;
}

enum st report_hook_post(CURL *curl, const char *url, const char *body, struct errbuf *err)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char curl_err[CURL_ERROR_SIZE] = "";
    size_t total = 0;
    long code = 0;
    CURLcode rc;
    enum st st = ST_OK;

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &total);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)REPORT_POST_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "shopvox");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_err);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = curl_easy_perform(curl);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && total > REPORT_HOOK_MAX_REPLY_BYTES)) {
        errbuf_set(err, "could not post the daily report: %s",
                   curl_err[0] ? curl_err : curl_easy_strerror(rc));
        st = ST_RETRY;
        goto out;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) {
        errbuf_set(err, "the daily report's webhook answered HTTP %ld", code);
        st = code == 408 || code == 429 || code >= 500 ? ST_RETRY : ST_FAIL;
    }
out:
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(h);
    return st;
}
