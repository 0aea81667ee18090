/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection for tests: CRIU_FAULT=<point>[,<point>...] in the
 * environment makes fault_inject(point) fail there with -EIO, so that tests
 * can prove that a failure at that phase loses nothing.
 */
#ifndef CR_FAULT_H
#define CR_FAULT_H

/* 0, or -EIO (logged) when point is listed in $CRIU_FAULT. */
int fault_inject(const char *point);

#endif
