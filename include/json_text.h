/*
 * json_text.h - strict JSON parsing that keeps big integer ids exact.
 *
 * Shopline ids are ~26 digits. json-c 0.16 parses such a bare number as an
 * integer and saturates it to UINT64_MAX before anyone can ask for its
 * digits, so every parser of Shopline JSON (webhook bodies, Admin API
 * replies) goes through json_text_parse: integer literals of more than 18
 * digits become JSON strings with exactly the same digits first. Pure
 * (json-c only); used by order.c and shopline_json.c.
 */
#ifndef SHOPVOX_JSON_TEXT_H
#define SHOPVOX_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

struct json_object;

/*
 * Parses len bytes of json (strict, valid UTF-8, one value and nothing
 * after it) with every integer literal of more than 18 digits turned into
 * a string of the same digits. Returns the root (owned: json_object_put),
 * or NULL with err set ("<what> is not JSON: ...", "<what> is a JSON null").
 */
struct json_object *json_text_parse(const char *json, size_t len, const char *what,
                                    struct errbuf *err);

/*
 * Whether s is a decimal id json_text_parse keeps exactly: 1..40 digits,
 * no sign, no leading zero (so it can be written into JSON text as a number).
 */
bool json_text_is_id(const char *s);

/*
 * A skim, not a parse: the value of member key of the top-level object of
 * json (len bytes), when it is a number (its literal) or a string without
 * escapes (its contents), into out (n bytes); the last one when the key
 * repeats. False when json does not start as an object, the member is
 * absent, of another type or too long, or the skim gets lost (nothing is
 * validated beyond what it reads: a body it accepts may still be invalid
 * JSON). Allocates nothing; for keying a delivery cheaply before it is
 * parsed (the pending inbox's order key).
 */
bool json_top_member(const char *json, size_t len, const char *key, char *out, size_t n);

#endif
