/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libanonmove: mremap() that relocates private anonymous memory, so that a
 * moved range can merge with its new neighbours, on any Linux since 6.8.
 *
 * A plain mremap() keeps a moved range's page offset and the anon_vma of
 * its pages, so a range that was ever written can never merge with the
 * mappings around its new address: every move leaves one more VMA.
 * anonmove_mremap() moves the same way but re-points the pages at their
 * new place, with the best mechanism the running kernel has:
 *
 *  ANONMOVE_KERNEL  mremap(MREMAP_RELOCATE_ANON) (the anonmove kernel series)
 *  ANONMOVE_UFFD    UFFDIO_MOVE into a fresh destination (Linux 6.8+)
 *  ANONMOVE_PLAIN   mremap() as it is: no relocation, but the same result
 */
#ifndef ANONMOVE_H
#define ANONMOVE_H

#include <stddef.h>
#include <sys/mman.h>

/* mremap()'s flags: glibc defines them only with _GNU_SOURCE. */
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE		1
#define MREMAP_FIXED		2
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define ANONMOVE_API __attribute__((visibility("default")))

enum anonmove_mechanism {
	ANONMOVE_PLAIN = 1,
	ANONMOVE_UFFD = 2,
	ANONMOVE_KERNEL = 3,
};

/*
 * The mechanism anonmove_mremap() uses in this process, probed once, at the
 * first call of either function. The environment variable
 * ANONMOVE_MECHANISM=kernel|uffd|plain caps it (for tests, or to opt out).
 */
ANONMOVE_API int anonmove_supported(void);

/* "kernel", "uffd" or "plain". */
ANONMOVE_API const char *anonmove_mechanism_name(int mechanism);

/*
 * mremap(2) with the same arguments, flags (MREMAP_MAYMOVE, MREMAP_FIXED,
 * MREMAP_DONTUNMAP), result and errno, except that private anonymous
 * memory that moves is relocated where the mechanism allows. Whatever
 * cannot be relocated (memory shared with a child, pinned or locked pages,
 * shared or file mappings, MREMAP_DONTUNMAP) moves as mremap() moves it.
 */
ANONMOVE_API void *anonmove_mremap(void *old_address, size_t old_size, size_t new_size,
		      int flags, void *new_address);

/* What this process's calls did, since it started (or forked). */
struct anonmove_stats {
	unsigned long calls;		/* anonmove_mremap() calls */
	unsigned long uffd_moves;	/* moves done with UFFDIO_MOVE */
	unsigned long uffd_bytes;	/* bytes UFFDIO_MOVE moved */
	unsigned long uffd_ioctls;	/* userfaultfd ioctls they took */
	unsigned long fallbacks;	/* UFFDIO_MOVE stopped: rest moved plainly */
	unsigned long plain;		/* calls passed to mremap() as they were */
	unsigned long uffd_ns;		/* time in those moves, all steps */
	unsigned long uffd_move_ns;	/* of which in the UFFDIO_MOVE ioctls */
};

ANONMOVE_API void anonmove_get_stats(struct anonmove_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* ANONMOVE_H */
