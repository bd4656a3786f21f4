/* Logging. The level comes from ONESPACE_LOG (error, warn, info, debug,
 * trace; default warn) and is read once. Output goes to stderr. */
#ifndef ONESPACE_UTIL_LOG_H
#define ONESPACE_UTIL_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG, LOG_TRACE };

enum log_level log_current_level(void);
void log_set_level(enum log_level level);
void log_write(enum log_level level, const char *subsystem, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_at(lvl, sub, ...)                                                  \
    do {                                                                       \
        if ((lvl) <= log_current_level())                                      \
            log_write((lvl), (sub), __VA_ARGS__);                              \
    } while (0)

#define log_error(sub, ...) log_at(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  log_at(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  log_at(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) log_at(LOG_DEBUG, sub, __VA_ARGS__)
#define log_trace(sub, ...) log_at(LOG_TRACE, sub, __VA_ARGS__)

#endif
