/*
 * cli_int.h - private contract between the cli_*.c files.
 *
 * cli.c owns everything shared: dispatch, configuration, the database
 * connection, argument parsing, turning result rows into JSON and printing
 * JSON or aligned text. Each command builds one json_object describing its
 * result; --json prints it as is and the human form is rendered from the
 * same object, so the two outputs cannot disagree. Command files hold only
 * their wording: every statement is a store module's (order_store,
 * exceptions, jobs, routing_store, catalogue_store, carrier_store), whose report readers
 * return rows this file renders. Nothing here is used outside the CLI.
 */
#ifndef SHOPVOX_CLI_INT_H
#define SHOPVOX_CLI_INT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "admin_actions.h"
#include "cli.h"
#include "common.h"
#include "buf.h"
#include "config.h"
#include "store.h"

#define CLI_MAX_POS 4
#define CLI_MAX_OPTS 4

/* The subcommand's words as getopt_long split them (cli_main parses; commands read). */
struct cli_words {
    const char *opt_names[CLI_MAX_OPTS];   /* the subcommand's options, from the table */
    const char *opt_values[CLI_MAX_OPTS];  /* borrowed from argv; NULL when absent */
    size_t n_opts;
    char **pos;                            /* positionals, in order (borrowed) */
    int n_pos;
};

/* One invocation: owned by cli_main, borrowed by the commands. */
struct cli {
    const char *cmd;          /* "exceptions", "sku", ... */
    const char *sub;          /* "list", "show", ... */
    const char *synopsis;     /* the subcommand's arguments, for usage lines */
    bool json;
    bool html;                /* --html (report daily only) */
    struct cfg cfg;
    const char *shop;         /* cfg.shop_domain */
    const char *user;         /* $USER, or "cli" */
    struct store_conn *db;    /* NULL until cli_connect */
    struct cli_words words;   /* parsed before the configuration is read */
    struct buf errors;        /* with --json: the error messages, printed once at the end */
};

/* An option that takes a value ("--state open" or "--state=open"). */
struct cli_opt {
    const char *name;         /* without the dashes: "state" */
    const char *value;        /* borrowed from argv; NULL when absent */
};

struct cli_args {
    const char *pos[CLI_MAX_POS];
    int n_pos;
};

/*
 * Fills opts (named as in the command table) from the parsed words and
 * checks there are between min_pos and max_pos positionals. Prints the
 * problem and returns -1 otherwise (an exit of CLI_EXIT_USAGE).
 */
int cli_parse(struct cli *x, struct cli_opt *opts, size_t n_opts, int min_pos, int max_pos,
              struct cli_args *out);

/* Parses a positive decimal id; -1 when s is not one. */
long long cli_parse_id(const char *s);

/*
 * Prints "shopvox CMD SUB: <message>" on stderr; with --json the message is
 * kept instead, and cli_main prints {"error": ..., "code": N} on stdout.
 */
void cli_error(const struct cli *x, const char *fmt, ...) SV_PRINTF(2, 3);
/* Prints "shopvox CMD SUB: warning: <message>" on stderr. */
void cli_warn(const struct cli *x, const char *fmt, ...) SV_PRINTF(2, 3);

/*
 * Checks the answer of a store reader (order_store_report, exc_report_list,
 * ...): res as is, or NULL after printing "could not <what>: <err>" when
 * the reader failed (res NULL). The result is the caller's (PQclear).
 */
PGresult *cli_checked(struct cli *x, const char *what, PGresult *res, const struct errbuf *err);
/*
 * Takes a store reader's answer of at most one row (and PQclears it):
 * CLI_EXIT_OK with *row (owned) set, CLI_EXIT_NOT_FOUND (nothing printed:
 * the caller words it) or CLI_EXIT_ERROR (printed).
 */
int cli_one_row(struct cli *x, const char *what, PGresult *res, const struct errbuf *err,
                struct json_object **row);
/* BEGIN / COMMIT; 0 or -1 (printed). cli_rollback ignores errors. */
int cli_begin(struct cli *x);
int cli_commit(struct cli *x);
void cli_rollback(struct cli *x);

/* Row `row` as an object keyed by column name: integers and booleans typed,
 * json/jsonb parsed, numerics and everything else as strings, NULL as null. */
struct json_object *cli_row_json(const PGresult *r, int row);
/* Every row, as an array of cli_row_json objects. */
struct json_object *cli_rows_json(const PGresult *r);

/* Shorthands over json-c (NULL-safe getters return "" / -1 / false). */
const char *cli_jstr(struct json_object *o, const char *key);
long long cli_jint(struct json_object *o, const char *key);
void cli_jset_str(struct json_object *o, const char *key, const char *value); /* NULL -> null */
void cli_jset_int(struct json_object *o, const char *key, long long value);

/* A column of a text table or a line of a field list. */
struct cli_col {
    const char *key;          /* member of the row object */
    const char *title;        /* header or label */
    int max_width;            /* longer values are cut with "..."; 0 = no limit */
};

/* Prints rows (an array of objects) as an aligned table, indented by indent. */
void cli_print_table(struct json_object *rows, const struct cli_col *cols, size_t n, int indent);
/* Prints "Label:  value" lines for the members of o, labels aligned. */
void cli_print_fields(struct json_object *o, const struct cli_col *cols, size_t n, int indent);
/* Prints o as pretty JSON on stdout. */
void cli_print_json(struct json_object *o);
/* Prints o as a value for humans: strings raw, null as "-", control characters as spaces. */
void cli_print_value(struct json_object *o);

/*
 * Connects to the database and checks the schema is current; returns
 * CLI_EXIT_OK or the exit code to return. Commands call it after their
 * arguments parsed, so usage errors never need a database.
 */
int cli_connect(struct cli *x);

/* What cli_job_run_now did. */
struct cli_job_outcome {
    long long job_id;
    bool created;             /* a new job was enqueued */
    bool running;             /* a live job is running: left alone */
    char prior_state[16];     /* state of the live job found ("" when created) */
};

/*
 * Enqueues job (kind, dedupe_key) for this shop; when a live job with that
 * key exists, a dead or pending one is put back to run now (job_retry) and
 * a running one is left alone. Runs in the caller's transaction. Returns 0
 * or -1 (printed).
 */
int cli_job_run_now(struct cli *x, const char *kind, const char *dedupe_key,
                    const char *payload_json, struct cli_job_outcome *out);

/*
 * Writes the audit row of a change this command just made (audit_store.h;
 * actor "cli:$USER"): before/after are the command's own JSON (borrowed,
 * may be NULL). A failure is a warning: the change stands.
 */
void cli_audit(struct cli *x, const char *action, const char *kind, const char *id,
               struct json_object *before, struct json_object *after);

/*
 * A settings change of admin_actions.h: cli_admin_actor fills who (actor
 * "cli:$USER" in actor, cap bytes); the command runs the action between
 * cli_begin and cli_admin_end, which commits on ST_OK and otherwise rolls
 * back and prints err (refusal is read after the action ran: a pointer, so
 * it may be passed in the same call as the action). An exit code: refusals INVALID 2, NOT_FOUND 3,
 * CONFLICT and failures 1.
 */
struct admin_actor cli_admin_actor(struct cli *x, char *actor, size_t cap);
int cli_admin_end(struct cli *x, enum st st, const enum admin_refusal *refusal,
                  const struct errbuf *err);

/* cli_parse then cli_connect: an exit code. */
int cli_start(struct cli *x, struct cli_opt *opts, size_t n_opts,
              int min_pos, int max_pos, struct cli_args *out);

/* The commands (their words are in x->words); each returns an exit code. */
int cli_exceptions_list(struct cli *x);
int cli_exceptions_show(struct cli *x);
int cli_exceptions_retry(struct cli *x);
int cli_exceptions_resolve(struct cli *x);
int cli_sku_map(struct cli *x);
int cli_sku_list(struct cli *x);
int cli_sku_unmap(struct cli *x);
int cli_catalogue_sync(struct cli *x);
int cli_order_show(struct cli *x);
int cli_routing_list(struct cli *x);
int cli_routing_set(struct cli *x);
int cli_carriers_set(struct cli *x);
int cli_carriers_list(struct cli *x);
int cli_carriers_delete(struct cli *x);
int cli_schedules(struct cli *x);
int cli_reconcile_inventory(struct cli *x);
int cli_report_inventory(struct cli *x);
int cli_reconcile_orders(struct cli *x);
int cli_webhooks_list(struct cli *x);
int cli_webhooks_ensure(struct cli *x);
int cli_reconcile_warehouse(struct cli *x);
int cli_reconcile_despatches(struct cli *x);
int cli_report_reconcile(struct cli *x);
int cli_audit_list(struct cli *x);
int cli_returns_list(struct cli *x);
int cli_returns_show(struct cli *x);
int cli_returns_authorise(struct cli *x);
int cli_returns_reject(struct cli *x);
int cli_report_daily(struct cli *x);

#endif
