/*
 * log.h - one line per event on stderr, key=value (or JSON).
 *
 * Callers format "event=name key=value ..." pairs; values containing
 * spaces or quotes must go through log_quote. In JSON mode each pair
 * becomes a member. Never log a secret, a full address or a card.
 */
#ifndef SHOPVOX_LOG_H
#define SHOPVOX_LOG_H

#include <stddef.h>

#include "common.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets level ("debug".."error") and format ("text"|"json"); unknown keeps defaults. */
void log_configure(const char *level, const char *format);
int log_enabled(enum log_level level);

/* Writes one line: ts=... level=... then the formatted pairs. Thread-safe. */
void log_msg(enum log_level level, const char *fmt, ...) SV_PRINTF(2, 3);

/*
 * Quotes s for a key=value line into out (always NUL-terminated, truncated
 * to out_len): bare when it has no space, quote, '=' or control character,
 * else "..." with \" and \\ escapes and control characters as \xNN.
 */
const char *log_quote(const char *s, char *out, size_t out_len);

#endif
