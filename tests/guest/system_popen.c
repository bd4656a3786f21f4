/* system() and popen(): both run `/bin/sh -c COMMAND` (inside onespace
 * the image's tiny shell, tests/guest/sh.c). The commands run this program
 * again (argv[0]) with a role. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_check.h"

static const char *self;

static void show_status(const char *what, int st)
{
    if (st == -1)
        OUT("%s: -1", what);
    else if (WIFEXITED(st))
        OUT("%s: exited %d", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        OUT("%s: signal %d", what, WTERMSIG(st));
    else
        OUT("%s: status %#x", what, st);
}

static char *cmd(const char *fmt, const char *arg)
{
    static char buf[4096];
    snprintf(buf, sizeof(buf), "%s %s", self, fmt);
    (void)arg;
    return buf;
}

static int role(int argc, char **argv)
{
    const char *r = argv[1];
    if (strcmp(r, "exit") == 0)
        return atoi(argv[2]);
    if (strcmp(r, "print") == 0) {
        for (int i = 2; i < argc; i++)
            printf("  arg%d=[%s]\n", i - 1, argv[i]);
        return argc > 4 ? 9 : 0;
    }
    if (strcmp(r, "upcase") == 0) {
        int c;
        while ((c = getchar()) != EOF)
            putchar(toupper(c));
        printf("  (upcase done)\n");
        return 0;
    }
    fprintf(stderr, "unknown role %s\n", r);
    return 2;
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc > 1)
        return role(argc, argv);

    OUT("system(NULL) shell present: %d", system(NULL) != 0);
    show_status("system exit 3", system(cmd("exit 3", NULL)));
    show_status("system builtin exit 4", system("exit 4"));
    show_status("system not found", system("no_such_command_xyz"));
    show_status("system print", system(cmd("print 'hello world' \"two\" three\\ 3", NULL)));

    FILE *f = popen(cmd("print alpha beta", NULL), "r");
    CHECK(f != NULL, "popen r");
    char line[256];
    while (fgets(line, sizeof(line), f))
        printf("popen read:%s", line);
    fflush(stdout);
    show_status("pclose r", pclose(f));

    f = popen(cmd("print one two three", NULL), "r");
    CHECK(f != NULL, "popen r 2");
    int lines = 0;
    while (fgets(line, sizeof(line), f))
        lines++;
    OUT("popen read lines: %d", lines);
    show_status("pclose r (exit 9)", pclose(f));

    f = popen(cmd("upcase", NULL), "w");
    CHECK(f != NULL, "popen w");
    fputs("hello popen\nsecond line\n", f);
    show_status("pclose w", pclose(f));
    OUT("done");
    return 0;
}
