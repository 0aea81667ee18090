/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What an RPC caller may ask of criu when criu holds more than the caller
 * does (criu service runs as root; the peer is uid 1000). One verdict per
 * row of the option table (swrk/options.c), in one place:
 *
 *   - allowed: the option only touches files the caller names, which the job
 *     opens with the caller's fs ids (swrk/server.c), or things it owns;
 *   - refused, "may not name programs criu runs": action scripts, JSON
 *     hooks, plugin dirs, exec-cmd;
 *   - refused, root power: a root of its choosing, cgroups written on its
 *     behalf, external mounts and devices, namespaces it names, TCP repair,
 *     criu's own session, LSM profiles, criu's own fds, the service's settings.
 *
 * What the images ask for (credentials, namespaces, a time namespace, a
 * chroot) is checked by the engine at restore (engine/restore.c), which
 * knows the caller through struct cr_request.
 */
#ifndef CR_SWRK_CALLER_POLICY_H
#define CR_SWRK_CALLER_POLICY_H

#include <stdbool.h>
#include <sys/types.h>

#include "options.h"

/*
 * Whether a caller is held to these rules: its uid is not 0, and criu has
 * something it lacks (another uid, or any capability). A non-root
 * `criu swrk` of the caller's own uid without capabilities is not: it can do
 * nothing the caller cannot.
 */
bool policy_caller_restricted(uid_t peer_uid, uid_t our_euid, bool we_hold_caps);
/* Whether this process holds any permitted or effective capability. */
bool policy_self_holds_caps(void);

/*
 * Why row i (with its value in o) is refused to a restricted caller, as the
 * end of "a non-root caller (uid N) may not ...", or NULL when allowed.
 * A row the policy has no rule for is refused, so that a new option is
 * refused to callers until someone decides.
 */
const char *policy_row_refusal(const struct cr_opts *o, size_t row);
/* Whether the policy has a verdict for the option named name (unit tests: every row has one). */
bool policy_row_classified(const char *name);

/*
 * Checks every row the caller set (o->by_caller; config_file is the
 * caller's, for the message): 0, or -EPERM logged as
 * "criu_opts.root: a non-root caller (uid 1000) may not ..." or
 * "config_file /home/u/x.conf sets action-script: a non-root caller ...".
 */
int policy_check_caller_opts(const struct cr_opts *o, uid_t uid, const char *config_file);

#endif
