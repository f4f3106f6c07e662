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
        bool known = false;

        for (int r = 0; r < PQntuples(res) && !known; r++)
            known = strcmp(PQgetvalue(res, r, 0), t->rules[i].site) == 0;
        if (!known) {
            struct buf sites;

            buf_init(&sites, 4096);
            for (int r = 0; r < PQntuples(res); r++)
                buf_appendf(&sites, "%s%s", r > 0 ? ", " : "", PQgetvalue(res, r, 0));
            errbuf_set(err, "invalid routing rules: unknown site '%.100s' (known sites: %s)",
                       t->rules[i].site, buf_cstr(&sites));
            buf_cleanup(&sites);
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
