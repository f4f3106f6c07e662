/*
 * ts_config_env.h - a fake environment for the configuration loader's unit
 * tests: cfg_load takes a getenv callback, so every case is a small
 * name=value table, an override table searched first (a NULL value means
 * "unset") over a base table holding the required variables.
 */
#ifndef TS_CONFIG_ENV_H
#define TS_CONFIG_ENV_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "config.h"

struct env_var {
    const char *name;
    const char *value; /* NULL in an override: the variable is unset */
};

/* Exactly the variables marked required, in table order. */
extern const struct env_var required_env[];

/* Loads with base under over; errors is initialised here. */
int load_with(struct cfg *c, const struct env_var *base, const struct env_var *over,
              bool require_all, struct buf *errors);

/* load_with(required_env, over, require_all true). */
int load(struct cfg *c, const struct env_var *over, struct buf *errors);

/* cfg_print into a malloc'd string. */
char *print_config(const struct cfg *c);

int count_lines(const char *s);

/* Creates a temporary file holding content; its name goes to path. */
const char *temp_file_with(const char *content, char *path, size_t cap);

#endif
