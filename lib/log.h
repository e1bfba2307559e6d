/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Logging for the programs' boundaries (main.c and friends).  Library code
 * never prints: it returns an error and, where a person needs it, a message. */

#include <stdbool.h>

#include "macros.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARNING, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Prefix every line with the program name ("onepci-agent: "). */
void log_set_program(const char *name);

void log_msg(enum log_level level, const char *fmt, ...) _printf_(2, 3);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
