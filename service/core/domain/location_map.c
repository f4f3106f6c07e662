/*
 * location_map.c - SHOPVOX_LOCATION_MAP parsing (see location_map.h).
 *
 * One pass over the ';'-separated pairs, each trimmed and split at its
 * first '='; every check names the pair (1-based) and shows its text cut
 * to a readable length. Rows go into a fresh map that replaces the
 * caller's only when the whole text was good.
 */
#include "location_map.h"

#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "routing.h"

static int lm_blank(char c)
{
    return c == ' ' || c == '\t';
}

void location_map_init(struct location_map *m)
{
    m->rows = NULL;
    m->n = 0;
}

void location_map_cleanup(struct location_map *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        free(m->rows[i].site);
        free(m->rows[i].location_id);
    }
    free(m->rows);
    location_map_init(m);
}

/* s[0..*len) without the blanks around it. */
static const char *lm_trim(const char *s, size_t *len)
{
    while (*len > 0 && lm_blank(*s)) {
        s++;
        (*len)--;
    }
    while (*len > 0 && lm_blank(s[*len - 1]))
        (*len)--;
    return s;
}

/* NULL when site is a usable site reference, else why not. */
static const char *lm_site_problem(const char *site)
{
    const unsigned char *p;

    if (site[0] == '\0')
        return "has no site before '='";
    if (strlen(site) > LOCATION_MAP_SITE_MAX_BYTES)
        return "has a site longer than 100 bytes";
    for (p = (const unsigned char *)site; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return "has a control character in its site";
    if (routing_site_is_system(site))
        return "names SystemSite, which is internal to Peoplevox";
    return NULL;
}

/* NULL when id is a Shopline location id (digits), else why not. */
static const char *lm_id_problem(const char *id)
{
    if (id[0] == '\0')
        return "has no location id after '='";
    if (!json_text_is_id(id))
        return "has a location id that is not a Shopline id (1 to 40 digits, no leading 0)";
    return NULL;
}

/* NULL when neither site nor id is in m yet, else why not. */
static const char *lm_dup_problem(const struct location_map *m, const char *site, const char *id)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        if (strcmp(m->rows[i].site, site) == 0)
            return "maps a site that an earlier pair maps already";
        if (strcmp(m->rows[i].location_id, id) == 0)
            return "maps a location id that an earlier pair maps already";
    }
    return NULL;
}

/* Adds pair[0..len) (trimmed, not empty) to m; -1 with err set. */
static int lm_add_pair(struct location_map *m, size_t number, const char *pair, size_t len,
                       struct errbuf *err)
{
    const char *eq = memchr(pair, '=', len);
    const char *why = NULL, *s;
    char *site = NULL, *id = NULL;
    size_t n;

    if (eq == NULL) {
        why = "is not SITE=LOCATION_ID";
        goto out;
    }
    n = (size_t)(eq - pair);
    s = lm_trim(pair, &n);
    site = xstrndup(s, n);
    n = len - (size_t)(eq - pair) - 1;
    s = lm_trim(eq + 1, &n);
    id = xstrndup(s, n);
    why = lm_site_problem(site);
    if (why == NULL)
        why = lm_id_problem(id);
    if (why == NULL)
        why = lm_dup_problem(m, site, id);
    if (why == NULL && m->n >= LOCATION_MAP_MAX_ROWS)
        why = "is one pair too many (at most 256)";
    if (why != NULL)
        goto out;
    m->rows = xrealloc(m->rows, (m->n + 1) * sizeof(*m->rows));
    m->rows[m->n].site = site;
    m->rows[m->n].location_id = id;
    m->n++;
    site = id = NULL;
out:
    if (why != NULL)
        errbuf_set(err, "pair %zu (\"%.*s\") %s", number, len > 60 ? 60 : (int)len, pair, why);
    free(site);
    free(id);
    return why != NULL ? -1 : 0;
}

int location_map_parse(struct location_map *m, const char *text, struct errbuf *err)
{
    struct location_map fresh;
    const char *p = text != NULL ? text : "", *semi, *pair;
    size_t number = 0, len;

    location_map_init(&fresh);
    for (;;) {
        semi = strchr(p, ';');
        len = semi != NULL ? (size_t)(semi - p) : strlen(p);
        number++;
        pair = lm_trim(p, &len);
        if (len > 0 && lm_add_pair(&fresh, number, pair, len, err) < 0) {
            location_map_cleanup(&fresh);
            location_map_cleanup(m);
            return -1;
        }
        if (semi == NULL)
            break;
        p = semi + 1;
    }
    location_map_cleanup(m);
    *m = fresh;
    return 0;
}

const struct location_map_row *location_map_first_unknown(const struct location_map *m,
                                                          const char *const *ids, size_t n)
{
    size_t i, k;

    for (i = 0; i < m->n; i++) {
        for (k = 0; k < n && strcmp(ids[k], m->rows[i].location_id) != 0; k++)
            ;
        if (k == n)
            return &m->rows[i];
    }
    return NULL;
}

const char *location_map_location(const struct location_map *m, const char *site)
{
    size_t i;

    for (i = 0; site != NULL && i < m->n; i++)
        if (strcmp(m->rows[i].site, site) == 0)
            return m->rows[i].location_id;
    return NULL;
}
