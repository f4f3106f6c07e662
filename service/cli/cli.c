/*
 * cli.c - operator command dispatch and the helpers every command shares
 * (see cli.h for the commands, cli_int.h for the split).
 *
 * A command runs in three steps: parse its arguments (usage errors need no
 * database), connect and check the schema, then run its SQL and describe
 * the result as one json_object that is printed either as JSON or as
 * aligned text. Values that came from outside (SKUs, details, titles) are
 * printed with control characters blanked, so a hostile SKU cannot move
 * the operator's cursor or forge output lines.
 */
#include "cli_int.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit_store.h"
#include "buf.h"
#include "jobs.h"
#include "log.h"
#include "store_json.h"

struct cli_command {
    const char *cmd;
    const char *sub;                     /* "": a command without subcommands */
    const char *synopsis;
    const char *options[CLI_MAX_OPTS];   /* long options taking a value; NULL-ended */
    int (*run)(struct cli *x);
};

static const struct cli_command cli_commands[] = {
    {"exceptions", "list", "[--state open|resolved|all] [--type TYPE] [--limit N]",
     {"state", "type", "limit", NULL}, cli_exceptions_list},
    {"exceptions", "show", "ID", {NULL}, cli_exceptions_show},
    {"exceptions", "retry", "ID", {NULL}, cli_exceptions_retry},
    {"exceptions", "resolve", "ID [--note TEXT]", {"note", NULL}, cli_exceptions_resolve},
    {"sku", "map", "SHOPLINE_SKU ITEM_CODE", {NULL}, cli_sku_map},
    {"sku", "list", "", {NULL}, cli_sku_list},
    {"sku", "unmap", "SHOPLINE_SKU", {NULL}, cli_sku_unmap},
    {"order", "show", "NAME|SHOPLINE_ORDER_ID", {NULL}, cli_order_show},
    {"routing", "list", "", {NULL}, cli_routing_list},
    {"routing", "set", "'RULES'", {NULL}, cli_routing_set},
    {"catalogue", "sync", "", {NULL}, cli_catalogue_sync},
    {"carriers", "set", "CARRIER[/SERVICE] --company NAME [--url TEMPLATE]", {"company", "url",
     NULL}, cli_carriers_set},
    {"carriers", "list", "", {NULL}, cli_carriers_list},
    {"carriers", "delete", "CARRIER[/SERVICE]", {NULL}, cli_carriers_delete},
    {"schedules", "", "", {NULL}, cli_schedules},
    {"reconcile", "inventory", "[--wait SECONDS]", {"wait", NULL}, cli_reconcile_inventory},
    {"report", "inventory", "", {NULL}, cli_report_inventory},
    {"reconcile", "orders", "[--since ISO8601] [--wait SECONDS]", {"since", "wait", NULL},
     cli_reconcile_orders},
    {"webhooks", "list", "", {NULL}, cli_webhooks_list},
    {"webhooks", "ensure", "", {NULL}, cli_webhooks_ensure},
    {"reconcile", "warehouse", "[--days N] [--wait SECONDS]", {"days", "wait", NULL},
     cli_reconcile_warehouse},
    {"reconcile", "despatches", "[--days N] [--wait SECONDS]", {"days", "wait", NULL},
     cli_reconcile_despatches},
    {"report", "reconcile", "", {NULL}, cli_report_reconcile},
    {"audit", "list", "[--since ISO8601] [--limit N]", {"since", "limit", NULL}, cli_audit_list},
    {"returns", "list", "[--state STATE]", {"state", NULL}, cli_returns_list},
    {"returns", "show", "ID", {NULL}, cli_returns_show},
    {"returns", "authorise", "ID [--by NAME]", {"by", NULL}, cli_returns_authorise},
    {"returns", "reject", "ID [--by NAME] [--reason TEXT]", {"by", "reason", NULL},
     cli_returns_reject},
    {"report", "daily", "[--date YYYY-MM-DD] [--html]", {"date", NULL}, cli_report_daily},
};

bool cli_is_command(const char *cmd)
{
    for (size_t i = 0; cmd != NULL && i < ARRAY_LEN(cli_commands); i++)
        if (strcmp(cli_commands[i].cmd, cmd) == 0)
            return true;
    return false;
}

/* "shopvox CMD[ SUB][ SYNOPSIS] [--json]" (owned): a command's usage line. */
static char *usage_text(const char *cmd, const char *sub, const char *synopsis)
{
    return xasprintf("shopvox %s%s%s%s%s [--json]", cmd, sub[0] ? " " : "", sub,
                     synopsis[0] ? " " : "", synopsis);
}

static void usage_lines(FILE *out, const char *only_cmd)
{
    for (size_t i = 0; i < ARRAY_LEN(cli_commands); i++) {
        const struct cli_command *c = &cli_commands[i];

        if (only_cmd == NULL || strcmp(c->cmd, only_cmd) == 0) {
            char *usage = usage_text(c->cmd, c->sub, c->synopsis);

            fprintf(out, "  %s\n", usage);
            free(usage);
        }
    }
}

void cli_usage(FILE *out)
{
    fputs("operator commands (exit 0 ok, 1 error, 2 usage or configuration, 3 not found):\n",
          out);
    usage_lines(out, NULL);
}

static const struct cli_command *command_find(const char *cmd, const char *sub)
{
    for (size_t i = 0; i < ARRAY_LEN(cli_commands); i++)
        if (strcmp(cli_commands[i].cmd, cmd) == 0 && strcmp(cli_commands[i].sub, sub) == 0)
            return &cli_commands[i];
    return NULL;
}

/* ---- messages ---- */

static void vmessage(const struct cli *x, const char *kind, const char *fmt, va_list ap)
    SV_PRINTF(3, 0);
static void vmessage(const struct cli *x, const char *kind, const char *fmt, va_list ap)
{
    fprintf(stderr, "shopvox %s%s%s: %s", x->cmd, x->sub && x->sub[0] ? " " : "",
            x->sub ? x->sub : "", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const struct cli *x, const char *fmt, ...)
{
    struct buf *errors = (struct buf *)(uintptr_t)&x->errors;   /* kept, not printed */
    va_list ap;

    va_start(ap, fmt);
    if (x->json) {
        if (errors->len > 0)
            buf_append_str(errors, "; ");
        buf_vappendf(errors, fmt, ap);
    } else {
        vmessage(x, "", fmt, ap);
    }
    va_end(ap);
}

/* With --json, a failed command's answer: {"error": "...", "code": N} on stdout. */
static void print_json_error(struct cli *x, int code)
{
    struct json_object *o = json_object_new_object();

    cli_jset_str(o, "error", x->errors.len > 0 ? buf_cstr(&x->errors) : "failed");
    cli_jset_int(o, "code", code);
    if (code == CLI_EXIT_USAGE && x->sub != NULL) {
        char *usage = usage_text(x->cmd, x->sub, x->synopsis);

        cli_jset_str(o, "usage", usage);
        free(usage);
    }
    cli_print_json(o);
    json_object_put(o);
}

void cli_warn(const struct cli *x, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(x, "warning: ", fmt, ap);
    va_end(ap);
}

/* ---- arguments ---- */

/* "usage: <the subcommand's usage line>" on out. */
static void print_usage_line(const struct cli *x, FILE *out)
{
    char *usage = usage_text(x->cmd, x->sub, x->synopsis);

    fprintf(out, "usage: %s\n", usage);
    free(usage);
}

static int parse_usage(struct cli *x)
{
    if (!x->json)
        print_usage_line(x, stderr);
    return -1;
}

int cli_parse(struct cli *x, struct cli_opt *opts, size_t n_opts, int min_pos, int max_pos,
              struct cli_args *out)
{
    const struct cli_words *w = &x->words;

    for (size_t k = 0; k < n_opts; k++)
        for (size_t i = 0; i < w->n_opts; i++)
            if (strcmp(opts[k].name, w->opt_names[i]) == 0)
                opts[k].value = w->opt_values[i];
    out->n_pos = 0;
    if (w->n_pos > max_pos) {
        cli_error(x, "unexpected argument '%s'", w->pos[max_pos]);
        return parse_usage(x);
    }
    if (w->n_pos < min_pos) {
        cli_error(x, "missing argument");
        return parse_usage(x);
    }
    for (int i = 0; i < w->n_pos && i < CLI_MAX_POS; i++)
        out->pos[out->n_pos++] = w->pos[i];
    return 0;
}

long long cli_parse_id(const char *s)
{
    char *end = NULL;
    long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    v = strtoll(s, &end, 10);
    return *end == '\0' && v > 0 && v < (1LL << 53) ? v : -1;
}

/* ---- configuration and database ---- */

static int load_config(struct cli *x)
{
    struct buf errors;
    int problems;
    const char *user = getenv("USER");

    buf_init(&errors, 0);
    problems = cfg_load(&x->cfg, NULL, NULL, false, &errors);
    x->shop = x->cfg.shop_domain;
    x->user = user != NULL && user[0] != '\0' ? user : "cli";
    log_configure(x->cfg.log_level, x->cfg.log_format);
    if (problems > 0)
        cli_error(x, "%d configuration problem%s:\n%s", problems, problems == 1 ? "" : "s",
                  buf_cstr(&errors));
    buf_cleanup(&errors);
    if (problems == 0 && x->cfg.database_url[0] == '\0') {
        cli_error(x, "SHOPVOX_DATABASE_URL is required");
        problems++;
    }
    if (problems == 0 && x->shop[0] == '\0') {
        cli_error(x, "SHOPLINE_SHOP_DOMAIN is required");
        problems++;
    }
    return problems == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

int cli_connect(struct cli *x)
{
    struct schema_status ss;
    struct errbuf err = {""};

    x->db = store_conn_create(x->cfg.database_url);
    if (store_schema_status(x->db, x->cfg.sql_dir, &ss, &err) != ST_OK) {
        cli_error(x, "%s", err.msg);
        return CLI_EXIT_ERROR;
    }
    if (ss.pending > 0) {
        cli_error(x, "database schema is at version %d, this binary needs %d: run shopvox migrate",
                  ss.db_version, ss.code_version);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

PGresult *cli_checked(struct cli *x, const char *what, PGresult *res, const struct errbuf *err)
{
    if (res == NULL)
        cli_error(x, "could not %s: %s", what, err->msg);
    return res;
}

int cli_one_row(struct cli *x, const char *what, PGresult *res, const struct errbuf *err,
                struct json_object **row)
{
    int rc = CLI_EXIT_NOT_FOUND;

    *row = NULL;
    if (cli_checked(x, what, res, err) == NULL)
        return CLI_EXIT_ERROR;
    if (PQntuples(res) > 0) {
        *row = cli_row_json(res, 0);
        rc = CLI_EXIT_OK;
    }
    PQclear(res);
    return rc;
}

int cli_start(struct cli *x, struct cli_opt *opts, size_t n_opts,
              int min_pos, int max_pos, struct cli_args *out)
{
    if (cli_parse(x, opts, n_opts, min_pos, max_pos, out) < 0)
        return CLI_EXIT_USAGE;
    return cli_connect(x);
}

static int command(struct cli *x, const char *sql)
{
    struct errbuf err = {""};

    if (store_cmd(x->db, sql, &err) == ST_OK)
        return 0;
    cli_error(x, "could not run %s: %s", sql, err.msg);
    return -1;
}

int cli_begin(struct cli *x)
{
    return command(x, "BEGIN");
}

int cli_commit(struct cli *x)
{
    return command(x, "COMMIT");
}

void cli_rollback(struct cli *x)
{
    store_rollback(x->db);
}

int cli_job_run_now(struct cli *x, const char *kind, const char *dedupe_key,
                    const char *payload_json, struct cli_job_outcome *out)
{
    struct errbuf err = {""};
    struct job_run_outcome o;

    if (job_run_now(x->db, x->shop, kind, dedupe_key, payload_json, &o, &err) != ST_OK) {
        cli_error(x, "could not run %s job %s now: %s", kind, dedupe_key, err.msg);
        return -1;
    }
    out->job_id = o.job_id;
    out->created = o.created;
    out->running = o.running;
    snprintf(out->prior_state, sizeof(out->prior_state), "%s", o.prior_state);
    return 0;
}

/* ---- the audit log ---- */

void cli_audit(struct cli *x, const char *action, const char *kind, const char *id,
               struct json_object *before, struct json_object *after)
{
    char actor[128];
    struct errbuf err = {""};
    struct audit_entry e = {x->shop, actor, action, kind, id,
                            before ? json_object_to_json_string_ext(before, JSON_C_TO_STRING_PLAIN)
                                   : NULL,
                            after ? json_object_to_json_string_ext(after, JSON_C_TO_STRING_PLAIN)
                                  : NULL,
                            NULL};

    audit_cli_actor(x->user, actor, sizeof(actor));
    if (audit_record(x->db, &e, &err) != ST_OK)
        cli_warn(x, "the change is made, but its audit row could not be written: %s", err.msg);
}

struct admin_actor cli_admin_actor(struct cli *x, char *actor, size_t cap)
{
    struct admin_actor who = {x->shop, actor, x->user};

    audit_cli_actor(x->user, actor, cap);
    return who;
}

int cli_admin_end(struct cli *x, enum st st, const enum admin_refusal *refusal_of,
                  const struct errbuf *err)
{
    enum admin_refusal refusal = *refusal_of;

    if (st == ST_OK)
        return cli_commit(x) == 0 ? CLI_EXIT_OK : CLI_EXIT_ERROR;
    cli_rollback(x);
    if (refusal == ADMIN_REFUSED_NONE)
        cli_error(x, "could not save the change: %s", err->msg);
    else
        cli_error(x, "%s", err->msg);
    return refusal == ADMIN_REFUSED_INVALID     ? CLI_EXIT_USAGE
           : refusal == ADMIN_REFUSED_NOT_FOUND ? CLI_EXIT_NOT_FOUND
                                                : CLI_EXIT_ERROR;
}

/* ---- JSON ---- */

struct json_object *cli_row_json(const PGresult *r, int row)
{
    return store_row_json(r, row);
}

struct json_object *cli_rows_json(const PGresult *r)
{
    return store_rows_json(r, -1);
}

const char *cli_jstr(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
        return "";
    return json_object_get_string(v);
}

long long cli_jint(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
        return -1;
    return (long long)json_object_get_int64(v);
}

void cli_jset_str(struct json_object *o, const char *key, const char *value)
{
    json_object_object_add(o, key, value != NULL ? json_object_new_string(value) : NULL);
}

void cli_jset_int(struct json_object *o, const char *key, long long value)
{
    json_object_object_add(o, key, json_object_new_int64(value));
}

void cli_print_json(struct json_object *o)
{
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
                                               JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- text ---- */

/* A value as one line of text (owned): null "-", C0/C1 control characters blanked. */
static char *value_text(struct json_object *v)
{
    char *s;

    if (v == NULL)
        return xstrdup("-");
    if (json_object_is_type(v, json_type_string))
        s = xstrdup(json_object_get_string(v));
    else
        s = xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
    for (unsigned char *p = (unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            *p = ' ';
        else if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) /* C1 controls (CSI...) */
            p[0] = p[1] = ' ';
    }
    return s;
}

/* Width in characters (UTF-8 code points; one column each is good enough). */
static int text_width(const char *s)
{
    int n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Byte length of the first `chars` characters of s. */
static size_t text_prefix_bytes(const char *s, int chars)
{
    size_t i = 0;

    for (int n = 0; s[i] != '\0'; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && n++ == chars)
            break;
    }
    return i;
}

/* Prints s cut to max_width (0 = no cut), padded with spaces to pad_to. */
static void put_cell(const char *s, int max_width, int pad_to)
{
    int w = text_width(s);

    if (max_width > 3 && w > max_width) {
        fwrite(s, 1, text_prefix_bytes(s, max_width - 3), stdout);
        fputs("...", stdout);
        w = max_width;
    } else {
        fputs(s, stdout);
    }
    for (; w < pad_to; w++)
        putchar(' ');
}

static struct json_object *member(struct json_object *o, const char *key)
{
    struct json_object *v = NULL;

    json_object_object_get_ex(o, key, &v);
    return v;
}

static int cell_width(struct json_object *v, int max_width)
{
    char *s = value_text(v);
    int w = text_width(s);

    free(s);
    return max_width > 3 && w > max_width ? max_width : w;
}

void cli_print_table(struct json_object *rows, const struct cli_col *cols, size_t n, int indent)
{
    size_t n_rows = json_object_array_length(rows);
    int *width = xcalloc(n, sizeof(*width));

    for (size_t c = 0; c < n; c++) {
        width[c] = text_width(cols[c].title);
        for (size_t r = 0; r < n_rows; r++) {
            int w = cell_width(member(json_object_array_get_idx(rows, r), cols[c].key),
                               cols[c].max_width);

            if (w > width[c])
                width[c] = w;
        }
    }
    printf("%*s", indent, "");
    for (size_t c = 0; c < n; c++)
        put_cell(cols[c].title, 0, c + 1 < n ? width[c] + 2 : 0);
    putchar('\n');
    for (size_t r = 0; r < n_rows; r++) {
        printf("%*s", indent, "");
        for (size_t c = 0; c < n; c++) {
            char *s = value_text(member(json_object_array_get_idx(rows, r), cols[c].key));

            put_cell(s, cols[c].max_width, c + 1 < n ? width[c] + 2 : 0);
            free(s);
        }
        putchar('\n');
    }
    free(width);
}

void cli_print_fields(struct json_object *o, const struct cli_col *cols, size_t n, int indent)
{
    int label = 0;

    for (size_t c = 0; c < n; c++)
        if (text_width(cols[c].title) + 1 > label)
            label = text_width(cols[c].title) + 1;
    for (size_t c = 0; c < n; c++) {
        char *s = value_text(member(o, cols[c].key));

        printf("%*s%s:%*s", indent, "", cols[c].title, label - text_width(cols[c].title) + 1, "");
        put_cell(s, cols[c].max_width, 0);
        putchar('\n');
        free(s);
    }
}

void cli_print_value(struct json_object *o)
{
    char *s = value_text(o);

    fputs(s, stdout);
    free(s);
}

/* ---- dispatch ---- */

void cli_print_version(FILE *out)
{
    fprintf(out, "shopvox %s\n", SHOPVOX_VERSION);
}

enum cli_std { CLI_STD_NONE, CLI_STD_HELP, CLI_STD_VERSION, CLI_STD_BAD };

#define CLI_OPT_VERSION 1000
#define CLI_OPT_FIRST 1001   /* getopt_long's value for the subcommand's option k: FIRST + k */

/*
 * getopt_long over words (words[0] stands for the program name): --help,
 * -h, --version and, when c is given, its options (each takes a value,
 * "--opt v" or "--opt=v"; without c, parsing stops at the first word, the
 * subcommand). Positionals go to x->words; "--" ends the options. Words
 * are permuted, never changed. Returns what was asked for.
 */
static enum cli_std parse_words(struct cli *x, const struct cli_command *c, int n, char **words)
{
    struct option longs[CLI_MAX_OPTS + 3] = {{"help", no_argument, NULL, 'h'},
                                             {"version", no_argument, NULL, CLI_OPT_VERSION}};
    size_t n_longs = 2;
    enum cli_std std = CLI_STD_NONE;
    int opt;

    for (size_t k = 0; c != NULL && k < CLI_MAX_OPTS && c->options[k] != NULL; k++) {
        longs[n_longs++] = (struct option){c->options[k], required_argument, NULL,
                                           CLI_OPT_FIRST + (int)k};
        x->words.opt_names[x->words.n_opts++] = c->options[k];
    }
    optind = 0;     /* glibc: a full reset, for the second parse */
    opterr = 0;
    while ((opt = getopt_long(n, words, c != NULL ? ":h" : "+:h", longs, NULL)) != -1) {
        if (opt == 'h' && std != CLI_STD_BAD) {
            std = CLI_STD_HELP;
        } else if (opt == CLI_OPT_VERSION && std == CLI_STD_NONE) {
            std = CLI_STD_VERSION;
        } else if (opt >= CLI_OPT_FIRST && opt < CLI_OPT_FIRST + CLI_MAX_OPTS) {
            x->words.opt_values[opt - CLI_OPT_FIRST] = optarg;
        } else if (opt == ':') {
            cli_error(x, "option %s needs a value", words[optind - 1]);
            std = CLI_STD_BAD;
        } else if (opt == '?') {
            cli_error(x, "unknown option %s", words[optind - 1]);
            std = CLI_STD_BAD;
        }
    }
    x->words.pos = words + optind;
    x->words.n_pos = n - optind;
    return std;
}

/* The usage lines: for --help on stdout (exit 0), after a usage error on stderr (not with --json). */
static int print_usage(struct cli *x, bool help)
{
    if (!help && x->json)
        return CLI_EXIT_USAGE;
    fprintf(help ? stdout : stderr, "usage:\n");
    usage_lines(help ? stdout : stderr, cli_is_command(x->cmd) ? x->cmd : NULL);
    return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

/* Answers --help, --version or a bad option: the exit code, or -1 to go on. */
static int answer_std(struct cli *x, enum cli_std std)
{
    if (std == CLI_STD_VERSION) {
        cli_print_version(stdout);
        return CLI_EXIT_OK;
    }
    if (std == CLI_STD_HELP && x->sub != NULL) {
        print_usage_line(x, stdout);
        return CLI_EXIT_OK;
    }
    if (std == CLI_STD_BAD && x->sub != NULL) {
        parse_usage(x);
        return CLI_EXIT_USAGE;
    }
    if (std == CLI_STD_HELP || std == CLI_STD_BAD)
        return print_usage(x, std == CLI_STD_HELP);
    return -1;
}

/* The subcommand: parse its words, read the configuration, run it. */
static int run_command(struct cli *x, const struct cli_command *c, int n, char **words)
{
    int rc;

    x->sub = c->sub;
    x->synopsis = c->synopsis;
    if (x->html && c->run != cli_report_daily) {
        cli_error(x, "--html is an option of report daily only");
        return CLI_EXIT_USAGE;
    }
    rc = answer_std(x, parse_words(x, c, n, words));
    if (rc >= 0)
        return rc;
    rc = load_config(x);
    return rc == CLI_EXIT_OK ? c->run(x) : rc;
}

/* The command's own words: --help, --version, or the subcommand and what follows. */
static int run_words(struct cli *x, int n, char **words)
{
    const struct cli_command *c;
    int rc = answer_std(x, parse_words(x, NULL, n, words)), first;

    if (rc >= 0)
        return rc;
    c = x->words.n_pos > 0 ? command_find(x->cmd, x->words.pos[0]) : NULL;
    if (c == NULL && (c = command_find(x->cmd, "")) != NULL) {
        memset(&x->words, 0, sizeof(x->words));
        return run_command(x, c, n, words);  /* a command without subcommands */
    }
    if (!cli_is_command(x->cmd) || x->words.n_pos == 0) {
        cli_error(x, "missing subcommand");
        return print_usage(x, false);
    }
    if (c == NULL) {
        cli_error(x, "unknown command '%s'", x->words.pos[0]);
        return print_usage(x, false);
    }
    first = (int)(x->words.pos - words);    /* the subcommand's word: its argv[0] now */
    memset(&x->words, 0, sizeof(x->words));
    return run_command(x, c, n - first, words + first);
}

int cli_main(const char *cmd, int argc, char **argv)
{
    struct cli x = {.cmd = cmd};
    char **words = xcalloc((size_t)argc + 2, sizeof(*words));
    bool options_done = false;
    int n = 1, rc;

    buf_init(&x.errors, 4096);
    words[0] = (char *)(uintptr_t)"shopvox";    /* getopt's argv[0] */
    for (int i = 0; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--json") == 0) {
            x.json = true;
            continue;
        }
        if (!options_done && strcmp(argv[i], "--html") == 0) {
            x.html = true;
            continue;
        }
        options_done = options_done || strcmp(argv[i], "--") == 0;
        words[n++] = argv[i];
    }
    rc = run_words(&x, n, words);
    if (rc != CLI_EXIT_OK && x.json)
        print_json_error(&x, rc);
    store_conn_destroy(x.db);
    cfg_cleanup(&x.cfg);
    buf_cleanup(&x.errors);
    free(words);
    return rc;
}
