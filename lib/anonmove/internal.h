/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libanonmove internals: one file per mechanism, shared helpers here. */
#ifndef ANONMOVE_INTERNAL_H
#define ANONMOVE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "anonmove.h"

/* anonmove.h defines mremap()'s three flags where glibc does not. */
#ifndef MREMAP_RELOCATE_ANON
#define MREMAP_RELOCATE_ANON	8	/* the anonmove kernel series */
#endif

#define PMD_SIZE_GUESS	(2UL << 20)	/* x86-64, arm64 with 4 KiB pages */

/* The VMA that holds an address, as much of it as user space can see. */
struct am_vma {
	uintptr_t start, end;
	int prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool private_anon;	/* private, not a file, no name but [heap] */
};

/* Find the VMA containing addr: 0, or -1 if there is none. */
int am_find_vma(uintptr_t addr, struct am_vma *vma);

/* The kernel's mremap(), which glibc's wrapper may refuse flags for. */
void *am_sys_mremap(void *old, size_t old_len, size_t new_len, int flags,
		    void *new_addr);
/* The same for a call passed on unchanged, counted in the statistics. */
void *am_plain_mremap(void *old, size_t old_len, size_t new_len, int flags,
		      void *new_addr);

/* The UFFDIO_MOVE mechanism: 0 if it can be used in this process. */
int am_uffd_probe(void);
void *am_uffd_mremap(void *old, size_t old_len, size_t new_len, int flags,
		     void *new_addr);

/* Forget per-process state (file descriptors) in a forked child. */
void am_uffd_forget(void);
void am_vma_forget(void);

/* Statistics, updated with relaxed atomics. */
extern struct anonmove_stats am_stats;
#define am_count(field, n) \
	__atomic_fetch_add(&am_stats.field, (n), __ATOMIC_RELAXED)

#endif /* ANONMOVE_INTERNAL_H */
