/*
 * fuzz_routing.c - routing_parse_rules (SHOPVOX_ROUTING_RULES, the CLI) on
 * arbitrary text, then routing_decide with what it accepted.
 *
 * Invariants: every accepted rule is well formed (a known kind, a short
 * printable site without , ; = that is not SystemSite, an upper-case
 * two-letter country, a location id within bounds, no repeated site or
 * match, at most one default, at most ROUTING_MAX_RULES); a failure leaves
 * a reason and, for routing_parse_rule, the table unchanged; routing_decide
 * only ever picks a site some rule or the default names, and its reason is
 * a terminated string.
 */
#include <strings.h>

#include "fuzz.h"
#include "routing.h"

static bool has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

static void check_rule(const struct routing_rules *t, size_t i)
{
    const struct routing_rule *r = &t->rules[i];
    size_t j;

    FUZZ_CHECK(r->kind <= ROUTE_DEFAULT);
    FUZZ_CHECK(r->site != NULL && r->site[0] != '\0');
    FUZZ_CHECK(strlen(r->site) <= ROUTING_SITE_MAX_BYTES);
    FUZZ_CHECK(!has_control(r->site) && strpbrk(r->site, ",;=") == NULL);
    FUZZ_CHECK(!routing_site_is_system(r->site));
    FUZZ_CHECK(r->site[0] != ' ' && r->site[strlen(r->site) - 1] != ' ');
    if (r->kind == ROUTE_COUNTRY)
        FUZZ_CHECK(r->match != NULL && strlen(r->match) == 2 && r->match[0] >= 'A' &&
                   r->match[0] <= 'Z' && r->match[1] >= 'A' && r->match[1] <= 'Z');
    else if (r->kind == ROUTE_LOCATION)
        FUZZ_CHECK(r->match != NULL && r->match[0] != '\0' &&
                   strlen(r->match) <= ROUTING_MATCH_MAX_BYTES && !has_control(r->match));
    else
        FUZZ_CHECK(r->match == NULL);
    for (j = 0; j < i; j++) {
        const struct routing_rule *o = &t->rules[j];

        if (o->kind != r->kind)
            continue;
        FUZZ_CHECK(r->kind != ROUTE_DEFAULT);
        if (r->kind == ROUTE_STOCK)
            FUZZ_CHECK(strcasecmp(o->site, r->site) != 0);
        else
            FUZZ_CHECK(strcmp(o->match, r->match) != 0);
    }
}

/* Stock that depends on the names only, so runs are repeatable. */
static int64_t fake_available(void *ctx, const char *item_code, const char *site)
{
    size_t h = strlen(item_code) * 31 + strlen(site);

    return h % 5 == 0 ? -1 : (int64_t)(h % 7);
}

static void check_decide(const struct routing_rules *t)
{
    static const struct routing_line lines[] = { { "MUG-1", 2 }, { "TEE", 1 }, { "MUG-1", 1 } };
    struct routing_stock stock = { fake_available, NULL };
    struct routing_input in = { NULL, NULL, lines, ARRAY_LEN(lines) };
    struct routing_result res;
    size_t i;

    for (i = 0; i <= t->n; i++) {
        /* aim at each rule in turn; the last round has nothing to match */
        in.location_id = i < t->n && t->rules[i].kind == ROUTE_LOCATION ? t->rules[i].match
                                                                         : "no-such-location";
        in.country_code = i < t->n && t->rules[i].kind == ROUTE_COUNTRY ? t->rules[i].match
                                                                        : NULL;
        routing_decide(t->rules, t->n, &in, (i & 1) ? &stock : NULL,
                       (i & 2) ? "Fallback" : NULL, &res);
        FUZZ_CHECK(memchr(res.reason, '\0', sizeof(res.reason)) != NULL);
        FUZZ_CHECK(res.reason[0] != '\0');
        if (!res.routed) {
            FUZZ_CHECK(res.site == NULL);
            continue;
        }
        FUZZ_CHECK(res.site != NULL && !routing_site_is_system(res.site));
        if (res.rule_index == ROUTING_NO_RULE)
            FUZZ_CHECK(strcmp(res.site, "Fallback") == 0 && res.kind == ROUTE_DEFAULT);
        else
            FUZZ_CHECK(res.rule_index < t->n && res.site == t->rules[res.rule_index].site &&
                       res.kind == t->rules[res.rule_index].kind);
        if (i < t->n && t->rules[i].kind == ROUTE_LOCATION)
            FUZZ_CHECK(res.kind == ROUTE_LOCATION);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct routing_rules t, one;
    struct errbuf err;
    char *list = fuzz_cstr(data, size);
    size_t i, before;
    int rc;

    routing_rules_init(&t);
    errbuf_clear(&err);
    rc = routing_parse_rules(&t, list, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0)
        FUZZ_CHECK(err.msg[0] != '\0');
    FUZZ_CHECK(t.n <= ROUTING_MAX_RULES);
    for (i = 0; i < t.n; i++)
        check_rule(&t, i);
    check_decide(&t);

    /* the whole text as one rule on top of what was accepted: all or nothing */
    before = t.n;
    errbuf_clear(&err);
    if (routing_parse_rule(&t, list, &err) < 0)
        FUZZ_CHECK(t.n == before && err.msg[0] != '\0');
    for (i = 0; i < t.n; i++)
        check_rule(&t, i);

    /* and alone, on an empty table */
    routing_rules_init(&one);
    (void)routing_parse_rule(&one, list, &err);
    FUZZ_CHECK(one.n <= ROUTING_MAX_RULES);
    routing_rules_cleanup(&one);

    routing_rules_cleanup(&t);
    FUZZ_CHECK(t.n == 0 && t.rules == NULL);
    free(list);
    return 0;
}
