/*
 * sandbox_main.c - `shopvox sandbox`: the sandbox's fakes as a process
 * (the fake Peoplevox today), shared by `shopvox` and `shopvox-sandbox`.
 *
 * SIGINT and SIGTERM are blocked before the daemon starts, so every thread
 * it creates inherits the mask and the main thread alone takes the signal
 * with sigwait(); then the daemon stops cleanly (hanging calls are woken).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

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

static void sandbox_usage(void)
{
    fputs("usage: shopvox sandbox [--listen HOST:PORT] [--latency-ms N] [--client-id ID]\n"
          "                       [--username U] [--password P]\n"
          "                       [--password-encoding base64|plain|any]\n"
          "                       [--session-idle-ms N] [--no-seed]\n"
          "                       [--rate-limit CALLS/SECONDS]\n",
          stderr);
}

static int sandbox_parse_args(int argc, char **argv, struct sandbox_pvx_opts *o, char *host,
                              size_t cap)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'}, {"latency-ms", required_argument, NULL, 't'},
        {"client-id", required_argument, NULL, 'c'}, {"username", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'p'},
        {"password-encoding", required_argument, NULL, 'e'},
        {"session-idle-ms", required_argument, NULL, 's'}, {"no-seed", no_argument, NULL, 'n'},
        {"rate-limit", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;
    int rc = 0;

    optind = 1;
    while (rc == 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            rc = sandbox_parse_listen(optarg, host, cap, &o->port);
            if (rc != 0)
                fprintf(stderr, "sandbox: invalid --listen '%s': expected HOST:PORT\n", optarg);
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
        default: rc = -1; break;
        }
    }
    if (rc == 0 && optind < argc)
        rc = -1;
    if (rc != 0)
        sandbox_usage();
    return rc;
}

int sandbox_main(int argc, char **argv)
{
    struct sandbox_pvx_opts o = {.port = 8090};
    struct sandbox_pvx *sb = NULL;
    struct errbuf err = {{0}};
    char host[256] = "127.0.0.1";
    sigset_t set;
    int sig = 0;

    if (sandbox_parse_args(argc, argv, &o, host, sizeof(host)) != 0)
        return 2;
    o.host = host;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sb = sandbox_pvx_start(&o, &err);
    if (sb == NULL) {
        fprintf(stderr, "sandbox: could not start: %s\n", err.msg);
        return 1;
    }
    printf("sandbox: peoplevox listening on http://%s%s%s:%d/%s/resources/"
           "integrationservicev4.asmx (control: /_sandbox/state)\n",
           strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
           sandbox_pvx_port(sb), o.client_id ? o.client_id : "SANDBOX");
    fflush(stdout);
    sigwait(&set, &sig);
    fprintf(stderr, "sandbox: signal %d, stopping\n", sig);
    sandbox_pvx_stop(sb);
    return 0;
}
