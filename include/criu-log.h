/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Logging interface for plugins. A plugin's messages go into the log of the
 * job that loaded it, at the levels of criu's -v0..-v4.
 */
#ifndef __CRIU_LOG_H__
#define __CRIU_LOG_H__

#include <stdarg.h>

#define LOG_UNSET (-1)
#define LOG_MSG	  (0) /* always printed, no decoration */
#define LOG_ERROR (1) /* errors: "Error (file:line): ..." */
#define LOG_WARN  (2) /* warnings */
#define LOG_INFO  (3) /* what is going on */
#define LOG_DEBUG (4) /* everything */

#define DEFAULT_LOGLEVEL LOG_WARN

#ifdef __cplusplus
extern "C" {
#endif

extern void print_on_level(unsigned int loglevel, const char *format, ...)
	__attribute__((__format__(__printf__, 2, 3)));
extern void vprint_on_level(unsigned int loglevel, const char *format, va_list params);
/* Logs at LOG_ERROR with the source position, as the engine's own errors are. */
extern void print_error_at(const char *file, int line, const char *format, ...)
	__attribute__((__format__(__printf__, 3, 4)));
extern int log_get_fd(void);
extern int log_get_loglevel(void);

#ifdef __cplusplus
}
#endif

#ifndef LOG_PREFIX
#define LOG_PREFIX
#endif

#define pr_msg(fmt, ...)   print_on_level(LOG_MSG, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  print_on_level(LOG_INFO, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_warn(fmt, ...)  print_on_level(LOG_WARN, "Warn  (%s:%d): " LOG_PREFIX fmt, __FILE__, __LINE__, ##__VA_ARGS__)
#define pr_debug(fmt, ...) print_on_level(LOG_DEBUG, LOG_PREFIX fmt, ##__VA_ARGS__)
#define pr_err(fmt, ...)   print_error_at(__FILE__, __LINE__, LOG_PREFIX fmt, ##__VA_ARGS__)

#endif /* __CRIU_LOG_H__ */
