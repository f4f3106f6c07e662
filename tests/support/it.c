/*
 * it.c - integration-test harness (see it.h).
 */
#include "it.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "common.h"
#include "webhook.h"

extern char **environ;

void it_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

void it_require_db(void)
{
    if (getenv("SHOPVOX_TEST_PG_URL") == NULL) {
        fprintf(stderr, "SHOPVOX_TEST_PG_URL not set (run ./dev test): skipping\n");
        exit(77);
    }
}

static PGconn *connect_or_die(const char *url)
{
    PGconn *c = PQconnectdb(url);

    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "it: could not connect to %s: %s", url, PQerrorMessage(c));
        exit(1);
    }
    return c;
}

/* Replaces the database name at the end of a postgresql:// URL. */
static char *url_with_db(const char *base, const char *db)
{
    const char *slash = strrchr(base, '/');
    size_t n = slash ? (size_t)(slash - base) : strlen(base);

    return xasprintf("%.*s/%s", (int)n, base, db);
}

const char *it_db_create(const char *prefix)
{
    static char url[512];
    char name[96], sql[160];
    char *u;
    PGconn *c = connect_or_die(getenv("SHOPVOX_TEST_PG_URL"));
    PGresult *r;

    snprintf(name, sizeof(name), "it_%s_%d_%ld", prefix, (int)getpid(), (long)time(NULL));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "it: %s", PQerrorMessage(c));
        exit(1);
    }
    PQclear(r);
    PQfinish(c);
    u = url_with_db(getenv("SHOPVOX_TEST_PG_URL"), name);
    snprintf(url, sizeof(url), "%s", u);
    free(u);
    return url;
}

static PGresult *sql_run(const char *url, const char *sql, PGconn **conn)
{
    PGresult *r;

    *conn = connect_or_die(url);
    r = PQexec(*conn, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "it: %s: %s", sql, PQerrorMessage(*conn));
        exit(1);
    }
    return r;
}

long it_sql_long(const char *url, const char *sql)
{
    PGconn *c;
    PGresult *r = sql_run(url, sql, &c);
    long v = PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? atol(PQgetvalue(r, 0, 0)) : -1;

    PQclear(r);
    PQfinish(c);
    return v;
}

char *it_sql_text(const char *url, const char *sql)
{
    PGconn *c;
    PGresult *r = sql_run(url, sql, &c);
    char *v = xstrdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");

    PQclear(r);
    PQfinish(c);
    return v;
}

void it_sql_exec(const char *url, const char *sql)
{
    PGconn *c;

    PQclear(sql_run(url, sql, &c));
    PQfinish(c);
}

long it_wait_sql_long(const char *url, const char *sql, long want, int timeout_ms)
{
    int64_t deadline = now_ms_monotonic() + timeout_ms;
    long v;

    for (;;) {
        v = it_sql_long(url, sql);
        if (v == want || now_ms_monotonic() > deadline)
            return v;
        it_sleep_ms(100);
    }
}

int it_free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        perror("it: bind");
        exit(1);
    }
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    buf_append(ud, p, size * n);
    return size * n;
}

int it_http(int port, const char *method, const char *path, const char *body, size_t body_len,
            const char *const *headers, struct it_resp *out)
{
    CURL *h = curl_easy_init();
    struct curl_slist *hl = NULL;
    struct buf b;
    char url[512];
    CURLcode rc;

    buf_init(&b, 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        hl = curl_slist_append(hl, headers[i]);
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
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
    curl_slist_free_all(hl);
    curl_easy_cleanup(h);
    /* a server may answer (413) and close before the upload ends */
    return rc == CURLE_OK || out->status > 0 ? 0 : -1;
}

void it_resp_free(struct it_resp *r)
{
    free(r->body);
    r->body = NULL;
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

char *it_order_json(const char *id, const char *name, const char *financial_status,
                    const char *updated_at, const char *sku)
{
    return xasprintf(
        "{\"id\":\"%s\",\"name\":\"%s\",\"financial_status\":\"%s\",\"status\":\"open\","
        "\"fulfillment_status\":null,\"created_at\":\"2026-11-26T09:00:00+08:00\","
        "\"updated_at\":\"%s\",\"currency\":\"GBP\",\"total_price\":\"21.00\","
        "\"total_tax\":\"3.50\",\"total_discounts\":\"0.00\",\"email\":\"it@example.com\","
        "\"shipping_address\":{\"name\":\"Grace Hopper\",\"address1\":\"1 Navy Way\","
        "\"city\":\"London\",\"zip\":\"N1 1AA\",\"country\":\"United Kingdom\","
        "\"country_code\":\"GB\"},\"shipping_lines\":[{\"title\":\"Tracked 24\","
        "\"code\":\"T24\",\"price\":\"3.00\"}],\"line_items\":[{\"id\":\"%s1\","
        "\"variant_id\":\"88\",\"sku\":\"%s\",\"title\":\"Mug\",\"quantity\":1,"
        "\"price\":\"18.00\",\"requires_shipping\":true}]}",
        id, name, financial_status, updated_at, id, sku);
}

/* ---- processes ---- */

static void it_track_child(pid_t pid, bool add);

static void child_exec(const char *log_path, const char *const *env, const char *const *args)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[32];
    int n = 0;

    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    argv[n++] = (char *)(uintptr_t)SHOPVOX_BIN;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++)
        argv[n++] = (char *)(uintptr_t)args[i];
    argv[n] = NULL;
    for (size_t i = 0; env[i] != NULL; i++)
        putenv((char *)(uintptr_t)env[i]);
    execv(SHOPVOX_BIN, argv);
    _exit(127);
}

static int wait_healthy(struct it_proc *p)
{
    struct it_resp r;

    for (int i = 0; i < 300; i++) {
        int status;

        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            it_track_child(p->pid, false);
            p->pid = -1;
            return -1;
        }
        if (it_http(p->port, "GET", "/healthz", NULL, 0, NULL, &r) == 0 && r.status == 200) {
            it_resp_free(&r);
            return 0;
        }
        it_resp_free(&r);
        it_sleep_ms(50);
    }
    return -1;
}

/* Children still running when the test program exits (a failed assertion
 * jumps past the test's own stop) are killed, so no test leaves a process. */
#define IT_MAX_CHILDREN 32
static pid_t it_children[IT_MAX_CHILDREN];

static void it_kill_children(void)
{
    for (int i = 0; i < IT_MAX_CHILDREN; i++) {
        if (it_children[i] > 0) {
            kill(it_children[i], SIGKILL);
            waitpid(it_children[i], NULL, 0);
            it_children[i] = 0;
        }
    }
}

static void it_track_child(pid_t pid, bool add)
{
    static bool registered;

    if (!registered) {
        atexit(it_kill_children);
        registered = true;
    }
    for (int i = 0; i < IT_MAX_CHILDREN; i++) {
        if (add && it_children[i] == 0) {
            it_children[i] = pid;
            return;
        }
        if (!add && it_children[i] == pid) {
            it_children[i] = 0;
            return;
        }
    }
}

int it_shopvox_start(struct it_proc *p, const char *db_url, const char *const *extra_env,
                     const char *const *args)
{
    static int seq;
    const char *env[48];
    char listen[64], dbvar[600];
    size_t n = 0;

    p->port = it_free_port();
    snprintf(p->log_path, sizeof(p->log_path), "/tmp/shopvox-it-%d-%d.log", (int)getpid(), ++seq);
    snprintf(listen, sizeof(listen), "SHOPVOX_LISTEN=127.0.0.1:%d", p->port);
    snprintf(dbvar, sizeof(dbvar), "SHOPVOX_DATABASE_URL=%s", db_url);
    env[n++] = listen;
    env[n++] = dbvar;
    env[n++] = "SHOPLINE_SHOP_DOMAIN=" IT_SHOP;
    env[n++] = "SHOPLINE_ACCESS_TOKEN=it-token";
    env[n++] = "SHOPLINE_APP_SECRET=" IT_SECRET;
    env[n++] = "PEOPLEVOX_URL=http://127.0.0.1:9/it/resources/integrationservicev4.asmx";
    env[n++] = "SHOPVOX_ALLOW_INSECURE_HTTP=1"; /* the sandbox speaks plain http */
    env[n++] = "PEOPLEVOX_CLIENT_ID=it";
    env[n++] = "PEOPLEVOX_USERNAME=it";
    env[n++] = "PEOPLEVOX_PASSWORD=it-password";
    env[n++] = "SHOPVOX_WORKERS=0";
    for (size_t i = 0; extra_env != NULL && extra_env[i] != NULL && n < 47; i++)
        env[n++] = extra_env[i];
    env[n] = NULL;
    p->pid = fork();
    if (p->pid == 0)
        child_exec(p->log_path, env, args);
    it_track_child(p->pid, true);
    if (wait_healthy(p) < 0) {
        fprintf(stderr, "it: shopvox did not become healthy on port %d\n", p->port);
        it_proc_dump_log(p);
        return -1;
    }
    return 0;
}

int it_proc_stop(struct it_proc *p, int sig, int timeout_ms)
{
    int64_t deadline = now_ms_monotonic() + timeout_ms;
    int status;

    if (p->pid <= 0)
        return -1;
    it_track_child(p->pid, false);
    kill(p->pid, sig);
    while (now_ms_monotonic() < deadline) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        it_sleep_ms(20);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    p->pid = -1;
    return -1;
}

void it_proc_dump_log(const struct it_proc *p)
{
    FILE *f = fopen(p->log_path, "r");
    char line[1024];

    fprintf(stderr, "---- %s ----\n", p->log_path);
    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        fputs(line, stderr);
    if (f != NULL)
        fclose(f);
}

static int pg_script(const char *verb)
{
    const char *script = getenv("SHOPVOX_TEST_PG_SCRIPT");
    const char *dir = getenv("SHOPVOX_TEST_PG_DIR");
    char *cmd;
    int rc;

    if (script == NULL || dir == NULL)
        return -1;
    cmd = xasprintf("'%s' %s '%s' >/dev/null", script, verb, dir);
    rc = system(cmd);
    free(cmd);
    return rc;
}

int it_pg_stop(void)
{
    return pg_script("stop");
}

int it_pg_start(void)
{
    return pg_script("start");
}
