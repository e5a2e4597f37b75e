/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UFFDIO_MOVE (Linux 6.8) for programs built against older uapi headers,
 * such as Debian 12's: libanonmove and bench/uffd_gc.
 */
#ifndef ANONMOVE_UFFD_COMPAT_H
#define ANONMOVE_UFFD_COMPAT_H

#include <linux/userfaultfd.h>

#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE			(1 << 16)
#define _UFFDIO_MOVE				(0x05)
#define UFFDIO_MOVE_MODE_DONTWAKE		((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES	((__u64)1 << 1)
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE	_IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif

#endif
