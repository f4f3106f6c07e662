/*
 * order.c - Shopline order JSON -> struct order, timestamps, money.
 *
 * The state machine over these orders is order_state.c (same header).
 *
 * Ids. Shopline order ids are ~26 digits, more than json-c keeps: the body
 * is parsed with json_text_parse, which turns integer literals of more than
 * 18 digits into strings of the same digits first. An id must be an
 * integer, so a fractional id fails. A huge integer anywhere else (say a
 * quantity) becomes a string too and is then rejected as "not an integer",
 * which is what it deserves.
 *
 * Money is kept as the text Shopline sent and checked with
 * order_money_valid; a JSON number is accepted through its source text
 * ("8.00" stays "8.00", 1e5 is refused).
 *
 * Ranges. What the database cannot store must fail here, as a malformed
 * payload (200, recorded failed, an exception), never as a database error
 * (a 500 makes Shopline retry the same bytes for 48 hours): quantities are
 * at most ORDER_MAX_QUANTITY, money has at most ORDER_MONEY_MAX_INT_DIGITS
 * digits before the point and 4 after (the columns are numeric(20,4)), and
 * a line id may appear only once in an order (it keys order_lines).
 *
 * Types. A field of the wrong JSON type (an object where text belongs, a
 * string quantity) is a malformed payload: it fails loudly instead of
 * being dropped. null is the same as absent. A present but unparseable
 * updated_at also fails, because the at-least-once, unordered delivery is
 * only safe when every payload can be ordered.
 *
 * Timestamps are converted with a days-from-civil calculation, never
 * through mktime/timegm, so the result does not depend on TZ or locale.
 */
#include "order.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "json_text.h"

/* ---- field readers ------------------------------------------------------ */

enum {
    FIELD_REQUIRED = 1 << 0,
    FIELD_MONEY = 1 << 1,
    FIELD_ID = 1 << 2 /* a number is accepted only when integral */
};

struct field_spec {
    const char *key;
    size_t offset; /* of the char * in the destination struct */
    unsigned flags;
};

/* The member of dst described by spec (dst is the struct the table maps). */
static char **field_slot(void *dst, const struct field_spec *spec)
{
    return (char **)(void *)((char *)dst + spec->offset);
}

/*
 * Reads one textual field. A string is copied, an integer or double gives
 * its exact source text (ids and money sent as numbers), null or absent
 * gives NULL. 0 on success, -1 with err set otherwise.
 */
static int field_read_text(struct json_object *obj, const char *where,
                           const struct field_spec *spec, char **out, struct errbuf *err)
{
    struct json_object *v = NULL;
    enum json_type type;

    *out = NULL;
    if (!json_object_object_get_ex(obj, spec->key, &v) || v == NULL) {
        if (spec->flags & FIELD_REQUIRED) {
            errbuf_set(err, "%s lacks required field \"%s\"", where, spec->key);
            return -1;
        }
        return 0;
    }
    type = json_object_get_type(v);
    if (type == json_type_string &&
        strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
        errbuf_set(err, "%s field \"%s\" contains a NUL character", where, spec->key);
        return -1;
    }
    if (type != json_type_string && type != json_type_int &&
        !(type == json_type_double && !(spec->flags & FIELD_ID))) {
        errbuf_set(err, "%s field \"%s\" has the wrong type: %s", where, spec->key,
                   json_type_to_name(type));
        return -1;
    }
    *out = xstrdup(json_object_get_string(v));
    return 0;
}

static int field_check(const char *where, const struct field_spec *spec, const char *value,
                       struct errbuf *err)
{
    if ((spec->flags & FIELD_REQUIRED) && value[0] == '\0') {
        errbuf_set(err, "%s field \"%s\" is empty", where, spec->key);
        return -1;
    }
    if ((spec->flags & FIELD_MONEY) && !order_money_valid(value)) {
        errbuf_set(err, "%s field \"%s\" is not a decimal: \"%.40s\"", where, spec->key, value);
        return -1;
    }
    return 0;
}

/* Fills every char * listed in specs; on failure the caller frees dst. */
static int fields_read(struct json_object *obj, const char *where, const struct field_spec *specs,
                       size_t n_specs, void *dst, struct errbuf *err)
{
    size_t i;

    for (i = 0; i < n_specs; i++) {
        char **slot = field_slot(dst, &specs[i]);

        if (field_read_text(obj, where, &specs[i], slot, err) < 0)
            return -1;
        if (*slot != NULL && field_check(where, &specs[i], *slot, err) < 0)
            return -1;
    }
    return 0;
}

static void fields_free(const struct field_spec *specs, size_t n_specs, void *dst)
{
    size_t i;

    for (i = 0; i < n_specs; i++) {
        char **slot = field_slot(dst, &specs[i]);

        free(*slot);
        *slot = NULL;
    }
}

/*
 * The member key of obj when it has the wanted type; NULL when absent or
 * null. Returns -1 with err set when present with another type.
 */
static int member_typed(struct json_object *obj, const char *where, const char *key,
                        enum json_type want, struct json_object **out, struct errbuf *err)
{
    struct json_object *v = NULL;

    *out = NULL;
    if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, want)) {
        errbuf_set(err, "%s field \"%s\" is not %s", where, key,
                   want == json_type_array ? "an array" : "an object");
        return -1;
    }
    *out = v;
    return 0;
}

/* A non-negative JSON integer; *out untouched when absent or null. */
static int field_read_count(struct json_object *obj, const char *where, const char *key,
                            bool required, int64_t *out, struct errbuf *err)
{
    struct json_object *v = NULL;
    int64_t n;

    if (!json_object_object_get_ex(obj, key, &v) || v == NULL) {
        if (required)
            errbuf_set(err, "%s lacks required field \"%s\"", where, key);
        return required ? -1 : 0;
    }
    if (!json_object_is_type(v, json_type_int)) {
        errbuf_set(err, "%s field \"%s\" is not an integer: %.40s", where, key,
                   json_object_get_string(v));
        return -1;
    }
    n = json_object_get_int64(v);
    if (n < 0) {
        errbuf_set(err, "%s field \"%s\" is negative: %.40s", where, key,
                   json_object_get_string(v));
        return -1;
    }
    if (n > ORDER_MAX_QUANTITY) {
        errbuf_set(err, "%s field \"%s\" is %lld, above the %d a line may hold", where, key,
                   (long long)n, ORDER_MAX_QUANTITY);
        return -1;
    }
    *out = n;
    return 0;
}

static int field_read_bool(struct json_object *obj, const char *where, const char *key,
                           bool *out, struct errbuf *err)
{
    struct json_object *v = NULL;

    if (!json_object_object_get_ex(obj, key, &v) || v == NULL)
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        errbuf_set(err, "%s field \"%s\" is not a boolean", where, key);
        return -1;
    }
    *out = json_object_get_boolean(v);
    return 0;
}

/* ---- the order's parts -------------------------------------------------- */

#define ORDER_FIELD(key, member, flags) { key, offsetof(struct order, member), flags }

static const struct field_spec order_fields[] = {
    ORDER_FIELD("id", id, FIELD_REQUIRED | FIELD_ID),
    ORDER_FIELD("name", name, FIELD_REQUIRED),
    ORDER_FIELD("financial_status", financial_status, 0),
    ORDER_FIELD("fulfillment_status", fulfillment_status, 0),
    ORDER_FIELD("status", status, 0),
    ORDER_FIELD("cancelled_at", cancelled_at, 0),
    ORDER_FIELD("cancel_reason", cancel_reason, 0),
    ORDER_FIELD("created_at", created_at, 0),
    ORDER_FIELD("updated_at", updated_at, 0),
    ORDER_FIELD("processed_at", processed_at, 0),
    ORDER_FIELD("email", email, 0),
    ORDER_FIELD("phone", phone, 0),
    ORDER_FIELD("note", note, 0),
    ORDER_FIELD("currency", currency, 0),
    ORDER_FIELD("total_price", total_price, FIELD_MONEY),
    ORDER_FIELD("total_tax", total_tax, FIELD_MONEY),
    ORDER_FIELD("total_discounts", total_discounts, FIELD_MONEY),
    ORDER_FIELD("location_id", location_id, FIELD_ID),
};

static const struct field_spec customer_fields[] = {
    ORDER_FIELD("id", customer_id, FIELD_ID),
    ORDER_FIELD("email", customer_email, 0),
    ORDER_FIELD("first_name", customer_first_name, 0),
    ORDER_FIELD("last_name", customer_last_name, 0),
    ORDER_FIELD("phone", customer_phone, 0),
};

static const struct field_spec shipping_line_fields[] = {
    ORDER_FIELD("title", shipping_title, 0),
    ORDER_FIELD("code", shipping_code, 0),
    ORDER_FIELD("price", shipping_price, FIELD_MONEY),
};

#define ADDRESS_FIELD(key) { #key, offsetof(struct order_address, key), 0 }

static const struct field_spec address_fields[] = {
    ADDRESS_FIELD(name), ADDRESS_FIELD(first_name), ADDRESS_FIELD(last_name),
    ADDRESS_FIELD(company), ADDRESS_FIELD(phone), ADDRESS_FIELD(address1),
    ADDRESS_FIELD(address2), ADDRESS_FIELD(city), ADDRESS_FIELD(province),
    ADDRESS_FIELD(province_code), ADDRESS_FIELD(country), ADDRESS_FIELD(country_code),
    ADDRESS_FIELD(zip),
};

#define LINE_FIELD(key, member, flags) { key, offsetof(struct order_line, member), flags }

static const struct field_spec line_fields[] = {
    LINE_FIELD("id", line_id, FIELD_REQUIRED | FIELD_ID),
    LINE_FIELD("product_id", product_id, FIELD_ID),
    LINE_FIELD("variant_id", variant_id, FIELD_ID),
    LINE_FIELD("sku", sku, 0),
    LINE_FIELD("title", title, 0),
    LINE_FIELD("variant_title", variant_title, 0),
    LINE_FIELD("price", price, FIELD_MONEY),
    LINE_FIELD("location_id", location_id, FIELD_ID),
};

/* The customer object is optional; its fields land in the order itself. */
static int order_read_customer(struct json_object *root, struct order *o, struct errbuf *err)
{
    struct json_object *customer = NULL;

    if (member_typed(root, "order", "customer", json_type_object, &customer, err) < 0)
        return -1;
    if (customer == NULL)
        return 0;
    return fields_read(customer, "customer", customer_fields, ARRAY_LEN(customer_fields), o,
                       err);
}

static int order_read_address(struct json_object *root, const char *key, bool *present,
                              struct order_address *addr, struct errbuf *err)
{
    struct json_object *obj = NULL;

    if (member_typed(root, "order", key, json_type_object, &obj, err) < 0)
        return -1;
    *present = obj != NULL;
    if (obj == NULL)
        return 0;
    return fields_read(obj, key, address_fields, ARRAY_LEN(address_fields), addr, err);
}

/* Only the first shipping line matters to the warehouse (carrier choice). */
static int order_read_shipping_line(struct json_object *root, struct order *o,
                                    struct errbuf *err)
{
    struct json_object *lines = NULL, *first;

    if (member_typed(root, "order", "shipping_lines", json_type_array, &lines, err) < 0)
        return -1;
    if (lines == NULL || json_object_array_length(lines) == 0)
        return 0;
    first = json_object_array_get_idx(lines, 0);
    if (!json_object_is_type(first, json_type_object)) {
        errbuf_set(err, "shipping_lines[0] is not an object");
        return -1;
    }
    return fields_read(first, "shipping_lines[0]", shipping_line_fields,
                       ARRAY_LEN(shipping_line_fields), o, err);
}

static int order_read_line(struct json_object *obj, size_t index, struct order_line *line,
                           struct errbuf *err)
{
    char where[48];

    snprintf(where, sizeof(where), "line_items[%zu]", index);
    line->fulfillable_quantity = -1;
    line->requires_shipping = true;
    if (!json_object_is_type(obj, json_type_object)) {
        errbuf_set(err, "%s is not an object", where);
        return -1;
    }
    if (fields_read(obj, where, line_fields, ARRAY_LEN(line_fields), line, err) < 0)
        return -1;
    if (field_read_count(obj, where, "quantity", true, &line->quantity, err) < 0)
        return -1;
    if (field_read_count(obj, where, "fulfillable_quantity", false,
                         &line->fulfillable_quantity, err) < 0)
        return -1;
    return field_read_bool(obj, where, "requires_shipping", &line->requires_shipping, err);
}

static int order_read_lines(struct json_object *root, struct order *o, struct errbuf *err)
{
    struct json_object *items = NULL;
    size_t i, n;

    if (member_typed(root, "order", "line_items", json_type_array, &items, err) < 0)
        return -1;
    if (items == NULL) {
        errbuf_set(err, "order lacks required field \"line_items\"");
        return -1;
    }
    n = json_object_array_length(items);
    o->lines = xcalloc(n, sizeof(*o->lines));
    for (i = 0; i < n; i++) {
        o->n_lines = i + 1; /* counts the partly read line so cleanup frees it */
        if (order_read_line(json_object_array_get_idx(items, i), i, &o->lines[i], err) < 0)
            return -1;
        for (size_t k = 0; k < i; k++) {
            if (strcmp(o->lines[k].line_id, o->lines[i].line_id) == 0) {
                errbuf_set(err, "line_items[%zu] and line_items[%zu] have the same id %.40s", k,
                           i, o->lines[i].line_id);
                return -1;
            }
        }
    }
    return 0;
}

static int order_read_times(struct order *o, struct errbuf *err)
{
    if (o->updated_at == NULL)
        return 0;
    if (order_parse_time_ms(o->updated_at, &o->updated_at_ms) < 0) {
        errbuf_set(err, "order field \"updated_at\" is not an ISO-8601 time with offset: "
                   "\"%.40s\"", o->updated_at);
        return -1;
    }
    return 0;
}

enum st order_parse_json(const char *json, size_t len, struct order *out, struct errbuf *err)
{
    struct json_object *root = NULL;
    enum st rc = ST_FAIL;

    memset(out, 0, sizeof(*out));
    out->updated_at_ms = -1;
    root = json_text_parse(json != NULL ? json : "", json != NULL ? len : 0, "order body", err);
    if (root == NULL)
        goto out;
    if (!json_object_is_type(root, json_type_object)) {
        errbuf_set(err, "order body is a JSON %s, not an object",
                   json_type_to_name(json_object_get_type(root)));
        goto out;
    }
    if (fields_read(root, "order", order_fields, ARRAY_LEN(order_fields), out, err) < 0 ||
        order_read_customer(root, out, err) < 0 ||
        order_read_address(root, "shipping_address", &out->has_shipping_address,
                           &out->shipping, err) < 0 ||
        order_read_address(root, "billing_address", &out->has_billing_address,
                           &out->billing, err) < 0 ||
        order_read_shipping_line(root, out, err) < 0 ||
        order_read_lines(root, out, err) < 0 || order_read_times(out, err) < 0)
        goto out;
    if (out->location_id == NULL && out->n_lines > 0)
        out->location_id = xstrdup(out->lines[0].location_id);
    rc = ST_OK;
out:
    json_object_put(root);
    if (rc != ST_OK)
        order_cleanup(out);
    return rc;
}

void order_cleanup(struct order *o)
{
    size_t i;

    if (o == NULL)
        return;
    for (i = 0; i < o->n_lines; i++)
        fields_free(line_fields, ARRAY_LEN(line_fields), &o->lines[i]);
    free(o->lines);
    fields_free(address_fields, ARRAY_LEN(address_fields), &o->shipping);
    fields_free(address_fields, ARRAY_LEN(address_fields), &o->billing);
    fields_free(order_fields, ARRAY_LEN(order_fields), o);
    fields_free(customer_fields, ARRAY_LEN(customer_fields), o);
    fields_free(shipping_line_fields, ARRAY_LEN(shipping_line_fields), o);
    memset(o, 0, sizeof(*o));
    o->updated_at_ms = -1;
}

/* ---- time --------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12). */
static int64_t order_days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                       /* [0, 399] */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;     /* [0, 365], March first */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;               /* [0, 146096] */
    return era * 146097 + doe - 719468;
}

static int order_days_in_month(int y, int m)
{
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return (m == 2 && leap) ? 29 : days[m - 1];
}

/* Exactly n decimal digits at *p; advances *p. */
static int order_read_digits(const char **p, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int order_expect_char(const char **p, char c)
{
    if (**p != c)
        return -1;
    (*p)++;
    return 0;
}

/* Optional fraction of a second: any number of digits, milliseconds kept. */
static int order_read_fraction(const char **p, int *ms)
{
    int scale = 100;

    *ms = 0;
    if (**p != '.' && **p != ',')
        return 0;
    (*p)++;
    if (!isdigit((unsigned char)**p))
        return -1;
    for (; isdigit((unsigned char)**p); (*p)++) {
        *ms += (**p - '0') * scale;
        scale /= 10;
    }
    return 0;
}

/* Z, or +HH:MM / +HHMM / +HH (and '-'); a missing zone is refused. */
static int order_read_zone(const char **p, int *offset_s)
{
    int sign, hh, mm = 0;

    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *offset_s = 0;
        return 0;
    }
    if (**p != '+' && **p != '-')
        return -1;
    sign = **p == '-' ? -1 : 1;
    (*p)++;
    if (order_read_digits(p, 2, &hh) < 0)
        return -1;
    if (**p == ':') {
        (*p)++;
        if (order_read_digits(p, 2, &mm) < 0)
            return -1;
    } else if (isdigit((unsigned char)**p) && order_read_digits(p, 2, &mm) < 0) {
        return -1;
    }
    if (hh > 23 || mm > 59)
        return -1;
    *offset_s = sign * (hh * 3600 + mm * 60);
    return 0;
}

int order_parse_time_ms(const char *iso, int64_t *out_ms)
{
    const char *p = iso;
    int y, mo, d, h, mi, s, ms, offset_s;
    int64_t secs;

    if (p == NULL || out_ms == NULL)
        return -1;
    if (order_read_digits(&p, 4, &y) < 0 || order_expect_char(&p, '-') < 0 ||
        order_read_digits(&p, 2, &mo) < 0 || order_expect_char(&p, '-') < 0 ||
        order_read_digits(&p, 2, &d) < 0)
        return -1;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return -1;
    p++;
    if (order_read_digits(&p, 2, &h) < 0 || order_expect_char(&p, ':') < 0 ||
        order_read_digits(&p, 2, &mi) < 0 || order_expect_char(&p, ':') < 0 ||
        order_read_digits(&p, 2, &s) < 0 || order_read_fraction(&p, &ms) < 0 ||
        order_read_zone(&p, &offset_s) < 0 || *p != '\0')
        return -1;
    /* s == 60 is a leap second (RFC 3339); it lands on the next second. */
    if (mo < 1 || mo > 12 || d < 1 || d > order_days_in_month(y, mo) || h > 23 || mi > 59 ||
        s > 60)
        return -1;
    secs = order_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_s;
    *out_ms = secs * 1000 + ms;
    return 0;
}

/* ---- money -------------------------------------------------------------- */

bool order_money_valid(const char *s)
{
    const char *p = s;
    const char *digits;

    if (p == NULL)
        return false;
    if (*p == '-')
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    for (digits = p; isdigit((unsigned char)*p); p++)
        ;
    if (p - digits > ORDER_MONEY_MAX_INT_DIGITS)
        return false;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        for (digits = p; isdigit((unsigned char)*p); p++)
            ;
        if (p - digits > 4)
            return false;
    }
    return *p == '\0';
}
