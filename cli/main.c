/* main.c -- relayaudit's entry point: parses the subcommand and dispatches.
 * All the work is in cmd_*.c and the libraries under ingest/ and analyze/.
 */
#include "cli/cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: relayaudit <command> [options]\n"
    "\n"
    "Reads AI-gateway and egress-proxy logs into SQLite and reports shared\n"
    "upstream accounts, sticky-session breaks, untraceable bans and header\n"
    "variants.\n"
    "\n"
    "commands:\n"
    "  ingest   load log files, .gz archives or directories into the database\n"
    "  analyze  join gateway and proxy events and run the detectors\n"
    "  report   print the findings (text, md, json or csv)\n"
    "  run      ingest + analyze + report in one go (the nightly job)\n"
    "  query    run read-only SQL against the database\n"
    "  formats  list the log formats, or show one\n"
    "\n"
    "options:\n"
    "  -h, --help     show this help (or 'relayaudit <command> --help')\n"
    "  -V, --version  print the version\n"
    "\n"
    "exit codes: 0 ok, 1 runtime or input failure, 2 usage, 3 --fail-on "
    "matched\n";

void
ra_die_msg(const char *fmt, ...)
{
    va_list ap;
    fputs("relayaudit: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
ra_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("relayaudit: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (cmd)
        fprintf(stderr, "try 'relayaudit %s --help'\n", cmd);
    else
        fputs("try 'relayaudit --help'\n", stderr);
    return RA_EXIT_USAGE;
}

int
ra_exit_for(int code)
{
    return code == 0              ? RA_EXIT_OK
           : code == RA_EUSAGE   ? RA_EXIT_USAGE
                                 : RA_EXIT_FAIL;
}

void
ra_note_stderr(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "relayaudit: %s\n", msg);
}

int
main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"ingest", cmd_ingest},
        {"analyze", cmd_analyze},
        {"report", cmd_report},
        {"run", cmd_run},
        {"query", cmd_query},
        {"formats", cmd_formats},
    };

    /* A file-size limit (ulimit -f) must be an error SQLite reports, not a
     * signal that kills us mid-transaction. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2)
        return ra_usage_error(NULL, "no command given");
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        fputs(usage_text, stdout);
        return RA_EXIT_OK;
    }
    if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
        printf("relayaudit %s\n", RA_VERSION);
        return RA_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        return ra_usage_error(NULL, "unknown option '%s'", argv[1]);
    return ra_usage_error(NULL, "unknown command '%s'", argv[1]);
}
