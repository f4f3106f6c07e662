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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jobs.h"
#include "log.h"

/* PostgreSQL type OIDs (catalog/pg_type.h is not a client header). */
#define PG_OID_BOOL 16
#define PG_OID_INT8 20
#define PG_OID_INT2 21
#define PG_OID_INT4 23
#define PG_OID_JSON 114
#define PG_OID_JSONB 3802

struct cli_command {
    const char *cmd;
    const char *sub;
    const char *synopsis;
    int (*run)(struct cli *x, int argc, char **argv);
};

static const struct cli_command cli_commands[] = {
    {"exceptions", "list", "[--state open|resolved|all] [--type TYPE] [--limit N]",
     cli_exceptions_list},
    {"exceptions", "show", "ID", cli_exceptions_show},
    {"exceptions", "retry", "ID", cli_exceptions_retry},
    {"exceptions", "resolve", "ID [--note TEXT]", cli_exceptions_resolve},
    {"sku", "map", "SHOPLINE_SKU ITEM_CODE", cli_sku_map},
    {"sku", "list", "", cli_sku_list},
    {"sku", "unmap", "SHOPLINE_SKU", cli_sku_unmap},
    {"order", "show", "NAME|SHOPLINE_ORDER_ID", cli_order_show},
    {"routing", "list", "", cli_routing_list},
    {"routing", "set", "'RULES'", cli_routing_set},
    {"catalogue", "sync", "", cli_catalogue_sync},
};

bool cli_is_command(const char *cmd)
{
    for (size_t i = 0; cmd != NULL && i < ARRAY_LEN(cli_commands); i++)
        if (strcmp(cli_commands[i].cmd, cmd) == 0)
            return true;
    return false;
}

static void usage_lines(FILE *out, const char *only_cmd)
{
    for (size_t i = 0; i < ARRAY_LEN(cli_commands); i++) {
        const struct cli_command *c = &cli_commands[i];

        if (only_cmd == NULL || strcmp(c->cmd, only_cmd) == 0)
            fprintf(out, "  shopvox %s %s%s%s [--json]\n", c->cmd, c->sub,
                    c->synopsis[0] ? " " : "", c->synopsis);
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
    fprintf(stderr, "shopvox %s%s%s: %s", x->cmd, x->sub ? " " : "", x->sub ? x->sub : "", kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const struct cli *x, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(x, "", fmt, ap);
    va_end(ap);
}

void cli_warn(const struct cli *x, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(x, "warning: ", fmt, ap);
    va_end(ap);
}

/* ---- arguments ---- */

static int parse_usage(const struct cli *x)
{
    fprintf(stderr, "usage: shopvox %s %s%s%s [--json]\n", x->cmd, x->sub,
            x->synopsis[0] ? " " : "", x->synopsis);
    return -1;
}

static int parse_option(const struct cli *x, int argc, char **argv, int *i,
                        struct cli_opt *opts, size_t n_opts)
{
    const char *name = argv[*i] + (argv[*i][1] == '-' ? 2 : 1);
    const char *eq = strchr(name, '=');
    size_t len = eq ? (size_t)(eq - name) : strlen(name);

    for (size_t k = 0; k < n_opts; k++) {
        if (strlen(opts[k].name) != len || strncmp(opts[k].name, name, len) != 0)
            continue;
        if (eq != NULL) {
            opts[k].value = eq + 1;
        } else if (*i + 1 < argc) {
            opts[k].value = argv[++*i];
        } else {
            cli_error(x, "option --%s needs a value", opts[k].name);
            return parse_usage(x);
        }
        return 0;
    }
    cli_error(x, "unknown option %s", argv[*i]);
    return parse_usage(x);
}

int cli_parse(const struct cli *x, int argc, char **argv, struct cli_opt *opts, size_t n_opts,
              int min_pos, int max_pos, struct cli_args *out)
{
    bool only_positional = false;

    out->n_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = true;
        } else if (!only_positional && a[0] == '-' && a[1] != '\0') {
            if (parse_option(x, argc, argv, &i, opts, n_opts) < 0)
                return -1;
        } else if (out->n_pos >= max_pos || out->n_pos >= CLI_MAX_POS) {
            cli_error(x, "unexpected argument '%s'", a);
            return parse_usage(x);
        } else {
            out->pos[out->n_pos++] = a;
        }
    }
    if (out->n_pos < min_pos) {
        cli_error(x, "missing argument");
        return parse_usage(x);
    }
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
        fprintf(stderr, "shopvox: %d configuration problem%s:\n%s", problems,
                problems == 1 ? "" : "s", buf_cstr(&errors));
    buf_cleanup(&errors);
    if (problems == 0 && x->cfg.database_url[0] == '\0') {
        fputs("shopvox: SHOPVOX_DATABASE_URL is required\n", stderr);
        problems++;
    }
    if (problems == 0 && x->shop[0] == '\0') {
        fputs("shopvox: SHOPLINE_SHOP_DOMAIN is required\n", stderr);
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
        fprintf(stderr, "shopvox %s %s: %s\n", x->cmd, x->sub, err.msg);
        return CLI_EXIT_ERROR;
    }
    if (ss.pending > 0) {
        cli_error(x, "database schema is at version %d, this binary needs %d: run shopvox migrate",
                  ss.db_version, ss.code_version);
        return CLI_EXIT_ERROR;
    }
    return CLI_EXIT_OK;
}

PGresult *cli_query(struct cli *x, const char *what, const char *sql, int n,
                    const char *const *params)
{
    struct errbuf err = {""};
    enum st st;
    PGresult *res = store_exec(x->db, sql, n, params, &st, &err);

    if (res == NULL)
        cli_error(x, "could not %s: %s", what, err.msg);
    return res;
}

int cli_query_row(struct cli *x, const char *what, const char *sql, int n,
                  const char *const *params, struct json_object **row)
{
    PGresult *res = cli_query(x, what, sql, n, params);
    int rc = CLI_EXIT_NOT_FOUND;

    *row = NULL;
    if (res == NULL)
        return CLI_EXIT_ERROR;
    if (PQntuples(res) > 0) {
        *row = cli_row_json(res, 0);
        rc = CLI_EXIT_OK;
    }
    PQclear(res);
    return rc;
}

int cli_start(struct cli *x, int argc, char **argv, struct cli_opt *opts, size_t n_opts,
              int min_pos, int max_pos, struct cli_args *out)
{
    if (cli_parse(x, argc, argv, opts, n_opts, min_pos, max_pos, out) < 0)
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
    const char *p[2] = {kind, dedupe_key};
    struct errbuf err = {""};
    PGresult *res;

    memset(out, 0, sizeof(*out));
    if (job_enqueue(x->db, x->shop, kind, dedupe_key, payload_json, 0, &out->created, &err) !=
        ST_OK) {
        cli_error(x, "could not enqueue %s job %s: %s", kind, dedupe_key, err.msg);
        return -1;
    }
    res = cli_query(x, "read job",
                    "SELECT id, state FROM jobs WHERE kind = $1 AND dedupe_key = $2 "
                    "AND state IN ('pending', 'running')", /* the live one: dead ones may remain */
                    2, p);
    if (res == NULL)
        return -1;
    if (PQntuples(res) == 0) {
        cli_error(x, "could not find %s job %s after enqueueing it", kind, dedupe_key);
        PQclear(res);
        return -1;
    }
    out->job_id = atoll(PQgetvalue(res, 0, 0));
    if (!out->created)
        snprintf(out->prior_state, sizeof(out->prior_state), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    out->running = strcmp(out->prior_state, "running") == 0;
    if (out->created || out->running || job_retry(x->db, out->job_id, &err) == ST_OK)
        return 0;
    cli_error(x, "could not retry %s job %lld: %s", kind, out->job_id, err.msg);
    return -1;
}

/* ---- JSON ---- */

static struct json_object *cell_json(const PGresult *r, int row, int col)
{
    const char *v = PQgetvalue(r, row, col);

    if (PQgetisnull(r, row, col))
        return NULL;
    switch (PQftype(r, col)) {
    case PG_OID_BOOL:
        return json_object_new_boolean(v[0] == 't');
    case PG_OID_INT2:
    case PG_OID_INT4:
    case PG_OID_INT8:
        return json_object_new_int64(strtoll(v, NULL, 10));
    case PG_OID_JSON:
    case PG_OID_JSONB: {
        struct json_object *j = json_tokener_parse(v);

        return j != NULL ? j : json_object_new_string(v);
    }
    default:
        return json_object_new_string(v);
    }
}

struct json_object *cli_row_json(const PGresult *r, int row)
{
    struct json_object *o = json_object_new_object();

    for (int col = 0; col < PQnfields(r); col++)
        json_object_object_add(o, PQfname(r, col), cell_json(r, row, col));
    return o;
}

struct json_object *cli_rows_json(const PGresult *r)
{
    struct json_object *a = json_object_new_array();

    for (int row = 0; row < PQntuples(r); row++)
        json_object_array_add(a, cli_row_json(r, row));
    return a;
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

static bool wants_help(int argc, char **argv)
{
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            (i == 0 && strcmp(argv[i], "help") == 0))
            return true;
    return false;
}

int cli_main(const char *cmd, int argc, char **argv)
{
    struct cli x = {.cmd = cmd};
    char **words = xcalloc((size_t)argc + 1, sizeof(*words));
    const struct cli_command *c;
    bool options_done = false;
    int n = 0, rc;

    for (int i = 0; i < argc; i++) {
        if (!options_done && strcmp(argv[i], "--json") == 0) {
            x.json = true;
            continue;
        }
        options_done = options_done || strcmp(argv[i], "--") == 0;
        words[n++] = argv[i];
    }
    if (!cli_is_command(cmd) || n == 0 || wants_help(n, words)) {
        bool help = cli_is_command(cmd) && n > 0;

        fprintf(help ? stdout : stderr, "usage:\n");
        usage_lines(help ? stdout : stderr, cli_is_command(cmd) ? cmd : NULL);
        free(words);
        return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    c = command_find(cmd, words[0]);
    if (c == NULL) {
        fprintf(stderr, "shopvox %s: unknown command '%s'\nusage:\n", cmd, words[0]);
        usage_lines(stderr, cmd);
        free(words);
        return CLI_EXIT_USAGE;
    }
    x.sub = c->sub;
    x.synopsis = c->synopsis;
    rc = load_config(&x);
    if (rc == CLI_EXIT_OK)
        rc = c->run(&x, n - 1, words + 1);
    store_conn_destroy(x.db);
    cfg_cleanup(&x.cfg);
    free(words);
    return rc;
}
