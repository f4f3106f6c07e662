/*
 * it_http.c - HTTP for the tests (see it_http.h).
 */
#include "it_http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "common.h"
#include "it_proc.h"
#include "webhook.h"

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

int it_http(int port, const char *method, const char *path, const char *body, size_t body_len,
            const char *const *headers, struct it_resp *out)
{
    return it_http_with_headers(port, method, path, body, body_len, headers, out, NULL);
}

int it_http_with_headers(int port, const char *method, const char *path, const char *body,
                         size_t body_len, const char *const *headers, struct it_resp *out,
                         char **resp_headers)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hl = NULL;
    struct buf b, hb;
    char url[512];
    CURLcode rc;

    buf_init(&b, 0);
    buf_init(&hb, 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 30000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (body != NULL) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    }
    rc = curl_easy_perform(h);
    out->status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = buf_steal(&b);
    if (resp_headers != NULL)
        *resp_headers = buf_steal(&hb);
    buf_cleanup(&hb);
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    /* a server may answer (413) and close before the upload ends */
    return rc == CURLE_OK || out->status > 0 ? 0 : -1;
}

long it_http_get_status(int port, const char *path)
{
    struct it_resp r;
    long status;

    it_http(port, "GET", path, NULL, 0, NULL, &r);
    status = r.status;
    it_resp_free(&r);
    return status;
}

void it_resp_free(struct it_resp *r)
{
    free(r->body);
    r->body = NULL;
}

bool it_header_value(const char *lines, const char *name, char *out, size_t cap)
{
    size_t n = strlen(name);

    for (const char *line = lines; line != NULL && *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t len = end != NULL ? (size_t)(end - line) : strlen(line);

        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;

            while (*v == ' ')
                v++;
            len -= (size_t)(v - line);
            while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == ' '))
                len--;
            snprintf(out, cap, "%.*s", (int)len, v);
            return true;
        }
        line = end != NULL ? end + 1 : NULL;
    }
    out[0] = '\0';
    return false;
}

int it_post_webhook(int port, const char *topic, const char *webhook_id, const char *body,
                    const char *sig_mode, struct it_resp *out)
{
    char sig[80] = "";
    char h_sig[128], h_topic[128], h_id[160], h_shop[128];
    const char *headers[6] = {"Content-Type: application/json; charset=utf-8", h_topic, h_id,
                              h_shop, NULL, NULL};
    size_t len = strlen(body);

    if (strcmp(sig_mode, "base64") == 0) {
        whk_sign_base64(IT_SECRET, body, len, sig);
    } else if (strcmp(sig_mode, "bad") == 0) {
        whk_sign_hex("not-the-secret", body, len, sig);
    } else if (strcmp(sig_mode, "none") != 0) {
        whk_sign_hex(IT_SECRET, body, len, sig);
        for (char *p = sig; strcmp(sig_mode, "HEX") == 0 && *p; p++)
            if (*p >= 'a' && *p <= 'f')
                *p = (char)(*p - 'a' + 'A');
    }
    snprintf(h_topic, sizeof(h_topic), "X-Shopline-Topic: %s", topic);
    snprintf(h_id, sizeof(h_id), "X-Shopline-Webhook-Id: %s", webhook_id);
    snprintf(h_shop, sizeof(h_shop), "X-Shopline-Shop-Domain: %s", IT_SHOP);
    if (sig[0] != '\0') {
        snprintf(h_sig, sizeof(h_sig), "X-Shopline-Hmac-Sha256: %s", sig);
        headers[4] = h_sig;
    }
    return it_http(port, "POST", "/webhooks/shopline", body, len, headers, out);
}

/* ---- raw TCP ---- */

int it_tcp_connect(int port)
{
    return it_tcp_connect_from(port, NULL);
}

int it_tcp_connect_from(int port, const char *source)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct sockaddr_in from = {.sin_family = AF_INET};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && source != NULL &&
        (inet_pton(AF_INET, source, &from.sin_addr) != 1 ||
         bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0)) {
        close(fd);
        return -1;
    }
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

int it_tcp_send(int fd, const char *s)
{
    size_t n = strlen(s);

    return send(fd, s, n, MSG_NOSIGNAL) == (ssize_t)n ? 0 : -1;
}

/* Bytes read into b[0..cap), or 0 when closed, -1 on timeout; at most until deadline. */
static ssize_t tcp_read(int fd, char *b, size_t cap, int64_t deadline)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int64_t left = deadline - now_ms_monotonic();
    ssize_t n;

    if (left < 0 || poll(&p, 1, (int)left) <= 0)
        return -1;
    n = recv(fd, b, cap, 0);
    return n < 0 ? 0 : n; /* a reset is a close */
}

long it_tcp_status(int fd, int timeout_ms)
{
    int64_t deadline = now_ms_monotonic() + timeout_ms;
    char head[256];
    size_t len = 0;
    ssize_t n;

    while (len < 12) {
        n = tcp_read(fd, head + len, sizeof(head) - 1 - len, deadline);
        if (n <= 0)
            return n == 0 ? 0 : -1;
        len += (size_t)n;
    }
    head[len] = '\0';
    return strncmp(head, "HTTP/1.", 7) == 0 ? strtol(head + 9, NULL, 10) : 0;
}

int it_tcp_closed(int fd, int timeout_ms)
{
    int64_t deadline = now_ms_monotonic() + timeout_ms;
    char b[4096];
    ssize_t n;

    while ((n = tcp_read(fd, b, sizeof(b), deadline)) > 0)
        continue;
    return n == 0;
}

double it_metric(int ops_port, const char *series)
{
    struct it_resp r = {0, NULL};
    double v = -1;
    size_t n = strlen(series);

    if (it_http(ops_port, "GET", "/metrics", NULL, 0, NULL, &r) == 0 && r.status == 200) {
        for (const char *line = r.body; line != NULL && *line != '\0';) {
            if (strncmp(line, series, n) == 0 && line[n] == ' ') {
                v = strtod(line + n + 1, NULL);
                break;
            }
            line = strchr(line, '\n');
            line = line != NULL ? line + 1 : NULL;
        }
    }
    it_resp_free(&r);
    return v;
}
