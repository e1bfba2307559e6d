/* SPDX-License-Identifier: Apache-2.0 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static enum log_level current_level = LOG_LVL_INFO;
static const char *program_name = "onepci";

void log_set_level(enum log_level level) {
        current_level = level;
}

enum log_level log_get_level(void) {
        return current_level;
}

void log_set_program(const char *name) {
        program_name = name;
}

void log_msg(enum log_level level, const char *fmt, ...) {
        static const char *const prefix[] = {
                [LOG_LVL_ERROR] = "error: ",
                [LOG_LVL_WARNING] = "warning: ",
                [LOG_LVL_INFO] = "",
                [LOG_LVL_DEBUG] = "debug: ",
        };
        if (level > current_level)
                return;
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "%s: %s", program_name, prefix[level]);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}
