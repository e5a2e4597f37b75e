// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Relocating moves with UFFDIO_MOVE (Linux 6.8+).
 *
 * UFFDIO_MOVE moves exclusive anonymous pages into a range registered with
 * a userfaultfd and re-points each folio at the destination VMA: its
 * anon_vma and its index there. So a range moved this way carries the page
 * offset of its new address and merges with compatible neighbours, as an
 * unfaulted range does after a plain mremap(). One move:
 *
 *   1. map the destination: fresh private anonymous memory with the
 *      source's protection (MAP_FIXED over new_address, or at an address
 *      with the source's offset in a PMD, so that THPs can move whole);
 *   2. register destination (with the neighbours mmap() merged it with)
 *      and source with our userfaultfd, MISSING mode;
 *   3. one UFFDIO_MOVE for the whole range (source holes allowed), again
 *      from where it stopped after EAGAIN; if a page cannot move (EBUSY:
 *      shared with a child, pinned, KSM), move the rest plainly with
 *      mremap(MREMAP_FIXED) onto its place in the destination;
 *   4. unregister the destination, unmap the source, wake the source range.
 *
 * Other threads see mremap()'s atomicity: a fault on a destination page
 * not moved yet blocks (MISSING) until step 4, when the page is there or
 * was a hole in the source too, so nobody sees a zero page where data was
 * on its way; a fault on a source page already moved blocks until the
 * source is unmapped and then gets SIGSEGV, as it would after mremap().
 * The destination's other VMA attributes (madvise() hints, mlock(),
 * names, mempolicy) are not copied: ranges that have them are taken by
 * mremap() (UFFDIO_MOVE itself refuses locked or read-only ranges).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/userfaultfd.h>
#include "internal.h"

#include "uffd_compat.h"
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW	_IO(0xAA, 0x00)
#endif

#define EAGAIN_RETRIES	16

static int uffd = -1;
static pthread_mutex_t uffd_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * A userfaultfd that can move pages: full if this process may have one
 * (privileged, vm.unprivileged_userfaultfd=1, or /dev/userfaultfd), else
 * user-mode only (faults from system calls on a range being moved then
 * fail with EFAULT instead of waiting).
 */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MOVE };
	int fd, dev;

	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
			close(dev);
		}
	}
	if (fd < 0)
		fd = syscall(SYS_userfaultfd,
			     O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api) || !(api.features & UFFD_FEATURE_MOVE) ||
	    !(api.ioctls & (1ULL << _UFFDIO_REGISTER))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int get_uffd(void)
{
	int fd;

	pthread_mutex_lock(&uffd_lock);
	if (uffd < 0)
		uffd = uffd_open();
	fd = uffd;
	pthread_mutex_unlock(&uffd_lock);
	return fd;
}

int am_uffd_probe(void)
{
	return get_uffd() < 0 ? -1 : 0;
}

/* The child has its own mm: the parent's userfaultfd cannot serve it. */
void am_uffd_forget(void)
{
	if (uffd >= 0)
		close(uffd);
	uffd = -1;
	pthread_mutex_init(&uffd_lock, NULL);
}

static int uffd_register(int fd, uintptr_t start, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	am_count(uffd_ioctls, 1);
	return ioctl(fd, UFFDIO_REGISTER, &reg);
}

static int uffd_range_ioctl(int fd, unsigned long cmd, uintptr_t start,
			    size_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	am_count(uffd_ioctls, 1);
	return ioctl(fd, cmd, &range);
}

/*
 * UFFDIO_MOVE [src, src + len) to dst, retrying after EAGAIN (a page
 * changing under it). Returns how many bytes moved; errno says why it
 * stopped short.
 */
static unsigned long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000UL + ts.tv_nsec;
}

static size_t uffd_move(int fd, uintptr_t dst, uintptr_t src, size_t len)
{
	unsigned long t0 = now_ns();
	size_t done = 0;
	int retries = 0;

	while (done < len) {
		struct uffdio_move mv = {
			.dst = dst + done,
			.src = src + done,
			.len = len - done,
			.mode = UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES |
				UFFDIO_MOVE_MODE_DONTWAKE,
		};
		int ret;

		am_count(uffd_ioctls, 1);
		ret = ioctl(fd, UFFDIO_MOVE, &mv);
		if (mv.move > 0)
			done += mv.move;
		if (!ret) {
			done = len;
			break;
		}
		if (errno != EAGAIN || ++retries > EAGAIN_RETRIES)
			break;
	}
	am_count(uffd_move_ns, now_ns() - t0);
	return done;
}

/*
 * Map new_len bytes for the destination. Unless the caller fixed it, put
 * it at the source's offset in a PMD when it is that large, so that
 * UFFDIO_MOVE can move PMD-mapped THPs whole.
 */
static uintptr_t map_destination(uintptr_t old, size_t new_len, int flags,
				 uintptr_t new_addr, int prot)
{
	const int anon = MAP_PRIVATE | MAP_ANONYMOUS;
	size_t pmd = PMD_SIZE_GUESS;
	uintptr_t res, dst;
	void *p;

	if (flags & MREMAP_FIXED) {
		p = mmap((void *)new_addr, new_len, prot, anon | MAP_FIXED, -1, 0);
		return p == MAP_FAILED ? 0 : (uintptr_t)p;
	}
	if (new_len < pmd) {
		p = mmap(NULL, new_len, prot, anon, -1, 0);
		return p == MAP_FAILED ? 0 : (uintptr_t)p;
	}
	p = mmap(NULL, new_len + pmd, PROT_NONE, anon | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	res = (uintptr_t)p;
	dst = res + ((old - res) & (pmd - 1));
	if (dst > res)
		munmap(p, dst - res);
	if (res + pmd > dst)
		munmap((void *)(dst + new_len), res + pmd - dst);
	p = mmap((void *)dst, new_len, prot, anon | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		munmap((void *)dst, new_len);
		return 0;
	}
	return dst;
}

void *am_uffd_mremap(void *old_p, size_t old_len, size_t new_len, int flags,
		     void *new_p)
{
	uintptr_t old = (uintptr_t)old_p, new_addr = (uintptr_t)new_p, dst;
	size_t ps = sysconf(_SC_PAGESIZE), len, done;
	struct am_vma vma, dvma;
	uintptr_t reg, reg_end;	/* the destination's registered VMA */
	unsigned long t0;
	void *rest;
	int fd;

	/* Anything unusual goes to mremap(), which also reports errors. */
	if ((old & (ps - 1)) || !old_len || !new_len ||
	    ((flags & MREMAP_FIXED) && (new_addr & (ps - 1))))
		goto plain;
	old_len = (old_len + ps - 1) & ~(ps - 1);
	new_len = (new_len + ps - 1) & ~(ps - 1);
	if (old + old_len < old || ((flags & MREMAP_FIXED) &&
	    (new_addr + new_len < new_addr ||
	     (old < new_addr + new_len && new_addr < old + old_len))))
		goto plain;
	/* One private anonymous read/write VMA, as UFFDIO_MOVE needs. */
	if (am_find_vma(old, &vma) || old + old_len > vma.end ||
	    !vma.private_anon || vma.prot != (PROT_READ | PROT_WRITE))
		goto plain;
	fd = get_uffd();
	if (fd < 0)
		goto plain;

	t0 = now_ns();
	len = old_len < new_len ? old_len : new_len;
	dst = map_destination(old, new_len, flags, new_addr, vma.prot);
	if (!dst)
		goto plain;
	/*
	 * Register the whole VMA the destination landed in: mmap() merged it
	 * with any like neighbours, and a neighbour that has no anon_vma yet
	 * then gets the one UFFDIO_MOVE brings, instead of being split off
	 * and left apart (before 6.16, a VMA with an anon_vma does not merge
	 * back into one without). Faults on that neighbour's holes wait for
	 * the unregistration and are then served as before. Not if that VMA
	 * is the source's: the source must stay registered until it is gone.
	 */
	reg = dst;
	reg_end = dst + len;
	if (!am_find_vma(dst, &dvma) && dvma.end >= reg_end &&
	    (old + len <= dvma.start || old >= dvma.end)) {
		reg = dvma.start;
		reg_end = dvma.end;
	}
	if (uffd_register(fd, reg, reg_end - reg))
		goto unmap;
	if (uffd_register(fd, old, len)) {
		uffd_range_ioctl(fd, UFFDIO_UNREGISTER, reg, reg_end - reg);
		goto unmap;
	}

	done = uffd_move(fd, dst, old, len);
	if (done < len) {
		/* What UFFDIO_MOVE cannot take moves as mremap() moves it. */
		am_count(fallbacks, 1);
		rest = am_plain_mremap((void *)(old + done), len - done,
				       len - done, MREMAP_MAYMOVE | MREMAP_FIXED,
				       (void *)(dst + done));
		if (rest == MAP_FAILED) {
			int err = errno;

			/*
			 * Put back what moved (the source is registered too).
			 * That cannot fail unless another thread forked or
			 * pinned meanwhile; rather than lose data, stop.
			 */
			if (done && uffd_move(fd, old, dst, done) < done)
				abort();
			uffd_range_ioctl(fd, UFFDIO_UNREGISTER, reg, reg_end - reg);
			uffd_range_ioctl(fd, UFFDIO_UNREGISTER, old, len);
			uffd_range_ioctl(fd, UFFDIO_WAKE, old, len);
			if (!(flags & MREMAP_FIXED))
				munmap((void *)dst, new_len);
			errno = err;
			return MAP_FAILED;
		}
	}
	am_count(uffd_moves, 1);
	am_count(uffd_bytes, done);

	/* Destination waiters find their pages; source waiters, no VMA. */
	uffd_range_ioctl(fd, UFFDIO_UNREGISTER, reg, reg_end - reg);
	if (done < len)	/* unregistering wakes only what stayed registered */
		uffd_range_ioctl(fd, UFFDIO_WAKE, dst, len);
	munmap((void *)old, old_len);
	uffd_range_ioctl(fd, UFFDIO_WAKE, old, len);
	am_count(uffd_ns, now_ns() - t0);
	return (void *)dst;

unmap:
	if (!(flags & MREMAP_FIXED))
		munmap((void *)dst, new_len);
plain:
	return am_plain_mremap(old_p, old_len, new_len, flags, new_p);
}
