/*
 * cli.h - operator commands on the shopvox binary.
 *
 *   shopvox exceptions list [--state open|resolved|all] [--type T] [--limit N]
 *   shopvox exceptions show|retry ID
 *   shopvox exceptions resolve ID [--note TEXT]
 *   shopvox sku map SHOPLINE_SKU ITEM_CODE | sku list | sku unmap SHOPLINE_SKU
 *   shopvox order show NAME|SHOPLINE_ORDER_ID
 *   shopvox routing list | routing set 'RULES'
 *   shopvox catalogue sync
 *   shopvox schedules              (the scheduler's tasks, leader and despatch watermark)
 *   shopvox webhooks list|ensure   (the store's webhook subscriptions; ensure creates the
 *                                  missing ones at SHOPVOX_PUBLIC_URL, calling Shopline)
 *
 * Every command and subcommand accepts --help (its usage on stdout, exit 0)
 * and --version ("shopvox <version>" on stdout, exit 0), parsed with
 * getopt_long. With --json a command prints exactly one JSON document on
 * stdout: its result, or on failure {"error": "...", "code": N} (N is the
 * exit code; usage errors add "usage"); nothing goes to stderr but
 * warnings. Without --json results are aligned plain text on stdout and
 * errors "shopvox CMD SUB: message" on stderr. Commands read only
 * SHOPVOX_DATABASE_URL and SHOPLINE_SHOP_DOMAIN (plus the optional
 * variables' validity) and act on that shop's rows. "--" ends options, for
 * SKUs that start with '-'.
 *
 * Exit codes: CLI_EXIT_OK, CLI_EXIT_ERROR (database or runtime failure),
 * CLI_EXIT_USAGE (bad arguments or configuration, or an operation that does
 * not apply, such as retrying a resolved exception), CLI_EXIT_NOT_FOUND.
 */
#ifndef SHOPVOX_CLI_H
#define SHOPVOX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_NOT_FOUND 3

/* True when cmd ("exceptions", "sku", ..., "schedules") is an operator command. */
bool cli_is_command(const char *cmd);

/*
 * Runs operator command cmd; argv[0..argc-1] are the words after it
 * (argv[0] is the subcommand, e.g. "list"). argv is borrowed and not
 * modified. Returns the process exit code.
 */
int cli_main(const char *cmd, int argc, char **argv);

/* Prints the operator command synopsis (for the binary's usage text). */
void cli_usage(FILE *out);

/* Prints "shopvox <version>" (the version is CMake's project version). */
void cli_print_version(FILE *out);

#endif
