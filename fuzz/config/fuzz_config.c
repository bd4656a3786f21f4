/* Fuzz the onespace.json parser: any bytes as JSON text. It must return 0
 * (with a config that frees cleanly and re-serialises to something it
 * parses again to the same sizes) or -EINVAL/-ENOMEM with a message. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    struct onespace_config c;
    char err[256];
    err[0] = 0;
    int r = config_load_string(text, &c, err, sizeof err);
    if (r == 0) {
        char *json = config_to_json(&c);
        if (json) {
            struct onespace_config again;
            if (config_load_string(json, &again, err, sizeof err) != 0)
                abort();            /* what we write must parse again */
            if (again.user_space_size != c.user_space_size ||
                again.default_heap_size != c.default_heap_size ||
                again.default_stack_size != c.default_stack_size ||
                again.env_count != c.env_count ||
                again.entry_point_count != c.entry_point_count)
                abort();
            config_free(&again);
            free(json);
        }
        config_free(&c);
    } else if ((r != -EINVAL && r != -ENOMEM) || !err[0] ||
               memchr(err, 0, sizeof err) == NULL) {
        abort();
    }
    free(text);
    return 0;
}
