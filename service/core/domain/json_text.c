/*
 * json_text.c - strict JSON parsing that keeps big integer ids exact (see json_text.h).
 *
 * json-c 0.16 parses a bare 26-digit number as an integer and silently
 * saturates it to 18446744073709551615: the digits are gone before we can
 * ask for them, and no tokener flag changes that. So before parsing, a
 * small scanner that knows JSON strings rewrites every integer literal of
 * more than 18 digits into a JSON string with exactly the same digits
 * (json_text_quote_big_integers). Integers of up to 18 digits always fit in
 * int64, and json-c prints those back exactly. Doubles keep their source
 * text in json-c. A huge integer where a count belongs becomes a string
 * too, and the reader that wants an integer rejects it, as it deserves.
 */
#include "json_text.h"

#include <limits.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"

/* Integers with more digits than this may not fit int64 (9223372036854775807). */
#define JSON_TEXT_MAX_INT_DIGITS 18

static bool json_text_is_number_char(char c)
{
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

static bool json_text_is_big_integer(const char *tok, size_t n)
{
    size_t i = (n > 0 && tok[0] == '-') ? 1 : 0;
    size_t digits = n - i;

    if (digits <= JSON_TEXT_MAX_INT_DIGITS || tok[i] == '0') /* leading zeros stay invalid */
        return false;
    for (; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9')
            return false;
    }
    return true;
}

#define JSON_TEXT_MAX_NESTING 64

/*
 * True when a value may start here: after ':' in an object, or after '['
 * or ',' in an array. A bare number anywhere else (an object key, after a
 * value) is invalid JSON and is left for json-c to reject.
 */
static bool json_text_value_position(char prev, const char *stack, int depth)
{
    if (prev == ':')
        return true;
    return depth > 0 && depth <= JSON_TEXT_MAX_NESTING && stack[depth - 1] == '[' &&
           (prev == '[' || prev == ',');
}

/* Tracks containers and the last significant character outside strings. */
static void json_text_track(char c, char *stack, int *depth, char *prev)
{
    if (c == '{' || c == '[') {
        if (*depth < JSON_TEXT_MAX_NESTING)
            stack[*depth] = c;
        (*depth)++;
    } else if ((c == '}' || c == ']') && *depth > 0) {
        (*depth)--;
    }
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
        *prev = c;
}

/*
 * Copies json into out, turning integer literals too big for json-c into
 * strings. Outside strings, a '-' or digit can only start a number (the
 * only other bare words are true/false/null), so no full parse is needed;
 * only numbers in value position are rewritten, so invalid JSON stays invalid.
 */
static void json_text_quote_big_integers(const char *json, size_t len, struct buf *out)
{
    bool in_string = false, escaped = false;
    char stack[JSON_TEXT_MAX_NESTING];
    int depth = 0;
    char prev = '\0';
    size_t i = 0;

    while (i < len) {
        char c = json[i];
        size_t end = i + 1;

        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
        } else if (c == '"') {
            in_string = true;
            prev = c;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            while (end < len && json_text_is_number_char(json[end]))
                end++;
            if (json_text_value_position(prev, stack, depth) &&
                json_text_is_big_integer(json + i, end - i)) {
                buf_append(out, "\"", 1);
                buf_append(out, json + i, end - i);
                buf_append(out, "\"", 1);
                prev = '"';
                i = end;
                continue;
            }
            prev = c;
        } else {
            json_text_track(c, stack, &depth, &prev);
        }
        buf_append(out, json + i, end - i);
        i = end;
    }
}

/*
 * The root value, or NULL with err set. The terminating NUL of text is fed
 * to the tokener so a lone top-level scalar ends cleanly; every byte before
 * it must then belong to the JSON value (an embedded NUL ends parsing early
 * and is caught by the parse-end check).
 */
struct json_object *json_text_parse(const char *json, size_t len, const char *what,
                                    struct errbuf *err)
{
    struct json_tokener *tok = NULL;
    struct json_object *root = NULL;
    enum json_tokener_error jerr;
    struct buf text;
    bool ok = false;

    buf_init(&text, 0);
    if (len >= INT_MAX / 2) { /* the rewrite may grow it; the caller caps far lower */
        errbuf_set(err, "%s too large: %zu bytes", what, len);
        goto out;
    }
    json_text_quote_big_integers(json, len, &text);
    tok = json_tokener_new();
    if (tok == NULL) {
        errbuf_set(err, "could not allocate a json tokener");
        goto out;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    root = json_tokener_parse_ex(tok, buf_cstr(&text), (int)text.len + 1);
    jerr = json_tokener_get_error(tok);
    if (jerr != json_tokener_success)
        errbuf_set(err, "%s is not JSON: %s", what,
                   json_tokener_error_desc(jerr));
    else if (json_tokener_get_parse_end(tok) != text.len)
        errbuf_set(err, "%s is not JSON: data after the value", what);
    else if (root == NULL)
        errbuf_set(err, "%s is a JSON null, not an object", what);
    else
        ok = true;
out:
    if (!ok) {
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    buf_cleanup(&text);
    return root;
}

bool json_text_is_id(const char *s)
{
    size_t n = 0;

    if (s == NULL || s[0] == '0')
        return false;
    for (; s[n] != '\0'; n++) {
        if (s[n] < '0' || s[n] > '9')
            return false;
    }
    return n >= 1 && n <= 40;
}

/* ---- json_top_member: a skim, not a parse ---- */

static bool is_ws(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static size_t skip_ws(const char *j, size_t i, size_t len)
{
    while (i < len && is_ws(j[i]))
        i++;
    return i;
}

/*
 * j[i] is '"': the index after the closing quote, 0 when the string does
 * not end; *escaped when it holds a backslash.
 */
static size_t skip_string(const char *j, size_t i, size_t len, bool *escaped)
{
    *escaped = false;
    for (i++; i < len; i++) {
        if (j[i] == '\\') {
            *escaped = true;
            i++;
        } else if (j[i] == '"') {
            return i + 1;
        }
    }
    return 0;
}

/* The index after the value starting at j[i]; 0 when it does not end. */
static size_t skip_value(const char *j, size_t i, size_t len)
{
    int depth = 0;
    bool escaped;

    while (i < len) {
        char ch = j[i];

        if (ch == '"') {
            i = skip_string(j, i, len, &escaped);
            if (i == 0 || depth == 0)
                return i;
        } else if (ch == '{' || ch == '[') {
            depth++;
            i++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 0) /* the end of the object holding a scalar */
                return i;
            i++;
            if (--depth == 0)
                return i;
        } else if (depth == 0 && (ch == ',' || is_ws(ch))) {
            return i;
        } else {
            i++;
        }
    }
    return depth == 0 ? len : 0;
}

/* The scalar j[from..to) (a string without escapes: its contents) into out. */
static bool copy_scalar(const char *j, size_t from, size_t to, char *out, size_t n)
{
    bool quoted = j[from] == '"';

    if (quoted) {
        from++;
        to--;
    } else if (j[from] != '-' && (j[from] < '0' || j[from] > '9')) {
        return false; /* true, false, null, an object, an array */
    }
    if (to <= from || to - from >= n)
        return false;
    for (size_t k = from; k < to; k++) {
        if ((unsigned char)j[k] < 0x20)
            return false;
    }
    memcpy(out, j + from, to - from);
    out[to - from] = '\0';
    return true;
}

bool json_top_member(const char *json, size_t len, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key), i = skip_ws(json, 0, len);
    bool found = false;

    if (n == 0 || i >= len || json[i] != '{')
        return false;
    out[0] = '\0';
    for (i = skip_ws(json, i + 1, len); i < len && json[i] == '"';) {
        bool key_escaped, value_escaped = false;
        size_t k1 = skip_string(json, i, len, &key_escaped), v, end;
        bool match = k1 != 0 && !key_escaped && k1 - i - 2 == klen &&
                     memcmp(json + i + 1, key, klen) == 0;

        if (k1 == 0)
            return false;
        i = skip_ws(json, k1, len);
        if (i >= len || json[i] != ':')
            return false;
        v = skip_ws(json, i + 1, len);
        if (v >= len)
            return false;
        end = json[v] == '"' ? skip_string(json, v, len, &value_escaped)
                             : skip_value(json, v, len);
        if (end == 0 || end == v)
            return false;
        if (match) { /* the last of repeated keys wins, as in a parser */
            found = !value_escaped && copy_scalar(json, v, end, out, n);
            if (!found)
                out[0] = '\0';
        }
        i = skip_ws(json, end, len);
        if (i < len && json[i] == '}')
            return found;
        if (i >= len || json[i] != ',')
            return false;
        i = skip_ws(json, i + 1, len);
    }
    return false;
}
