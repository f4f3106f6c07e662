/*
 * admin_routing.c - routing rules as a person edits them, for the CLI
 * (shopvox routing list|set) and the admin API (/api/v1/routing-rules)
 * alike (admin_actions.h).
 *
 * A set takes the same rule language as SHOPVOX_ROUTING_RULES, validates
 * it completely with routing_parse_rules before touching the database, and
 * replaces the shop's rules in the caller's transaction: a bad list
 * changes nothing, and a worker never sees half a rule set. Positions are
 * 1-based in configuration order, as routing reasons number them. A delete
 * is a set of the remaining rules, so it is checked and audited the same.
 *
 * Peoplevox's site list is not mirrored locally, so a site is known when
 * shopvox has seen it: a site with stock rows (the stock sync writes one
 * per site Peoplevox reports), a site of the current rules, or the
 * configured default site.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_actions.h"
#include "audit_store.h"
#include "buf.h"
#include "routing.h"
#include "routing_store.h"
#include "store_json.h"

/* The member key of row o as a string ("" when null). */
static const char *jstr(struct json_object *o, const char *key)
{
    const char *s = json_object_get_string(json_object_object_get(o, key));

    return s != NULL ? s : "";
}

/* The rules back in the rule language, consecutive stock sites joined ("stock=A,B"). */
static char *rules_spec(struct json_object *rules)
{
    struct buf b;
    const char *prev_kind = "";

    buf_init(&b, 0);
    for (size_t i = 0; i < json_object_array_length(rules); i++) {
        struct json_object *r = json_object_array_get_idx(rules, i);
        const char *kind = jstr(r, "kind");

        if (strcmp(kind, "stock") == 0 && strcmp(prev_kind, "stock") == 0) {
            buf_appendf(&b, ",%s", jstr(r, "site"));
        } else {
            buf_appendf(&b, "%s%s", b.len ? ";" : "", kind);
            if (strcmp(kind, "location") == 0 || strcmp(kind, "country") == 0)
                buf_appendf(&b, ":%s", jstr(r, "match"));
            buf_appendf(&b, "=%s", jstr(r, "site"));
        }
        prev_kind = kind;
    }
    return buf_steal(&b);
}

enum st admin_routing_read(struct store_conn *c, const char *shop, struct json_object **out,
                           struct errbuf *err)
{
    enum st st;
    PGresult *res = routing_store_read(c, shop, &st, err);
    struct json_object *rules;
    char *spec;

    *out = NULL;
    if (res == NULL)
        return st;
    rules = store_rows_json(res, -1);
    PQclear(res);
    spec = rules_spec(rules);
    *out = json_object_new_object();
    json_object_object_add(*out, "rules", rules);
    json_object_object_add(*out, "spec", json_object_new_string(spec));
    free(spec);
    return ST_OK;
}

/* True when site is a row of known (routing_store_known_sites). */
static bool site_known(PGresult *known, const char *site)
{
    for (int r = 0; r < PQntuples(known); r++)
        if (strcmp(PQgetvalue(known, r, 0), site) == 0)
            return true;
    return false;
}

/* err: site is unknown, with the known ones listed after prefix. */
static void unknown_site(PGresult *known, const char *prefix, const char *site,
                         struct errbuf *err)
{
    struct buf sites;

    buf_init(&sites, 4096);
    for (int r = 0; r < PQntuples(known); r++)
        buf_appendf(&sites, "%s%s", r > 0 ? ", " : "", PQgetvalue(known, r, 0));
    errbuf_set(err, "%sunknown site '%.100s' (known sites: %s)", prefix, site, buf_cstr(&sites));
    buf_cleanup(&sites);
}

/* ST_OK when every site of t is known; ST_FAIL with *refusal INVALID when one is not. */
static enum st check_sites(struct store_conn *c, const char *shop, const char *default_site,
                           const struct routing_rules *t, enum admin_refusal *refusal,
                           struct errbuf *err)
{
    enum st st;
    PGresult *res = routing_store_known_sites(c, shop, default_site, &st, err);

    if (res == NULL)
        return st;
    for (size_t i = 0; i < t->n && st == ST_OK; i++) {
        if (!site_known(res, t->rules[i].site)) {
            unknown_site(res, "invalid routing rules: ", t->rules[i].site, err);
            *refusal = ADMIN_REFUSED_INVALID;
            st = ST_FAIL;
        }
    }
    PQclear(res);
    return st;
}

/* Parses spec into t; ST_FAIL with *refusal INVALID when it is not a rule list. */
static enum st parse_spec(const char *spec, const char *default_site, struct routing_rules *t,
                          enum admin_refusal *refusal, struct errbuf *err)
{
    struct errbuf why = {""};

    *refusal = ADMIN_REFUSED_INVALID;
    if (spec == NULL || spec[0] == '\0') {
        errbuf_set(err, "invalid routing rules: no rule given (e.g. "
                   "'country:GB=LONDON;default=%.100s')",
                   default_site != NULL && default_site[0] ? default_site : "PrimarySite");
        return ST_FAIL;
    }
    if (strlen(spec) > ADMIN_ROUTING_SPEC_MAX_BYTES) {
        errbuf_set(err, "invalid routing rules: longer than %d bytes",
                   ADMIN_ROUTING_SPEC_MAX_BYTES);
        return ST_FAIL;
    }
    if (routing_parse_rules(t, spec, &why) < 0) {
        errbuf_set(err, "invalid routing rules: %s", why.msg);
        return ST_FAIL;
    }
    if (t->n == 0)
        return parse_spec("", default_site, t, refusal, err);
    *refusal = ADMIN_REFUSED_NONE;
    return ST_OK;
}

/* Replaces the rules with t (spec its text), audited with the rules before. */
static enum st replace(struct store_conn *c, const struct admin_actor *who,
                       const struct routing_rules *t, const char *spec,
                       struct json_object **out, struct errbuf *err)
{
    struct json_object *before = NULL, *after = json_object_new_object();
    struct audit_entry e = {who->shop, who->actor, "routing.set", "routing_rules", who->shop,
                            NULL,      NULL,       NULL};
    enum st st = admin_routing_read(c, who->shop, &before, err);

    json_object_object_add(after, "spec", json_object_new_string(spec));
    if (st == ST_OK)
        st = routing_store_replace(c, who->shop, t, err);
    if (st == ST_OK) {
        json_object_object_del(before, "rules"); /* the spec says it all */
        e.before_json = json_object_to_json_string_ext(before, JSON_C_TO_STRING_PLAIN);
        e.after_json = json_object_to_json_string_ext(after, JSON_C_TO_STRING_PLAIN);
        st = audit_record(c, &e, err);
    }
    if (st == ST_OK)
        st = admin_routing_read(c, who->shop, out, err);
    json_object_put(before);
    json_object_put(after);
    return st;
}

enum st admin_routing_set(struct store_conn *c, const struct admin_actor *who,
                          const char *default_site, const char *spec, struct json_object **out,
                          enum admin_refusal *refusal, struct errbuf *err)
{
    struct routing_rules t;
    enum st st;

    *out = NULL;
    routing_rules_init(&t);
    st = parse_spec(spec, default_site, &t, refusal, err);
    if (st == ST_OK)
        st = check_sites(c, who->shop, default_site, &t, refusal, err);
    if (st == ST_OK)
        st = replace(c, who, &t, spec, out, err);
    routing_rules_cleanup(&t);
    return st;
}

enum st admin_routing_delete(struct store_conn *c, const struct admin_actor *who,
                             long long position, struct json_object **out,
                             enum admin_refusal *refusal, struct errbuf *err)
{
    struct json_object *now = NULL, *rules, *rest = json_object_new_array();
    char *spec = NULL;
    struct routing_rules t;
    enum st st = admin_routing_read(c, who->shop, &now, err);
    size_t n;

    *out = NULL;
    *refusal = ADMIN_REFUSED_NONE;
    routing_rules_init(&t);
    if (st != ST_OK)
        goto out;
    rules = json_object_object_get(now, "rules");
    n = json_object_array_length(rules);
    if (position < 1 || (size_t)position > n) {
        errbuf_set(err, "no routing rule at position %lld (there are %zu)", position, n);
        *refusal = ADMIN_REFUSED_NOT_FOUND;
        st = ST_FAIL;
        goto out;
    }
    if (n == 1) {
        errbuf_set(err, "rule %lld is the only routing rule: set other rules instead of "
                   "deleting the last one", position);
        *refusal = ADMIN_REFUSED_CONFLICT;
        st = ST_FAIL;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if ((long long)i != position - 1)
            json_object_array_add(rest, json_object_get(json_object_array_get_idx(rules, i)));
    spec = rules_spec(rest);
    st = parse_spec(spec, NULL, &t, refusal, err);
    if (st == ST_OK)
        st = replace(c, who, &t, spec, out, err);
out:
    routing_rules_cleanup(&t);
    json_object_put(now);
    json_object_put(rest);
    free(spec);
    return st;
}

/* ---- a rule list from a form: every problem named by its field ---- */

/* Adds {"field": path, "message": why} to fields. */
static void field_add(struct json_object *fields, const char *path, const char *why)
{
    struct json_object *f = json_object_new_object();

    json_object_object_add(f, "field", json_object_new_string(path));
    json_object_object_add(f, "message", json_object_new_string(why));
    json_object_array_add(fields, f);
}

/* field_add for member name of rule i ("rules/<i>/<name>"; name "": the rule itself). */
static void rule_field_add(struct json_object *fields, size_t i, const char *name,
                           const char *why)
{
    char path[64];

    snprintf(path, sizeof(path), "rules/%zu%s%s", i, name[0] ? "/" : "", name);
    field_add(fields, path, why);
}

/*
 * The parser's verdict on text alone (a scratch rule set), the rule's
 * echo left out of the message: NULL when it parses, else why (in err).
 */
static const char *parse_alone(const char *text, struct errbuf *err)
{
    struct routing_rules scratch;
    const char *cut;
    int rc;

    routing_rules_init(&scratch);
    rc = routing_parse_rule(&scratch, text, err);
    routing_rules_cleanup(&scratch);
    if (rc == 0)
        return NULL;
    cut = strstr(err->msg, "': ");
    return cut != NULL ? cut + 3 : err->msg;
}

/* The problem of a location's or country's match, or NULL. */
static const char *match_problem(const char *kind, const char *match, struct errbuf *err)
{
    char text[ROUTING_MATCH_MAX_BYTES + 32];

    if (strlen(match) > ROUTING_MATCH_MAX_BYTES || strpbrk(match, ";=\n") != NULL)
        return "too long, or contains ; = or a line break";
    snprintf(text, sizeof(text), "%s:%s=X", kind, match);
    return parse_alone(text, err);
}

/* The problem of a rule's site (the parser's, then shopvox must know it), or NULL. */
static const char *site_problem(PGresult *known, const char *site, struct errbuf *err)
{
    char text[ROUTING_SITE_MAX_BYTES + 32];
    const char *why;

    if (strlen(site) > ROUTING_SITE_MAX_BYTES) {
        errbuf_set(err, "longer than %d bytes", ROUTING_SITE_MAX_BYTES);
        return err->msg;
    }
    snprintf(text, sizeof(text), "default=%s", site);
    why = parse_alone(text, err);
    if (why != NULL || site_known(known, site))
        return why;
    unknown_site(known, "", site, err);
    return err->msg;
}

/*
 * Checks row i ({kind, match, site}) field by field (the match and the
 * site each in a rule of their own, so the parser's checks name the
 * field), then appends it to t, which refuses a repetition (a problem of
 * the rule itself). Problems go to fields; the rule's text to spec.
 */
static void rule_check(struct routing_rules *t, struct json_object *row, size_t i,
                       PGresult *known, struct json_object *fields, struct buf *spec)
{
    const char *kind = jstr(row, "kind"), *match = jstr(row, "match"), *site = jstr(row, "site");
    size_t before = json_object_array_length(fields);
    struct errbuf err = {""};
    char text[ROUTING_SITE_MAX_BYTES + ROUTING_MATCH_MAX_BYTES + 32];
    const char *why;
    enum routing_kind k;
    bool with_match;

    if (!json_object_is_type(row, json_type_object) || !routing_kind_parse(kind, &k)) {
        rule_field_add(fields, i, "kind", "choose one of location, country, stock, default");
        return;
    }
    with_match = k == ROUTE_LOCATION || k == ROUTE_COUNTRY;
    if (with_match && (why = match_problem(kind, match, &err)) != NULL)
        rule_field_add(fields, i, "match", why);
    if ((why = site_problem(known, site, &err)) != NULL)
        rule_field_add(fields, i, "site", why);
    if (json_object_array_length(fields) > before)
        return;
    snprintf(text, sizeof(text), "%s%s%s=%s", kind, with_match ? ":" : "",
             with_match ? match : "", site);
    if (routing_parse_rule(t, text, &err) < 0)
        rule_field_add(fields, i, "", err.msg);
    else if (buf_appendf(spec, "%s%s", spec->len ? ";" : "", text) < 0)
        rule_field_add(fields, i, "", "the rules are too long together");
}

enum st admin_routing_set_rules(struct store_conn *c, const struct admin_actor *who,
                                const char *default_site, struct json_object *rules,
                                struct json_object **out, struct json_object **fields,
                                enum admin_refusal *refusal, struct errbuf *err)
{
    size_t n = json_object_array_length(rules);
    struct routing_rules t;
    struct buf spec;
    enum st st = ST_OK;
    PGresult *known = NULL;

    *out = NULL;
    *fields = json_object_new_array();
    *refusal = ADMIN_REFUSED_NONE;
    routing_rules_init(&t);
    buf_init(&spec, ADMIN_ROUTING_SPEC_MAX_BYTES);
    if (n == 0 || n > ROUTING_MAX_RULES) {
        errbuf_set(err, "give 1 to %d rules", ROUTING_MAX_RULES);
        field_add(*fields, "rules", err->msg);
    } else {
        known = routing_store_known_sites(c, who->shop, default_site, &st, err);
    }
    for (size_t i = 0; known != NULL && i < n; i++)
        rule_check(&t, json_object_array_get_idx(rules, i), i, known, *fields, &spec);
    if (json_object_array_length(*fields) > 0) {
        struct json_object *first = json_object_array_get_idx(*fields, 0);

        errbuf_set(err, "invalid routing rules: %s: %s",
                   json_object_get_string(json_object_object_get(first, "field")),
                   json_object_get_string(json_object_object_get(first, "message")));
        *refusal = ADMIN_REFUSED_INVALID;
        st = ST_FAIL;
    } else if (st == ST_OK) {
        st = admin_routing_set(c, who, default_site, buf_cstr(&spec), out, refusal, err);
    }
    if (json_object_array_length(*fields) == 0) {
        json_object_put(*fields);
        *fields = NULL;
    }
    PQclear(known);
    buf_cleanup(&spec);
    routing_rules_cleanup(&t);
    return st;
}
