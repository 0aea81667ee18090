/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit login uid of a restored thread (loginuid.c). */
#ifndef CR_TASK_LOGINUID_H
#define CR_TASK_LOGINUID_H

#include "images/core.pb-c.h"
#include "infect.h"

/*
 * Writes ce's loginuid through the thread c itself (remote open/write of
 * /proc/self/loginuid: the kernel takes it from no one else), while it
 * still has CAP_AUDIT_CONTROL, when it differs from the one it inherited.
 * 0 or -errno (logged with the thread).
 */
int rst_loginuid(struct infect_ctl *c, const CredsEntry *ce);

#endif
