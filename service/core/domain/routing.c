/*
 * routing.c - site routing rules: the parser for configured rules and the
 * decision for one order (see routing.h for the decisions).
 *
 * routing_decide makes passes by kind (location, country, stock, default)
 * over the rule table, then falls back to default_site. Everything it
 * skips on the way (a rule naming SystemSite, a stock site without data or
 * short of an item) is written as a note, so the one reason line says both
 * what decided and what did not; an unroutable order's exception detail is
 * that line. Texts are cut at a UTF-8 boundary: they end up in PostgreSQL,
 * which refuses a broken sequence.
 */
#include "routing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SYSTEM_SITE "SystemSite"
#define SPEC_SHOW_BYTES 80
#define STR(x) #x
#define XSTR(x) STR(x)

/* A capped, always NUL-terminated line of text. */
struct line_text {
    char s[ROUTING_REASON_MAX];
    size_t len;
};

static size_t utf8_cut_len(const char *s, size_t len)
{
    size_t lead = len, need;
    unsigned char c;

    while (lead > 0 && ((unsigned char)s[lead - 1] & 0xc0) == 0x80)
        lead--;
    if (lead == 0)
        return len;
    c = (unsigned char)s[lead - 1];
    if (c < 0xc0)
        return len;
    need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
    return len - (lead - 1) < need ? lead - 1 : len;
}

static void line_addv(struct line_text *t, const char *fmt, va_list ap) SV_PRINTF(2, 0);
static void line_addv(struct line_text *t, const char *fmt, va_list ap)
{
    size_t room = sizeof(t->s) - t->len;
    int n;

    if (room <= 1)
        return;
    n = vsnprintf(t->s + t->len, room, fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n < room) {
        t->len += (size_t)n;
        return;
    }
    t->len = utf8_cut_len(t->s, sizeof(t->s) - 1);
    t->s[t->len] = '\0';
}

static void line_add(struct line_text *t, const char *fmt, ...) SV_PRINTF(2, 3);
static void line_add(struct line_text *t, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    line_addv(t, fmt, ap);
    va_end(ap);
}

const char *routing_kind_name(enum routing_kind k)
{
    switch (k) {
    case ROUTE_LOCATION: return "location";
    case ROUTE_COUNTRY: return "country";
    case ROUTE_STOCK: return "stock";
    case ROUTE_DEFAULT: return "default";
    }
    return "invalid";
}

bool routing_site_is_system(const char *site)
{
    size_t len;

    if (site == NULL)
        return false;
    site += strspn(site, " ");
    len = strlen(site);
    while (len > 0 && site[len - 1] == ' ')
        len--;
    return len == strlen(SYSTEM_SITE) && strncasecmp(site, SYSTEM_SITE, len) == 0;
}

/* ---- the decision ---------------------------------------------------- */

static bool routing_rule_applies(const struct routing_rule *r, const struct routing_input *in)
{
    switch (r->kind) {
    case ROUTE_LOCATION:
        return in->location_id != NULL && r->match != NULL &&
               strcmp(in->location_id, r->match) == 0;
    case ROUTE_COUNTRY:
        return in->country_code != NULL && r->match != NULL &&
               strcasecmp(in->country_code, r->match) == 0;
    case ROUTE_STOCK:
    case ROUTE_DEFAULT:
        return true;
    }
    return false;
}

/* Units of lines[i]'s item over the whole order; 0 for repeats of an earlier line. */
static int64_t routing_item_total(const struct routing_input *in, size_t i)
{
    const char *code = in->lines[i].item_code;
    int64_t total = 0;
    size_t j;

    for (j = 0; j < in->n_lines; j++) {
        const struct routing_line *l = &in->lines[j];

        if (l->quantity <= 0 || l->item_code == NULL || strcmp(l->item_code, code) != 0)
            continue;
        if (j < i)
            return 0;
        total = l->quantity > INT64_MAX - total ? INT64_MAX : total + l->quantity;
    }
    return total;
}

/* Whether the site has every item; the notes say why not. */
static bool routing_site_has_stock(const char *site, const struct routing_input *in,
                                   const struct routing_stock *stock, struct line_text *notes)
{
    size_t i, checked = 0;

    for (i = 0; i < in->n_lines; i++) {
        const char *code = in->lines[i].item_code;
        int64_t want, have;

        if (in->lines[i].quantity <= 0)
            continue;
        if (code == NULL || code[0] == '\0') {
            line_add(notes, "; stock: a line has no item code");
            return false;
        }
        want = routing_item_total(in, i);
        if (want == 0)
            continue;
        have = stock->available(stock->ctx, code, site);
        checked++;
        if (have < 0) {
            line_add(notes, "; stock: no data for '%s' at %s", code, site);
            return false;
        }
        if (have < want) {
            line_add(notes, "; stock: %s has %lld of %lld '%s'", site, (long long)have,
                     (long long)want, code);
            return false;
        }
    }
    if (checked == 0)
        line_add(notes, "; stock: no lines to check");
    return checked > 0;
}

static bool routing_try_rule(const struct routing_rule *r, size_t idx,
                             const struct routing_input *in, const struct routing_stock *stock,
                             struct line_text *notes)
{
    if (!routing_rule_applies(r, in))
        return false;
    if (r->site == NULL || r->site[0] == '\0') {
        line_add(notes, "; ignored rule #%zu (%s): no site", idx + 1, routing_kind_name(r->kind));
        return false;
    }
    if (routing_site_is_system(r->site)) {
        line_add(notes, "; ignored rule #%zu (%s%s%s -> %s): SystemSite is internal to Peoplevox",
                 idx + 1, routing_kind_name(r->kind), r->match != NULL ? " " : "",
                 r->match != NULL ? r->match : "", r->site);
        return false;
    }
    if (r->kind != ROUTE_STOCK)
        return true;
    if (stock == NULL || stock->available == NULL) {
        line_add(notes, "; stock rule #%zu skipped: no stock data", idx + 1);
        return false;
    }
    return routing_site_has_stock(r->site, in, stock, notes);
}

/* The first line of the reason, for a rule that decided. */
static void routing_explain(const struct routing_rule *r, size_t idx, struct line_text *why)
{
    switch (r->kind) {
    case ROUTE_LOCATION:
        line_add(why, "location %s -> %s (rule #%zu)", r->match, r->site, idx + 1);
        return;
    case ROUTE_COUNTRY:
        line_add(why, "country %s -> %s (rule #%zu)", r->match, r->site, idx + 1);
        return;
    case ROUTE_STOCK:
        line_add(why, "stock: %s has every line (rule #%zu)", r->site, idx + 1);
        return;
    case ROUTE_DEFAULT:
        line_add(why, "default rule -> %s (rule #%zu)", r->site, idx + 1);
        return;
    }
}

static void routing_finish(struct routing_result *out, const struct line_text *why,
                           const struct line_text *notes)
{
    struct line_text all;

    all.len = 0;
    all.s[0] = '\0';
    line_add(&all, "%s%s", why->s, notes->s);
    memcpy(out->reason, all.s, all.len + 1);
}

/* default_site, once every rule has passed; false when there is none. */
static bool routing_try_default(const char *default_site, struct routing_result *out,
                                struct line_text *why, struct line_text *notes)
{
    if (default_site == NULL || default_site[0] == '\0') {
        line_add(notes, "; no default site");
        return false;
    }
    if (routing_site_is_system(default_site)) {
        line_add(notes, "; ignored default site %s: SystemSite is internal to Peoplevox",
                 default_site);
        return false;
    }
    out->routed = true;
    out->site = default_site;
    out->kind = ROUTE_DEFAULT;
    out->rule_index = ROUTING_NO_RULE;
    line_add(why, "default site %s", default_site);
    return true;
}

bool routing_decide(const struct routing_rule *rules, size_t n, const struct routing_input *in,
                    const struct routing_stock *stock, const char *default_site,
                    struct routing_result *out)
{
    static const enum routing_kind passes[] = {
        ROUTE_LOCATION, ROUTE_COUNTRY, ROUTE_STOCK, ROUTE_DEFAULT
    };
    struct line_text why = { "", 0 }, notes = { "", 0 };
    size_t p, i;

    memset(out, 0, sizeof(*out));
    out->rule_index = ROUTING_NO_RULE;
    for (p = 0; p < ARRAY_LEN(passes); p++) {
        for (i = 0; i < n; i++) {
            if (rules[i].kind != passes[p] || !routing_try_rule(&rules[i], i, in, stock, &notes))
                continue;
            out->routed = true;
            out->site = rules[i].site;
            out->kind = rules[i].kind;
            out->rule_index = i;
            routing_explain(&rules[i], i, &why);
            goto out;
        }
    }
    if (!routing_try_default(default_site, out, &why, &notes))
        line_add(&why, "unroutable: no rule matched (location %s, country %s)",
                 in->location_id != NULL ? in->location_id : "none",
                 in->country_code != NULL ? in->country_code : "none");
out:
    routing_finish(out, &why, &notes);
    return out->routed;
}

/* ---- the rule parser ------------------------------------------------- */

void routing_rules_init(struct routing_rules *t)
{
    memset(t, 0, sizeof(*t));
}

void routing_rules_cleanup(struct routing_rules *t)
{
    size_t i;

    if (t == NULL)
        return;
    for (i = 0; i < t->n_owned; i++)
        free(t->owned[i]);
    free(t->owned);
    free(t->rules);
    memset(t, 0, sizeof(*t));
}

/* Trims spaces and tabs in place; returns the start. */
static char *routing_trim(char *s)
{
    size_t len;

    s += strspn(s, " \t");
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    return s;
}

static bool routing_has_control(const char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    return false;
}

/* A site named in a rule: present, short, printable, not a separator, not SystemSite. */
static int routing_check_site(const char *spec, const char *site, struct errbuf *err)
{
    const char *why = NULL;

    if (site[0] == '\0')
        why = "the site is empty";
    else if (strlen(site) > ROUTING_SITE_MAX_BYTES)
        why = "the site is longer than " XSTR(ROUTING_SITE_MAX_BYTES) " bytes";
    else if (routing_has_control(site) || strpbrk(site, ",;=") != NULL)
        why = "the site contains a control character or one of , ; =";
    else if (routing_site_is_system(site))
        why = "SystemSite is internal to Peoplevox; orders are never routed to it";
    if (why == NULL)
        return 0;
    errbuf_set(err, "routing rule '%.*s': %s", SPEC_SHOW_BYTES, spec, why);
    return -1;
}

static bool ascii_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void routing_ascii_upper(char *s)
{
    for (; *s != '\0'; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

/* The match part: a location id, or a country code made upper case. */
static int routing_check_match(const char *spec, enum routing_kind kind, char *match,
                               struct errbuf *err)
{
    const char *why = NULL;

    if (kind == ROUTE_STOCK || kind == ROUTE_DEFAULT) {
        if (match != NULL)
            why = "stock and default rules take no ':' part";
    } else if (kind == ROUTE_COUNTRY) {
        if (match == NULL || strlen(match) != 2 || !ascii_alpha(match[0]) ||
            !ascii_alpha(match[1]))
            why = "the country is not an ISO-3166 alpha-2 code (two letters, e.g. GB)";
        else
            routing_ascii_upper(match);
    } else if (match == NULL || match[0] == '\0') {
        why = "the location id is empty";
    } else if (strlen(match) > ROUTING_MATCH_MAX_BYTES || routing_has_control(match)) {
        why = "the location id is over " XSTR(ROUTING_MATCH_MAX_BYTES)
              " bytes or has a control character";
    }
    if (why == NULL)
        return 0;
    errbuf_set(err, "routing rule '%.*s': %s", SPEC_SHOW_BYTES, spec, why);
    return -1;
}

/* An existing rule the new one would contradict or repeat, or NULL. */
static const struct routing_rule *routing_find_clash(const struct routing_rules *t,
                                                     enum routing_kind kind, const char *match,
                                                     const char *site)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        const struct routing_rule *r = &t->rules[i];

        if (r->kind != kind)
            continue;
        if (kind == ROUTE_DEFAULT ||
            (kind == ROUTE_STOCK && strcasecmp(r->site, site) == 0) ||
            (kind != ROUTE_STOCK && strcmp(r->match, match) == 0))
            return r;
    }
    return NULL;
}

static char *routing_own(struct routing_rules *t, const char *s)
{
    if (s == NULL)
        return NULL;
    t->owned = xrealloc(t->owned, (t->n_owned + 1) * sizeof(*t->owned));
    t->owned[t->n_owned] = xstrdup(s);
    return t->owned[t->n_owned++];
}

void routing_rules_add(struct routing_rules *t, enum routing_kind kind, const char *match,
                       const char *site)
{
    struct routing_rule *r;

    t->rules = xrealloc(t->rules, (t->n + 1) * sizeof(*t->rules));
    r = &t->rules[t->n++];
    r->kind = kind;
    r->match = routing_own(t, match);
    r->site = routing_own(t, site);
}

bool routing_kind_parse(const char *name, enum routing_kind *out)
{
    static const enum routing_kind kinds[] = {
        ROUTE_LOCATION, ROUTE_COUNTRY, ROUTE_STOCK, ROUTE_DEFAULT
    };

    for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
        if (strcasecmp(name, routing_kind_name(kinds[i])) == 0) {
            *out = kinds[i];
            return true;
        }
    }
    return false;
}

static int routing_parse_kind(const char *spec, const char *name, enum routing_kind *kind,
                              struct errbuf *err)
{
    if (routing_kind_parse(name, kind))
        return 0;
    errbuf_set(err, "routing rule '%.*s': unknown kind '%.20s' (expected location:ID=SITE, "
               "country:CC=SITE, stock=SITE[,SITE...] or default=SITE)",
               SPEC_SHOW_BYTES, spec, name);
    return -1;
}

static void routing_clash_error(const char *spec, const struct routing_rule *clash,
                                struct errbuf *err)
{
    if (clash->kind == ROUTE_STOCK)
        errbuf_set(err, "routing rule '%.*s': stock site %s is already listed",
                   SPEC_SHOW_BYTES, spec, clash->site);
    else if (clash->kind == ROUTE_DEFAULT)
        errbuf_set(err, "routing rule '%.*s': the default site is already %s",
                   SPEC_SHOW_BYTES, spec, clash->site);
    else
        errbuf_set(err, "routing rule '%.*s': %s %s is already routed to %s",
                   SPEC_SHOW_BYTES, spec, routing_kind_name(clash->kind), clash->match,
                   clash->site);
}

/*
 * Splits the site part in place ("A, B" for stock, one site otherwise)
 * into trimmed pieces. Returns the count, or -1 past max.
 */
static int routing_split_sites(char *text, enum routing_kind kind, char **sites, size_t max)
{
    size_t n = 0;
    char *next;

    for (;;) {
        next = kind == ROUTE_STOCK ? strchr(text, ',') : NULL;
        if (next != NULL)
            *next = '\0';
        if (n == max)
            return -1;
        sites[n++] = routing_trim(text);
        if (next == NULL)
            return (int)n;
        text = next + 1;
    }
}

/* Checks each site, and that none repeats a rule in t or an earlier site. */
static int routing_check_sites(const struct routing_rules *t, const char *spec,
                               enum routing_kind kind, const char *match, char **sites,
                               size_t n, struct errbuf *err)
{
    const struct routing_rule *clash;
    size_t i, j;

    for (i = 0; i < n; i++) {
        if (routing_check_site(spec, sites[i], err) < 0)
            return -1;
        clash = routing_find_clash(t, kind, match, sites[i]);
        if (clash != NULL) {
            routing_clash_error(spec, clash, err);
            return -1;
        }
        for (j = 0; j < i; j++) {
            if (strcasecmp(sites[j], sites[i]) == 0) {
                errbuf_set(err, "routing rule '%.*s': site %s is listed twice",
                           SPEC_SHOW_BYTES, spec, sites[i]);
                return -1;
            }
        }
    }
    return 0;
}

int routing_parse_rule(struct routing_rules *t, const char *spec, struct errbuf *err)
{
    char *copy, *head, *eq, *colon, *match = NULL;
    char *sites[ROUTING_MAX_RULES];
    enum routing_kind kind;
    int rc = -1, n = 0, i;

    if (spec == NULL)
        spec = "";
    copy = xstrdup(spec);
    head = routing_trim(copy);
    eq = strchr(head, '=');
    if (eq == NULL) {
        errbuf_set(err, "routing rule '%.*s': expected KIND[:MATCH]=SITE", SPEC_SHOW_BYTES,
                   head);
        goto out;
    }
    *eq = '\0';
    colon = strchr(head, ':');
    if (colon != NULL) {
        *colon = '\0';
        match = routing_trim(colon + 1);
    }
    if (routing_parse_kind(spec, routing_trim(head), &kind, err) < 0 ||
        routing_check_match(spec, kind, match, err) < 0)
        goto out;
    n = routing_split_sites(eq + 1, kind, sites, ROUTING_MAX_RULES - t->n);
    if (n < 0) {
        errbuf_set(err, "routing rule '%.*s': too many routing rules (max %d)",
                   SPEC_SHOW_BYTES, spec, ROUTING_MAX_RULES);
        goto out;
    }
    if (routing_check_sites(t, spec, kind, match, sites, (size_t)n, err) < 0)
        goto out;
    for (i = 0; i < n; i++)
        routing_rules_add(t, kind, match, sites[i]);
    rc = 0;
out:
    free(copy);
    return rc;
}

int routing_parse_rules(struct routing_rules *t, const char *list, struct errbuf *err)
{
    char *copy = xstrdup(list != NULL ? list : ""), *item, *save = NULL;
    int rc = 0;

    for (item = strtok_r(copy, ";\n\r", &save); item != NULL;
         item = strtok_r(NULL, ";\n\r", &save)) {
        if (routing_trim(item)[0] == '\0')
            continue;
        rc = routing_parse_rule(t, item, err);
        if (rc < 0)
            break;
    }
    free(copy);
    return rc;
}
