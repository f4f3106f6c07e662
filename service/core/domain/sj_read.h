/*
 * sj_read.h - the field readers of SHOPLINE JSON (shopline_json.c), shared
 * by the domain's other SHOPLINE parsers (shopline_returns.c). Private to
 * service/core/domain/. Every reader treats null as absent and fails (-1,
 * err set, naming where and key) on a present value of the wrong type;
 * strings with a NUL inside are refused.
 */
#ifndef SHOPVOX_SJ_READ_H
#define SHOPVOX_SJ_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

struct json_object;

/* The member, or NULL when absent or null (borrowed). */
struct json_object *sj_get(struct json_object *obj, const char *key);
/* An id (string or non-negative integer) as owned text in *out; NULL when optional and absent. */
int sj_id(struct json_object *obj, const char *where, const char *key, bool required,
          char **out, struct errbuf *err);
/* Optional text, owned (NULL when absent or null). */
int sj_text(struct json_object *obj, const char *where, const char *key, char **out,
            struct errbuf *err);
/* A required integer in 0..ORDER_MAX_QUANTITY. */
int sj_count(struct json_object *obj, const char *where, const char *key, long *out,
             struct errbuf *err);
/* An array member (borrowed); absent or null is NULL when optional. */
int sj_array(struct json_object *obj, const char *where, const char *key, bool required,
             struct json_object **out, struct errbuf *err);
/* Element i of arr when it is an object (borrowed); NULL with err set else. */
struct json_object *sj_object_at(struct json_object *arr, size_t i, const char *where,
                                 struct errbuf *err);

#endif
