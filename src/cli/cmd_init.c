/* `onespace init DIR` (see cli.h). */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/path.h"
#include "host/host_instance_fs.h"

static const char *const image_dirs[] = { "image", "image/bin", "image/etc", "image/tmp",
                                          "image/dev", "image/proc" };

int cli_init_instance(const char *dir, char *err, size_t errlen)
{
    struct onespace_config c;
    char *cfg_path = cli_path_join(dir, "onespace.json");
    char *json = NULL;
    int r = -ENOMEM;
    if (!cfg_path || config_defaults(&c) < 0) {
        free(cfg_path);
        snprintf(err, errlen, "onespace: init: out of memory");
        return -ENOMEM;
    }
    /* Refuse before touching anything. */
    if (host_instance_exists(cfg_path) == 0) {
        snprintf(err, errlen, "onespace: init: %s already exists; not overwriting it", cfg_path);
        r = -EEXIST;
        goto out;
    }
    r = host_instance_mkdir(dir);
    if (r < 0) {
        snprintf(err, errlen, "onespace: init: cannot create %s: %s", dir, strerror(-r));
        goto out;
    }
    for (size_t i = 0; i < sizeof(image_dirs) / sizeof(image_dirs[0]); i++) {
        char *p = cli_path_join(dir, image_dirs[i]);
        r = p ? host_instance_mkdir(p) : -ENOMEM;
        if (r < 0)
            snprintf(err, errlen, "onespace: init: cannot create %s: %s",
                     p ? p : image_dirs[i], strerror(-r));
        free(p);
        if (r < 0)
            goto out;
    }
    json = config_to_json(&c);
    if (!json) {
        r = -ENOMEM;
        snprintf(err, errlen, "onespace: init: out of memory");
        goto out;
    }
    r = host_instance_create_file(cfg_path, json, strlen(json));
    if (r == -EEXIST)
        snprintf(err, errlen, "onespace: init: %s already exists; not overwriting it", cfg_path);
    else if (r < 0)
        snprintf(err, errlen, "onespace: init: cannot write %s: %s", cfg_path, strerror(-r));
out:
    free(json);
    free(cfg_path);
    config_free(&c);
    return r;
}
