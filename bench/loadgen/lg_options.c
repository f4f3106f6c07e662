/*
 * lg_options.c - loadgen's command line (see loadgen.c for the design):
 * every option checked against its range, the secret from a flag, a file
 * or the environment, and the URL held to http on a loopback host unless
 * --allow-remote.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "lg_int.h"

static void usage(FILE *f)
{
    fputs("usage: loadgen --url URL (--secret S | --secret-file F | env SHOPLINE_APP_SECRET)\n"
          "               [--rate N] [--duration S] [--connections C] [--orders N]\n"
          "               [--dup-ratio R] [--shop-domain D] [--timeout-ms MS] [--seed N]\n"
          "               [--allow-remote] [--retries N] [--deliver-all] [--first-seq N]\n"
          "               [--slow-ms MS]\n"
          "\n"
          "  --url URL         webhook endpoint (http), e.g. http://127.0.0.1:8080/webhooks/shopline\n"
          "  --secret S        app secret used to sign bodies (hex HMAC-SHA256)\n"
          "  --secret-file F   read the secret from F (trailing newline dropped)\n"
          "  --rate N          target requests/s, open loop; 0 = as fast as possible (100)\n"
          "  --duration S      seconds to run, at most 600 (10)\n"
          "  --connections C   threads, each with one keep-alive connection, 1-256 (4)\n"
          "  --orders N        distinct order ids (1000)\n"
          "  --dup-ratio R     fraction of re-deliveries reusing a webhook id, 0-1 (0.1)\n"
          "  --shop-domain D   X-Shopline-Shop-Domain (loadgen.myshopline.com)\n"
          "  --timeout-ms MS   per-request timeout, at most 60000 (10000)\n"
          "  --seed N          makes ids reproducible (default: from the clock)\n"
          "  --allow-remote    permit a non-loopback host (default: loopback only)\n"
          "  --retries N       redeliver (same bytes, same webhook id, as Shopline does) after a\n"
          "                    transport error or a 408/429/5xx, up to N times, 0-100 (0)\n"
          "  --deliver-all     send every slot due in the window even when late (none missed),\n"
          "                    re-deliveries on top, new delivery k is order k: rate x\n"
          "                    duration distinct new orders exactly (up to --orders)\n"
          "  --first-seq N     number of the first delivery (0): runs sharing a --seed (and\n"
          "                    so its order ids) get distinct webhook ids from distinct N\n"
          "  --slow-ms MS      list every answer slower than MS from its schedule on stderr, one\n"
          "                    line each: when it was due (ms since the start and wall-clock ms)\n"
          "                    and its latency from schedule and from send (off)\n",
          f);
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi))
        return false;
    *out = v;
    return true;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static char *read_secret_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char buf[MAX_SECRET_BYTES + 1];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "loadgen: could not open secret file \"%s\": %s\n", path,
                strerror(errno));
        return NULL;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    return xstrndup(buf, n);
}

enum { OPT_URL = 256, OPT_SECRET, OPT_SECRET_FILE, OPT_RATE, OPT_DURATION, OPT_CONNECTIONS,
       OPT_ORDERS, OPT_DUP_RATIO, OPT_SHOP_DOMAIN, OPT_TIMEOUT, OPT_SEED, OPT_ALLOW_REMOTE,
       OPT_HELP, OPT_RETRIES, OPT_DELIVER_ALL, OPT_FIRST_SEQ, OPT_SLOW };

static const struct option long_options[] = {
    {"url", required_argument, NULL, OPT_URL},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"secret-file", required_argument, NULL, OPT_SECRET_FILE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"connections", required_argument, NULL, OPT_CONNECTIONS},
    {"orders", required_argument, NULL, OPT_ORDERS},
    {"dup-ratio", required_argument, NULL, OPT_DUP_RATIO},
    {"shop-domain", required_argument, NULL, OPT_SHOP_DOMAIN},
    {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
    {"seed", required_argument, NULL, OPT_SEED},
    {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
    {"help", no_argument, NULL, OPT_HELP},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"deliver-all", no_argument, NULL, OPT_DELIVER_ALL},
    {"first-seq", required_argument, NULL, OPT_FIRST_SEQ},
    {"slow-ms", required_argument, NULL, OPT_SLOW},
    {NULL, 0, NULL, 0},
};

static bool bad_value(const char *name, const char *value, const char *range)
{
    fprintf(stderr, "loadgen: invalid %s \"%s\" (allowed: %s)\n", name, value, range);
    return false;
}

/* Fills opt from argv; false (after a message) on any error. */
bool parse_options(int argc, char **argv, struct options *opt)
{
    long seed = -1;
    int c;

    *opt = (struct options){.shop_domain = "loadgen.myshopline.com", .rate_per_s = 100.0,
                            .duration_s = 10.0, .connections = 4, .orders = 1000,
                            .dup_ratio = 0.1, .timeout_ms = 10000};
    while ((c = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_URL: opt->url = optarg; break;
        case OPT_SECRET:
            free(opt->secret);
            opt->secret = xstrdup(optarg);
            break;
        case OPT_SECRET_FILE:
            free(opt->secret);
            opt->secret = read_secret_file(optarg);
            if (opt->secret == NULL)
                return false;
            break;
        case OPT_RATE:
            if (!parse_double(optarg, 0.0, 1e7, &opt->rate_per_s))
                return bad_value("--rate", optarg, "0 to 10000000");
            break;
        case OPT_DURATION:
            if (!parse_double(optarg, 0.001, MAX_DURATION_S, &opt->duration_s))
                return bad_value("--duration", optarg, "0.001 to 600");
            break;
        case OPT_CONNECTIONS:
            if (!parse_long(optarg, 1, MAX_CONNECTIONS, &opt->connections))
                return bad_value("--connections", optarg, "1 to 256");
            break;
        case OPT_ORDERS:
            if (!parse_long(optarg, 1, MAX_ORDERS, &opt->orders))
                return bad_value("--orders", optarg, "1 to 100000000");
            break;
        case OPT_DUP_RATIO:
            if (!parse_double(optarg, 0.0, 1.0, &opt->dup_ratio))
                return bad_value("--dup-ratio", optarg, "0 to 1");
            break;
        case OPT_SHOP_DOMAIN:
            if (strlen(optarg) == 0 || strlen(optarg) > 255 || strpbrk(optarg, "\r\n") != NULL)
                return bad_value("--shop-domain", optarg, "1 to 255 characters, one line");
            opt->shop_domain = optarg;
            break;
        case OPT_TIMEOUT:
            if (!parse_long(optarg, 1, MAX_TIMEOUT_MS, &opt->timeout_ms))
                return bad_value("--timeout-ms", optarg, "1 to 60000");
            break;
        case OPT_SEED:
            if (!parse_long(optarg, 0, 999999999, &seed))
                return bad_value("--seed", optarg, "0 to 999999999");
            break;
        case OPT_FIRST_SEQ: {
            long first = 0;

            if (!parse_long(optarg, 0, 999999999999L, &first))
                return bad_value("--first-seq", optarg, "0 to 999999999999");
            opt->first_seq = (uint64_t)first;
            break;
        }
        case OPT_ALLOW_REMOTE: opt->allow_remote = true; break;
        case OPT_RETRIES:
            if (!parse_long(optarg, 0, MAX_RETRIES, &opt->retries))
                return bad_value("--retries", optarg, "0 to 100");
            break;
        case OPT_DELIVER_ALL: opt->deliver_all = true; break;
        case OPT_SLOW:
            if (!parse_long(optarg, 1, MAX_TIMEOUT_MS, &opt->slow_ms))
                return bad_value("--slow-ms", optarg, "1 to 60000");
            break;
        case OPT_HELP: usage(stdout); exit(0);
        default: usage(stderr); return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "loadgen: unexpected argument \"%s\"\n", argv[optind]);
        return false;
    }
    if (opt->url == NULL) {
        fputs("loadgen: --url is required\n", stderr);
        return false;
    }
    if (opt->secret == NULL && getenv("SHOPLINE_APP_SECRET") != NULL)
        opt->secret = xstrdup(getenv("SHOPLINE_APP_SECRET"));
    if (opt->secret == NULL || opt->secret[0] == '\0') {
        fputs("loadgen: a secret is required (--secret, --secret-file or SHOPLINE_APP_SECRET)\n",
              stderr);
        return false;
    }
    opt->seed = seed >= 0 ? (uint64_t)seed
                          : (uint64_t)now_ms_wall() % UINT64_C(1000000000);
    return lg_target_parse(opt->url, opt->allow_remote, &opt->target);
}

