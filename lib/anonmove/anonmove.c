// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * anonmove_mremap(): pick the mechanism once per process, then route each
 * call. Whatever a relocating mechanism cannot take goes to mremap() as
 * it is, which also gives every invalid call mremap()'s own errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "internal.h"

struct anonmove_stats am_stats;

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int mechanism;

void *am_sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
		    void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags,
			       new_addr);
}

/* Does mremap() take MREMAP_RELOCATE_ANON? Older kernels: EINVAL. */
static bool kernel_relocates(void)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	bool ok;

	if (p == MAP_FAILED)
		return false;
	ok = am_sys_mremap(p, ps, ps, MREMAP_MAYMOVE | MREMAP_FIXED |
			   MREMAP_RELOCATE_ANON, p + ps) == p + ps;
	munmap(p, 2 * ps);
	return ok;
}

static void forget_after_fork(void)
{
	memset(&am_stats, 0, sizeof(am_stats));
	am_uffd_forget();
	am_vma_forget();
}

static void probe(void)
{
	const char *env = getenv("ANONMOVE_MECHANISM");
	int cap = ANONMOVE_KERNEL;

	if (env && !strcmp(env, "plain"))
		cap = ANONMOVE_PLAIN;
	else if (env && !strcmp(env, "uffd"))
		cap = ANONMOVE_UFFD;
	pthread_atfork(NULL, NULL, forget_after_fork);
	if (cap >= ANONMOVE_KERNEL && kernel_relocates())
		mechanism = ANONMOVE_KERNEL;
	else if (cap >= ANONMOVE_UFFD && !am_uffd_probe())
		mechanism = ANONMOVE_UFFD;
	else
		mechanism = ANONMOVE_PLAIN;
}

int anonmove_supported(void)
{
	pthread_once(&probe_once, probe);
	return mechanism;
}

const char *anonmove_mechanism_name(int m)
{
	switch (m) {
	case ANONMOVE_KERNEL:
		return "kernel";
	case ANONMOVE_UFFD:
		return "uffd";
	case ANONMOVE_PLAIN:
		return "plain";
	}
	return "unknown";
}

void anonmove_get_stats(struct anonmove_stats *stats)
{
	__atomic_load(&am_stats.calls, &stats->calls, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.uffd_moves, &stats->uffd_moves, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.uffd_bytes, &stats->uffd_bytes, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.uffd_ioctls, &stats->uffd_ioctls, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.fallbacks, &stats->fallbacks, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.plain, &stats->plain, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.uffd_ns, &stats->uffd_ns, __ATOMIC_RELAXED);
	__atomic_load(&am_stats.uffd_move_ns, &stats->uffd_move_ns, __ATOMIC_RELAXED);
}

void *am_plain_mremap(void *old, size_t old_len, size_t new_len, int flags,
		      void *new_addr)
{
	am_count(plain, 1);
	return am_sys_mremap(old, old_len, new_len, flags, new_addr);
}

void *anonmove_mremap(void *old, size_t old_len, size_t new_len, int flags,
		      void *new_addr)
{
	int m = anonmove_supported();
	void *p;

	am_count(calls, 1);
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	/* Only a move relocates, and MREMAP_DONTUNMAP keeps the source. */
	if (m == ANONMOVE_PLAIN || !(flags & MREMAP_MAYMOVE) ||
	    (flags & MREMAP_DONTUNMAP))
		return am_plain_mremap(old, old_len, new_len, flags, new_addr);
	if (m == ANONMOVE_KERNEL)
		return am_sys_mremap(old, old_len, new_len,
				     flags | MREMAP_RELOCATE_ANON, new_addr);
	if (!(flags & MREMAP_FIXED)) {
		/* Shrinking, or growing in place where it fits, never moves. */
		if (new_len <= old_len)
			return am_plain_mremap(old, old_len, new_len, 0, NULL);
		p = am_sys_mremap(old, old_len, new_len, 0, NULL);
		if (p != MAP_FAILED || errno != ENOMEM)
			return p;
	}
	return am_uffd_mremap(old, old_len, new_len, flags, new_addr);
}
