/*
 * sandbox_main.c - `shopvox sandbox`: the sandbox's fakes as a process
 * (the fake Peoplevox, and the fake SHOPLINE store beside it when
 * --shopline-listen is given), shared by `shopvox` and `shopvox-sandbox`.
 *
 * SIGINT and SIGTERM are blocked before the daemon starts, so every thread
 * it creates inherits the mask and the main thread alone takes the signal
 * with sigwait(); then the daemon stops cleanly (hanging calls are woken).
 */
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "sandbox.h"

/* Everything the flags set. */
struct sandbox_args {
    struct sandbox_pvx_opts pvx;
    struct sandbox_shopline_opts shopline;
    char host[256], shopline_host[256];
    bool with_shopline;
};

static int sandbox_parse_listen(const char *s, char *host, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p;

    if (colon == NULL || (size_t)(colon - s) >= cap)
        return -1;
    p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || colon[1] == '\0' || p < 0 || p > 65535)
        return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host) - 2);
        host[strlen(host) - 2] = '\0';
    }
    *port = (int)p;
    return 0;
}

static int sandbox_parse_long(const char *flag, const char *v, long *out)
{
    char *end;

    *out = strtol(v, &end, 10);
    if (*end == '\0' && v[0] != '\0' && *out >= 0)
        return 0;
    fprintf(stderr, "sandbox: invalid %s value '%s': expected a whole number >= 0\n", flag, v);
    return -1;
}

/* "15/15" or "15/1.5": calls per window of seconds (a whole number of ms). */
static int sandbox_parse_rate(const char *v, struct sandbox_pvx_opts *o)
{
    char *end = NULL;
    long calls = strtol(v, &end, 10);
    double secs = 0;

    if (end != v && *end == '/' && calls >= 1 && calls <= 1000) {
        const char *s = end + 1;

        secs = strtod(s, &end);
        if (end != s && *end == '\0' && secs >= 0.001 && secs <= 86400) {
            o->rate_limit_calls = calls;
            o->rate_limit_window_ms = (long)(secs * 1000.0 + 0.5);
            return 0;
        }
    }
    fprintf(stderr, "sandbox: invalid --rate-limit '%s': expected CALLS/SECONDS, e.g. 15/15\n",
            v);
    return -1;
}

static int sandbox_parse_encoding(const char *v, enum sandbox_pw_encoding *out)
{
    static const char *const names[] = {"base64", "plain", "any"};

    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = (enum sandbox_pw_encoding)i;
            return 0;
        }
    }
    fprintf(stderr, "sandbox: invalid --password-encoding '%s': use base64, plain or any\n", v);
    return -1;
}

/* "4/40": the SHOPLINE bucket's drain a second and its size. */
static int sandbox_parse_bucket(const char *v, struct sandbox_shopline_opts *o)
{
    char *end = NULL;
    long rate = strtol(v, &end, 10);

    if (end != v && *end == '/' && rate >= 1 && rate <= 1000) {
        const char *s = end + 1;
        long burst = strtol(s, &end, 10);

        if (end != s && *end == '\0' && burst >= 1 && burst <= 100000) {
            o->rate_per_sec = rate;
            o->burst = burst;
            return 0;
        }
    }
    fprintf(stderr, "sandbox: invalid --shopline-bucket '%s': expected RATE/BURST, e.g. 4/40\n",
            v);
    return -1;
}

/*
 * --timezone ZONE: the fake tenant's time zone, for its report dates. The
 * sandbox process takes it as its TZ (set here, before any thread starts;
 * glibc would silently read an unknown zone as UTC, so the zone file must
 * exist).
 */
static int sandbox_parse_zone(const char *v, struct sandbox_pvx_opts *o)
{
    char path[128];

    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", v);
    if (!cfg_zone_name_ok(v) || access(path, R_OK) != 0) {
        fprintf(stderr, "sandbox: invalid --timezone '%s': expected a zone of "
                        "/usr/share/zoneinfo, e.g. Europe/London\n", v);
        return -1;
    }
    setenv("TZ", v, 1);
    tzset();
    o->local_report_dates = true;
    return 0;
}

static void sandbox_usage(void)
{
    fputs("usage: shopvox sandbox [--listen HOST:PORT] [--latency-ms N] [--client-id ID]\n"
          "                       [--username U] [--password P]\n"
          "                       [--password-encoding base64|plain|any]\n"
          "                       [--session-idle-ms N] [--no-seed]\n"
          "                       [--rate-limit CALLS/SECONDS]\n"
          "                       [--shopline-listen HOST:PORT] [--shopline-token T]\n"
          "                       [--shopline-secret S] [--shopline-webhook-url URL]\n"
          "                       [--shopline-bucket RATE/BURST] [--timezone ZONE]\n",
          stderr);
}

static int sandbox_parse_listen_flag(const char *flag, const char *v, char *host, size_t cap,
                                     int *port)
{
    if (sandbox_parse_listen(v, host, cap, port) == 0)
        return 0;
    fprintf(stderr, "sandbox: invalid %s '%s': expected HOST:PORT\n", flag, v);
    return -1;
}

/* The --shopline-* flags (c: their getopt code); -1 on a bad value. */
static int sandbox_parse_shopline(int c, const char *v, struct sandbox_args *a)
{
    switch (c) {
    case 'L':
        a->with_shopline = true;
        return sandbox_parse_listen_flag("--shopline-listen", v, a->shopline_host,
                                         sizeof(a->shopline_host), &a->shopline.port);
    case 'T': a->shopline.access_token = v; return 0;
    case 'S': a->shopline.app_secret = v; return 0;
    case 'W': a->shopline.webhook_url = v; return 0;
    case 'B': return sandbox_parse_bucket(v, &a->shopline);
    default: return -1;
    }
}

static int sandbox_parse_args(int argc, char **argv, struct sandbox_args *a)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'}, {"latency-ms", required_argument, NULL, 't'},
        {"client-id", required_argument, NULL, 'c'}, {"username", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"password-encoding", required_argument, NULL, 'e'},
        {"session-idle-ms", required_argument, NULL, 's'}, {"no-seed", no_argument, NULL, 'n'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"shopline-listen", required_argument, NULL, 'L'},
        {"shopline-token", required_argument, NULL, 'T'},
        {"shopline-secret", required_argument, NULL, 'S'},
        {"shopline-webhook-url", required_argument, NULL, 'W'},
        {"shopline-bucket", required_argument, NULL, 'B'},
        {"timezone", required_argument, NULL, 'z'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    struct sandbox_pvx_opts *o = &a->pvx;
    int c;
    int rc = 0;

    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            rc = sandbox_parse_listen_flag("--listen", optarg, a->host, sizeof(a->host),
                                           &o->port);
            break;
        case 't': rc = sandbox_parse_long("--latency-ms", optarg, &o->latency_ms); break;
        case 's':
            rc = sandbox_parse_long("--session-idle-ms", optarg, &o->session_idle_timeout_ms);
            break;
        case 'c': o->client_id = optarg; break;
        case 'u': o->username = optarg; break;
        case 'p': o->password = optarg; break;
        case 'e': rc = sandbox_parse_encoding(optarg, &o->password_encoding); break;
        case 'n': o->no_seed = true; break;
        case 'r': rc = sandbox_parse_rate(optarg, o); break;
        case 'z': rc = sandbox_parse_zone(optarg, o); break;
        case 'h': rc = -1; break;
        default: rc = sandbox_parse_shopline(c, optarg, a); break;
        }
    }
    if (rc == 0 && optind < argc)
        rc = -1;
    if (rc != 0)
        sandbox_usage();
    return rc;
}

/* "http://host:port" with IPv6 brackets, for the banner. */
static void sandbox_print_url(const char *what, const char *host, int port, const char *rest)
{
    bool v6 = strchr(host, ':') != NULL;

    printf("sandbox: %s listening on http://%s%s%s:%d%s\n", what, v6 ? "[" : "", host,
           v6 ? "]" : "", port, rest);
}

int sandbox_main(int argc, char **argv)
{
    struct sandbox_args a = {.pvx = {.port = 8090}, .host = "127.0.0.1"};
    struct sandbox_pvx *sb = NULL;
    struct sandbox_shopline *sl = NULL;
    struct errbuf err = {{0}};
    char rest[128];
    sigset_t set;
    int sig = 0;
    int rc = 1;

    if (sandbox_parse_args(argc, argv, &a) != 0)
        return 2;
    a.pvx.host = a.host;
    a.shopline.host = a.shopline_host;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* the SHOPLINE fake's webhook deliveries */
    sb = sandbox_pvx_start(&a.pvx, &err);
    if (sb != NULL && a.with_shopline)
        sl = sandbox_shopline_start(&a.shopline, &err);
    if (sb == NULL || (a.with_shopline && sl == NULL)) {
        fprintf(stderr, "sandbox: could not start: %s\n", err.msg);
        goto out;
    }
    snprintf(rest, sizeof(rest), "/%s/resources/integrationservicev4.asmx (control: "
             "/_sandbox/state)", a.pvx.client_id ? a.pvx.client_id : "SANDBOX");
    sandbox_print_url("peoplevox", a.host, sandbox_pvx_port(sb), rest);
    if (sl != NULL)
        sandbox_print_url("shopline", a.shopline_host, sandbox_shopline_port(sl),
                          "/admin/openapi/v20260301/ (control: /_sandbox/state)");
    fflush(stdout);
    sigwait(&set, &sig);
    fprintf(stderr, "sandbox: signal %d, stopping\n", sig);
    rc = 0;
out:
    sandbox_shopline_stop(sl);
    sandbox_pvx_stop(sb);
    curl_global_cleanup();
    return rc;
}
