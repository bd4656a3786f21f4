/* /proc/self: exe link (basename only: the host path differs) and maps
 * (lists the stack and an executable mapping containing main). */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "guest_check.h"

int main(int argc, char **argv)
{
    (void)argc;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0, "readlink /proc/self/exe");
    exe[n] = 0;
    CHECK(exe[0] == '/', "exe link not absolute: %s", exe);
    const char *base = strrchr(exe, '/') + 1;
    const char *arg0 = strrchr(argv[0], '/');
    CHECK(!strcmp(base, arg0 ? arg0 + 1 : argv[0]), "exe %s vs argv0 %s", exe, argv[0]);
    OUT("exe basename %s", base);

    /* /proc/self/maps, read with plain read() in small pieces. */
    int fd = open("/proc/self/maps", O_RDONLY);
    CHECK(fd >= 0, "open /proc/self/maps");
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 512 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = read(fd, buf + len, 500);
        CHECK(r >= 0, "read maps");
        if (r == 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = 0;
    CHECK(len > 0 && buf[len - 1] == '\n', "maps empty or unterminated");

    int stack = 0, rx = 0, main_found = 0, lines = 0;
    uintptr_t mainp = (uintptr_t)&main, sp = (uintptr_t)&n;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi;
        char perms[8];
        CHECK(sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) == 3, "bad maps line: %s", line);
        CHECK(lo < hi && (lo & 4095) == 0 && (hi & 4095) == 0, "bad range: %s", line);
        lines++;
        if (strstr(line, "[stack]")) {
            stack = 1;
            CHECK(sp >= lo && sp < hi, "main's stack variable is not in [stack]");
        }
        if (!strcmp(perms, "r-xp")) {
            rx++;
            if (mainp >= lo && mainp < hi)
                main_found = 1;
        }
    }
    free(buf);
    CHECK(stack, "no [stack] line");
    CHECK(rx > 0 && main_found, "no r-xp mapping containing main");
    CHECK(lines >= 3, "only %d mappings", lines);
    OUT("maps ok");

    /* /proc/self/fd lists the fd we open. */
    int probe = open("/proc/self/maps", O_RDONLY);
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", probe);
    n = readlink(link, target, sizeof target - 1);
    CHECK(n > 0, "readlink %s", link);
    target[n] = 0;
    close(probe);
    OUT("fd link ok");
    return 0;
}
