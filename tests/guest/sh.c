/* A tiny /bin/sh for the guest images: enough for system() and popen(),
 * which run `sh -c "command"`. One simple command only: words split on
 * blanks, '...' and "..." quoting (with \ escapes outside single quotes),
 * the `exit [N]` and `exec` built-ins, the program found through PATH
 * (default /bin) when it has no '/'. Like POSIX shells: 127 when the
 * command is not found, 126 when it cannot be executed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_WORDS 256

extern char **environ;

/* Split `s` in place into words; returns their number or -1 (bad quote). */
static int split(char *s, char **words)
{
    int n = 0;
    char *out = s;
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\n')
            s++;
        if (!*s)
            break;
        if (n == MAX_WORDS - 1)
            return -1;
        words[n++] = out;
        while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
            if (*s == '\'') {
                s++;
                while (*s && *s != '\'')
                    *out++ = *s++;
                if (!*s)
                    return -1;
                s++;
            } else if (*s == '"') {
                s++;
                while (*s && *s != '"') {
                    if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
                        s++;
                    *out++ = *s++;
                }
                if (!*s)
                    return -1;
                s++;
            } else if (*s == '\\' && s[1]) {
                s++;
                *out++ = *s++;
            } else {
                *out++ = *s++;
            }
        }
        /* `out` never passes `s`, so the terminator lands on consumed text. */
        char *next = *s ? s + 1 : s;
        *out = '\0';
        s = out = next;
    }
    words[n] = NULL;
    return n;
}

static int run(char **argv)
{
    const char *cmd = argv[0];
    if (strchr(cmd, '/')) {
        execve(cmd, argv, environ);
        int e = errno;
        fprintf(stderr, "sh: %s: %s\n", cmd, strerror(e));
        return e == ENOENT || e == ENOTDIR ? 127 : 126;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/bin";
    int status = 127;
    char buf[4096];
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", cmd);
        execve(buf, argv, environ);
        if (errno != ENOENT && errno != ENOTDIR)
            status = 126;
        path += len + (colon ? 1 : 0);
        if (!colon)
            break;
    }
    fprintf(stderr, "sh: %s: %s\n", cmd, status == 127 ? "not found" : "cannot execute");
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "-c") != 0) {
        fprintf(stderr, "usage: sh -c COMMAND\n");
        return 2;
    }
    char *line = strdup(argv[2]);
    char *words[MAX_WORDS];
    int n = line ? split(line, words) : -1;
    if (n < 0) {
        fprintf(stderr, "sh: syntax error\n");
        return 2;
    }
    char **w = words;
    if (n > 0 && strcmp(w[0], "exec") == 0)
        w++, n--;
    if (n == 0)
        return 0;
    if (strcmp(w[0], "exit") == 0)
        return n > 1 ? atoi(w[1]) & 0xff : 0;
    fflush(stdout);
    return run(w);
}
