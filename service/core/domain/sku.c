/*
 * sku.c - SKU integrity checks, resolution through sku_map, and the advice
 * an operator reads in the exception queue (see sku.h for the decisions).
 *
 * Advice sentences are data: one template per problem, with {sku}, {map}
 * and {name} filled in, so the wording lives in one table and every SKU
 * that reaches a human goes through the same escaping. SKUs are shown in
 * shell single quotes, so a suggested "shopvox sku map 'X' ITEM_CODE" can be
 * pasted as is; bytes a terminal would mangle (controls, invalid UTF-8)
 * are shown as \xNN and long values are cut, ending in "...".
 */
#include "sku.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define DEACTIVATED_MARK "~D~"
#define LINE_ID_DISPLAY_MAX_BYTES 40
#define MORE_RESERVE_BYTES 32   /* "; and 18446744073709551615 more" */

static const char *const problem_names[SKU_PROBLEM_COUNT] = {
    [SKU_OK] = "ok",
    [SKU_EMPTY] = "empty",
    [SKU_TOO_LONG] = "too_long",
    [SKU_BAD_UTF8] = "bad_utf8",
    [SKU_CONTROL_CHARS] = "control_chars",
    [SKU_WHITESPACE] = "whitespace",
    [SKU_DEACTIVATED] = "deactivated",
    [SKU_UNKNOWN] = "unknown",
};

#define REMAP " with: shopvox sku map {sku} ITEM_CODE"

/* Advice when the Shopline SKU itself is the problem. */
static const char *const advice_direct[SKU_PROBLEM_COUNT] = {
    [SKU_OK] = "nothing to do",
    [SKU_EMPTY] = "give the Shopline variant a SKU equal to its Peoplevox item code",
    [SKU_TOO_LONG] = "Peoplevox item codes are at most 50 bytes: shorten SKU {sku} "
                     "in Shopline or map it" REMAP,
    [SKU_BAD_UTF8] = "SKU {sku} is not valid UTF-8: re-enter it in Shopline",
    [SKU_CONTROL_CHARS] = "SKU {sku} contains control characters (tab, newline...): "
                          "re-enter it in Shopline",
    [SKU_WHITESPACE] = "remove the leading/trailing spaces from SKU {sku} in Shopline "
                       "or map it" REMAP,
    [SKU_DEACTIVATED] = "item code {sku} is deactivated in Peoplevox: reactivate it "
                        "or map the SKU to an active code" REMAP,
    [SKU_UNKNOWN] = "create item code {sku} in Peoplevox or map it" REMAP,
};

/* Advice when SKU is mapped and the alias target is the problem. */
static const char *const advice_mapped_deactivated =
    "SKU {sku} is mapped to item code {map}, which is deactivated in Peoplevox: "
    "reactivate it or remap" REMAP;
static const char *const advice_mapped_unknown =
    "SKU {sku} is mapped to {map}, which is not an item code in Peoplevox: "
    "create it in Peoplevox or remap" REMAP;
static const char *const advice_mapped_invalid =
    "SKU {sku} is mapped to {map}, which is not a valid item code ({name}): remap" REMAP;

const char *sku_problem_name(enum sku_problem p)
{
    if ((unsigned)p >= SKU_PROBLEM_COUNT)
        return "invalid";
    return problem_names[p];
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is
 * not one: overlong forms, surrogates and code points past U+10FFFF are
 * rejected as the standard requires.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    size_t len, i;
    uint32_t c;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, c = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, c = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, c = s[0] & 0x07u;
    else
        return 0;
    if (len > n)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3fu);
    }
    if (c < min_cp[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* C0 controls, DEL and the C1 controls U+0080..U+009F. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/* SKU_BAD_UTF8 or SKU_CONTROL_CHARS for the first offending character. */
static enum sku_problem sku_scan_chars(const char *sku, size_t len)
{
    const unsigned char *s = (const unsigned char *)sku;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_seq_len(s + i, len - i, &cp);

        if (n == 0)
            return SKU_BAD_UTF8;
        if (is_control(cp))
            return SKU_CONTROL_CHARS;
        i += n;
    }
    return SKU_OK;
}

enum sku_problem sku_validate(const char *sku)
{
    enum sku_problem p;
    size_t len;

    if (sku == NULL)
        return SKU_EMPTY;
    len = strlen(sku);
    if (strspn(sku, " ") == len)
        return SKU_EMPTY;
    if (len > SKU_MAX_BYTES)
        return SKU_TOO_LONG;
    p = sku_scan_chars(sku, len);
    if (p != SKU_OK)
        return p;
    if (sku[0] == ' ' || sku[len - 1] == ' ')
        return SKU_WHITESPACE;
    if (strstr(sku, DEACTIVATED_MARK) != NULL)
        return SKU_DEACTIVATED;
    return SKU_OK;
}

/* Problems an alias in sku_map can cure (the SKU is at least typeable). */
static bool sku_problem_mappable(enum sku_problem p)
{
    return p == SKU_OK || p == SKU_TOO_LONG || p == SKU_WHITESPACE || p == SKU_DEACTIVATED;
}

/* Full check of a candidate item code: syntax, then the catalogue. */
static enum sku_problem sku_check_item_code(const char *code, const struct sku_lookup *lk)
{
    enum sku_problem p = sku_validate(code);

    if (p != SKU_OK)
        return p;
    switch (lk->item_state(lk->ctx, code)) {
    case SKU_ITEM_ACTIVE: return SKU_OK;
    case SKU_ITEM_INACTIVE: return SKU_DEACTIVATED;
    case SKU_ITEM_MISSING: break;
    }
    return SKU_UNKNOWN;
}

enum sku_problem sku_resolve(const char *shopline_sku, const struct sku_lookup *lk,
                             struct sku_resolution *out)
{
    enum sku_problem own = sku_validate(shopline_sku);
    const char *target = NULL;

    out->item_code = NULL;
    out->mapped_to = NULL;
    if (sku_problem_mappable(own) && lk->map_alias != NULL)
        target = lk->map_alias(lk->ctx, shopline_sku);
    if (target != NULL) {
        out->mapped_to = target;
        out->problem = sku_check_item_code(target, lk);
    } else if (own == SKU_OK) {
        target = shopline_sku;
        out->problem = sku_check_item_code(target, lk);
    } else {
        out->problem = own;
    }
    if (out->problem == SKU_OK)
        out->item_code = target;
    return out->problem;
}

/*
 * Appends s for a human: optionally in shell single quotes (' as '\''),
 * controls and invalid UTF-8 as \xNN, cut at max_bytes of output with
 * "..." after the closing quote. NULL shows as empty.
 */
static void sku_append_display(struct buf *b, const char *s, size_t max_bytes, bool quoted)
{
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "");
    size_t len = strlen((const char *)p), i = 0, used = 0;

    if (quoted)
        buf_append_str(b, "'");
    while (i < len) {
        char esc[16];
        const char *piece = esc;
        uint32_t cp = 0;
        size_t n = utf8_seq_len(p + i, len - i, &cp), piece_len;

        if (n == 0 || is_control(cp)) {
            n = 1;
            piece_len = (size_t)snprintf(esc, sizeof(esc), "\\x%02X", p[i]);
        } else if (quoted && cp == '\'') {
            piece = "'\\''";
            piece_len = 4;
        } else {
            piece = (const char *)p + i;
            piece_len = n;
        }
        if (used + piece_len > max_bytes)
            break;
        buf_append(b, piece, piece_len);
        used += piece_len;
        i += n;
    }
    if (quoted)
        buf_append_str(b, "'");
    if (i < len)
        buf_append_str(b, "...");
}

/* Expands {sku}, {map} and {name} in tmpl into b. */
static void sku_expand_advice(struct buf *b, const char *tmpl, enum sku_problem p,
                              const char *sku, const char *mapped_to)
{
    const char *s = tmpl;

    while (*s != '\0') {
        size_t plain = strcspn(s, "{");

        buf_append(b, s, plain);
        s += plain;
        if (strncmp(s, "{sku}", 5) == 0) {
            sku_append_display(b, sku, SKU_DISPLAY_MAX_BYTES, true);
            s += 5;
        } else if (strncmp(s, "{map}", 5) == 0) {
            sku_append_display(b, mapped_to, SKU_DISPLAY_MAX_BYTES, true);
            s += 5;
        } else if (strncmp(s, "{name}", 6) == 0) {
            buf_append_str(b, sku_problem_name(p));
            s += 6;
        } else if (*s != '\0') {
            buf_append(b, s++, 1);
        }
    }
}

static const char *sku_advice_template(enum sku_problem p, const char *mapped_to)
{
    if ((unsigned)p >= SKU_PROBLEM_COUNT)
        return "unknown problem";
    if (mapped_to == NULL || p == SKU_OK)
        return advice_direct[p];
    if (p == SKU_DEACTIVATED)
        return advice_mapped_deactivated;
    if (p == SKU_UNKNOWN)
        return advice_mapped_unknown;
    return advice_mapped_invalid;
}

char *sku_problem_advice(enum sku_problem p, const char *sku, const char *mapped_to)
{
    struct buf b;

    buf_init(&b, 0);
    sku_expand_advice(&b, sku_advice_template(p, mapped_to), p, sku, mapped_to);
    return buf_steal(&b);
}

static void sku_add_issue(struct sku_check_result *r, const struct order_line *line,
                          const struct sku_resolution *res)
{
    struct sku_issue *is = &r->issues[r->n_issues++];

    is->line_id = xstrdup(line->line_id != NULL ? line->line_id : "");
    is->sku = xstrdup(line->sku != NULL ? line->sku : "");
    is->mapped_to = xstrdup(res->mapped_to);
    is->problem = res->problem;
}

void sku_check_order(const struct order_line *lines, size_t n, const struct sku_lookup *lk,
                     struct sku_check_result *out)
{
    size_t i;

    memset(out, 0, sizeof(*out));
    if (n == 0)
        return;
    out->item_codes = xcalloc(n, sizeof(*out->item_codes));
    out->issues = xcalloc(n, sizeof(*out->issues));
    out->n_lines = n;
    for (i = 0; i < n; i++) {
        struct sku_resolution res;

        if (!order_line_ships(&lines[i]))
            continue;
        if (sku_resolve(lines[i].sku, lk, &res) == SKU_OK)
            out->item_codes[i] = xstrdup(res.item_code);
        else
            sku_add_issue(out, &lines[i], &res);
    }
}

void sku_check_result_cleanup(struct sku_check_result *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_lines; i++)
        free(r->item_codes[i]);
    for (i = 0; i < r->n_issues; i++) {
        free(r->issues[i].line_id);
        free(r->issues[i].sku);
        free(r->issues[i].mapped_to);
    }
    free(r->item_codes);
    free(r->issues);
    memset(r, 0, sizeof(*r));
}

/* "'ABC-1' unknown (line 123)", then ": advice" when with_advice. */
static void sku_format_issue(struct buf *b, const struct sku_issue *is, bool with_advice)
{
    sku_append_display(b, is->sku, SKU_DISPLAY_MAX_BYTES, true);
    buf_appendf(b, " %s (line ", sku_problem_name(is->problem));
    sku_append_display(b, is->line_id, LINE_ID_DISPLAY_MAX_BYTES, false);
    buf_append_str(b, ")");
    if (with_advice) {
        buf_append_str(b, ": ");
        sku_expand_advice(b, sku_advice_template(is->problem, is->mapped_to), is->problem,
                          is->sku, is->mapped_to);
    }
}

/*
 * Appends issue i (with its advice if that fits, else without) when it
 * fits in max_bytes, keeping room for the "and N more" tail unless it is
 * the last one. Returns false when it did not fit.
 */
static bool sku_detail_add(struct buf *out, const struct sku_check_result *r, size_t i,
                           size_t max_bytes, struct buf *scratch)
{
    size_t reserve = i + 1 < r->n_issues ? MORE_RESERVE_BYTES : 0;
    size_t room = max_bytes - out->len;
    int with_advice;

    room = room > reserve ? room - reserve : 0;
    for (with_advice = 1; with_advice >= 0; with_advice--) {
        buf_reset(scratch);
        if (i > 0)
            buf_append_str(scratch, "; ");
        sku_format_issue(scratch, &r->issues[i], with_advice == 1);
        if (scratch->len <= room) {
            buf_append(out, scratch->data, scratch->len);
            return true;
        }
    }
    return false;
}

char *sku_format_detail(const struct sku_check_result *r, size_t max_bytes)
{
    struct buf out, scratch;
    size_t i;

    if (r->n_issues == 0)
        return xstrdup("");
    if (max_bytes < SKU_DETAIL_MIN_BYTES)
        max_bytes = SKU_DETAIL_MIN_BYTES;
    buf_init(&out, 0);
    buf_init(&scratch, 0);
    buf_appendf(&out, "%zu order line%s cannot be sent to Peoplevox: ", r->n_issues,
                r->n_issues == 1 ? "" : "s");
    for (i = 0; i < r->n_issues; i++) {
        if (!sku_detail_add(&out, r, i, max_bytes, &scratch))
            break;
    }
    if (i < r->n_issues)
        buf_appendf(&out, "%sand %zu more", i > 0 ? "; " : "", r->n_issues - i);
    buf_cleanup(&scratch);
    return buf_steal(&out);
}
