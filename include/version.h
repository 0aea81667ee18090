/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The criu interface level this build implements, and the implementation's own name. */
#ifndef __CRIU_VERSION_H__
#define __CRIU_VERSION_H__

#define CRIU_VERSION	       "4.2"
#define CRIU_VERSION_MAJOR     4
#define CRIU_VERSION_MINOR     2
#define CRIU_VERSION_SUBLEVEL  0

#define CRIU_IMPL_NAME	       "criu-ng"
#define CRIU_IMPL_VERSION      "0.1"

#endif
