// SPDX-License-Identifier: GPL-2.0
/*
 * Tests of libanonmove, on whatever kernel runs them: each test runs once
 * per mechanism (ANONMOVE_MECHANISM caps the probe), and a mechanism this
 * kernel lacks is skipped with the reason. Layouts are checked exactly
 * with /proc/self/maps, contents byte for byte.
 */
#define _GNU_SOURCE
#include "../kselftest_harness.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include "anonmove.h"

#define CARVEOUT_PAGES	512

FIXTURE(anonmove)
{
	char *carveout;
	unsigned long ps;
	int mechanism;
};

FIXTURE_VARIANT(anonmove)
{
	const char *env;
	int mechanism;
	bool relocates;
};

FIXTURE_VARIANT_ADD(anonmove, kernel)
{
	.env = "kernel", .mechanism = ANONMOVE_KERNEL, .relocates = true,
};

FIXTURE_VARIANT_ADD(anonmove, uffd)
{
	.env = "uffd", .mechanism = ANONMOVE_UFFD, .relocates = true,
};

FIXTURE_VARIANT_ADD(anonmove, plain)
{
	.env = "plain", .mechanism = ANONMOVE_PLAIN, .relocates = false,
};

FIXTURE_SETUP(anonmove)
{
	/* Each test runs in its own process: the probe happens here. */
	ASSERT_EQ(setenv("ANONMOVE_MECHANISM", variant->env, 1), 0);
	self->mechanism = anonmove_supported();
	if (self->mechanism != variant->mechanism)
		SKIP(return, "mechanism %s not available on this kernel (got %s)",
		     variant->env, anonmove_mechanism_name(self->mechanism));
	self->ps = sysconf(_SC_PAGESIZE);
	self->carveout = mmap(NULL, CARVEOUT_PAGES * self->ps, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(self->carveout, MAP_FAILED);
}

FIXTURE_TEARDOWN(anonmove)
{
	if (self->carveout)
		munmap(self->carveout, CARVEOUT_PAGES * self->ps);
}

static char *map_at(char *addr, unsigned long pages, unsigned long ps)
{
	return mmap(addr, pages * ps, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
}

static void fill(char *addr, unsigned long pages, unsigned long ps, char seed)
{
	for (unsigned long i = 0; i < pages; i++)
		memset(addr + i * ps, seed + i, ps);
}

static bool holds(const char *addr, unsigned long pages, unsigned long ps,
		  char seed)
{
	for (unsigned long i = 0; i < pages * ps; i++)
		if (addr[i] != (char)(seed + i / ps))
			return false;
	return true;
}

static bool range_is_zero(const char *addr, unsigned long len)
{
	for (unsigned long i = 0; i < len; i++)
		if (addr[i])
			return false;
	return true;
}

/* The VMA holding addr, from /proc/self/maps: 0, or -1 if none. */
static int vma_of(const void *addr, unsigned long *start, unsigned long *end)
{
	unsigned long a = (unsigned long)addr, s, e;
	char line[512];
	int ret = -1;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && a >= s && a < e) {
			*start = s;
			*end = e;
			ret = 0;
			break;
		}
	fclose(f);
	return ret;
}

#define ASSERT_VMA(addr, from, to) do {					\
	unsigned long __s, __e;						\
	ASSERT_EQ(vma_of(addr, &__s, &__e), 0);				\
	ASSERT_EQ(__s, (unsigned long)(from));				\
	ASSERT_EQ(__e, (unsigned long)(to));				\
} while (0)

#define ASSERT_UNMAPPED(addr) do {					\
	unsigned long __s, __e;						\
	ASSERT_NE(vma_of(addr, &__s, &__e), 0);				\
} while (0)

static char *move(char *from, unsigned long pages, char *to, unsigned long ps)
{
	return anonmove_mremap(from, pages * ps, pages * ps,
			       MREMAP_MAYMOVE | MREMAP_FIXED, to);
}

#define NONE	-1	/* no neighbour */
#define UNFAULTED 0	/* a neighbour never written */

/*
 * Map a 3-page neighbour before and one after a 3-page hole at at[3 pages]
 * (filled with seed prev and next, or UNFAULTED, or NONE), move a faulted
 * 3-page range from elsewhere into the hole; check every page after.
 */
static void move_into_hole(struct __test_metadata *_metadata, char *at,
			   char *from, unsigned long ps, int prev, int next)
{
	char *hole = &at[3 * ps], *after = &at[6 * ps];

	if (prev != NONE)
		ASSERT_EQ(map_at(at, 3, ps), at);
	if (next != NONE)
		ASSERT_EQ(map_at(after, 3, ps), after);
	if (prev > 0)
		fill(at, 3, ps, prev);
	if (next > 0)
		fill(after, 3, ps, next);
	ASSERT_EQ(map_at(from, 3, ps), from);
	fill(from, 3, ps, 'x');
	ASSERT_EQ(move(from, 3, hole, ps), hole);
	ASSERT_UNMAPPED(from);
	ASSERT_TRUE(holds(hole, 3, ps, 'x'));
	if (prev != NONE)
		ASSERT_TRUE(prev ? holds(at, 3, ps, prev) : range_is_zero(at, 3 * ps));
	if (next != NONE)
		ASSERT_TRUE(next ? holds(after, 3, ps, next) :
				   range_is_zero(after, 3 * ps));
}

/*
 *  a (faulted)      b (faulted)             a        b moved here
 * |-----------|    |-----------|   ->    |-----------------------|
 *                                         one VMA when relocated
 */
TEST_F(anonmove, moved_after_faulted_neighbour_merges)
{
	char *at = &self->carveout[self->ps];
	unsigned long ps = self->ps;

	move_into_hole(_metadata, at, &self->carveout[60 * ps], ps, 'a', NONE);
	if (variant->relocates)
		ASSERT_VMA(at, at, &at[6 * ps]);
	else
		ASSERT_VMA(at, at, &at[3 * ps]);
}

/*
 *  b (faulted)                  a (faulted)       b moved    a
 * |-----------|   ........    |-----------|  ->  |-----------------------|
 */
TEST_F(anonmove, moved_before_faulted_neighbour_merges)
{
	char *at = &self->carveout[self->ps];
	unsigned long ps = self->ps;

	move_into_hole(_metadata, at, &self->carveout[60 * ps], ps, NONE, 'a');
	if (variant->relocates)
		ASSERT_VMA(&at[6 * ps], &at[3 * ps], &at[9 * ps]);
	else
		ASSERT_VMA(&at[6 * ps], &at[6 * ps], &at[9 * ps]);
}

/*
 * Unfaulted neighbours: the moved range takes its place in the layout as
 * if it had never been written.
 *
 *  u (unfaulted)     b (faulted)           u        b moved here
 * |-----------|     |-----------|   ->   |-----------------------|
 */
TEST_F(anonmove, moved_after_unfaulted_neighbour_merges)
{
	char *at = &self->carveout[self->ps];
	unsigned long ps = self->ps;

	move_into_hole(_metadata, at, &self->carveout[60 * ps], ps, UNFAULTED,
		       NONE);
	if (variant->relocates)
		ASSERT_VMA(at, at, &at[6 * ps]);
	else
		ASSERT_VMA(at, at, &at[3 * ps]);
}

/*
 *  a (faulted)   hole    u (unfaulted)          a     moved     u
 * |-----------|.......|-----------|   ->   |-------------------------|
 */
TEST_F(anonmove, moved_between_faulted_and_unfaulted_merges)
{
	char *at = &self->carveout[self->ps];
	unsigned long ps = self->ps;

	move_into_hole(_metadata, at, &self->carveout[60 * ps], ps, 'a',
		       UNFAULTED);
	if (variant->relocates)
		ASSERT_VMA(at, at, &at[9 * ps]);
	else
		ASSERT_VMA(&at[3 * ps], &at[3 * ps], &at[6 * ps]);
}

/*
 * Two faulted neighbours that were faulted apart have different anon_vmas:
 * a relocated range joins one of them (the one before), never both.
 *
 *  a (faulted)   hole    c (faulted)            a      moved     c
 * |-----------|.......|-----------|   ->   |-------------------|-----------|
 */
TEST_F(anonmove, moved_between_unrelated_faulted_merges_with_prev)
{
	char *at = &self->carveout[self->ps];
	unsigned long ps = self->ps;

	move_into_hole(_metadata, at, &self->carveout[60 * ps], ps, 'a', 'c');
	ASSERT_VMA(&at[6 * ps], &at[6 * ps], &at[9 * ps]);
	if (variant->relocates)
		ASSERT_VMA(at, at, &at[6 * ps]);
	else
		ASSERT_VMA(at, at, &at[3 * ps]);
}

/*
 * A hole punched in one faulted range, so both sides share an anon_vma,
 * and a range moved into it: relocated, the three merge into one.
 *
 *  prev      hole      next            prev    moved     next
 * |--------|.........|--------|  ->  |----------------------------|
 */
TEST_F(anonmove, moved_into_hole_merges_both_sides)
{
	unsigned long ps = self->ps;
	char *p = &self->carveout[ps], *src = &self->carveout[100 * ps];

	ASSERT_EQ(map_at(p, 9, ps), p);
	fill(p, 9, ps, 'p');
	ASSERT_EQ(munmap(&p[3 * ps], 3 * ps), 0);
	ASSERT_EQ(map_at(src, 3, ps), src);
	fill(src, 3, ps, 's');
	ASSERT_EQ(move(src, 3, &p[3 * ps], ps), &p[3 * ps]);
	ASSERT_TRUE(holds(p, 3, ps, 'p'));
	ASSERT_TRUE(holds(&p[3 * ps], 3, ps, 's'));
	ASSERT_TRUE(holds(&p[6 * ps], 3, ps, 'p' + 6));
	if (variant->relocates)
		ASSERT_VMA(p, p, &p[9 * ps]);
	else
		ASSERT_VMA(&p[3 * ps], &p[3 * ps], &p[6 * ps]);
}

/*
 * A move onto the pages right after the source: the destination is mapped
 * as part of the source's VMA, and must still end up alone, holding the
 * data, with the source gone.
 *
 *  src           dst                               dst
 * |-----------|...........|   ->   ...........|-----------|
 */
TEST_F(anonmove, moved_right_after_itself)
{
	unsigned long ps = self->ps;
	char *src = &self->carveout[ps], *dst = &src[3 * ps];

	ASSERT_EQ(map_at(src, 3, ps), src);
	fill(src, 3, ps, 's');
	ASSERT_EQ(move(src, 3, dst, ps), dst);
	ASSERT_TRUE(holds(dst, 3, ps, 's'));
	ASSERT_UNMAPPED(src);
	ASSERT_VMA(dst, dst, &dst[3 * ps]);
}

/* MREMAP_FIXED over a mapping replaces it, as mremap() does. */
TEST_F(anonmove, fixed_over_mapping_replaces_it)
{
	unsigned long ps = self->ps;
	char *src = &self->carveout[ps], *dst = &self->carveout[50 * ps];

	ASSERT_EQ(map_at(src, 4, ps), src);
	ASSERT_EQ(map_at(dst, 6, ps), dst);
	fill(src, 4, ps, 's');
	fill(dst, 6, ps, 'd');
	ASSERT_EQ(move(src, 4, dst, ps), dst);
	ASSERT_TRUE(holds(dst, 4, ps, 's'));
	ASSERT_TRUE(holds(&dst[4 * ps], 2, ps, 'd' + 4));
	ASSERT_UNMAPPED(src);
}

/* Growing and shrinking while moving; the old range goes entirely. */
TEST_F(anonmove, grow_and_shrink_keep_data)
{
	unsigned long ps = self->ps;
	char *src = &self->carveout[ps], *dst = &self->carveout[50 * ps];
	char *p;

	ASSERT_EQ(map_at(src, 6, ps), src);
	fill(src, 6, ps, 's');
	p = anonmove_mremap(src, 6 * ps, 3 * ps, MREMAP_MAYMOVE | MREMAP_FIXED,
			    dst);
	ASSERT_EQ(p, dst);
	ASSERT_TRUE(holds(dst, 3, ps, 's'));
	ASSERT_UNMAPPED(src);
	ASSERT_UNMAPPED(&src[5 * ps]);
	ASSERT_VMA(dst, dst, &dst[3 * ps]);

	/* Grow without MREMAP_FIXED: a neighbour stops it growing in place. */
	ASSERT_EQ(map_at(&dst[3 * ps], 1, ps), &dst[3 * ps]);
	p = anonmove_mremap(dst, 3 * ps, 8 * ps, MREMAP_MAYMOVE, NULL);
	ASSERT_NE(p, MAP_FAILED);
	ASSERT_NE(p, dst);
	ASSERT_TRUE(holds(p, 3, ps, 's'));
	for (unsigned long i = 3 * ps; i < 8 * ps; i++)
		ASSERT_EQ(p[i], 0);
	ASSERT_EQ(vma_of(dst, &(unsigned long){0}, &(unsigned long){0}), -1);
	ASSERT_EQ(munmap(p, 8 * ps), 0);
}

/*
 * Bad calls fail with mremap()'s errno and change nothing: a source
 * spanning two VMAs (with a size change), unknown flags, an unaligned
 * address, overlapping ranges, MREMAP_FIXED without MREMAP_MAYMOVE.
 */
TEST_F(anonmove, bad_calls_fail_and_change_nothing)
{
	unsigned long ps = self->ps;
	char *a = &self->carveout[ps], *dst = &self->carveout[50 * ps];
	const int fixed = MREMAP_MAYMOVE | MREMAP_FIXED;

	ASSERT_EQ(map_at(a, 2, ps), a);
	ASSERT_EQ(mprotect(&a[ps], ps, PROT_READ), 0);	/* two VMAs */
	fill(a, 1, ps, 'a');
	ASSERT_EQ(map_at(dst, 4, ps), dst);
	fill(dst, 4, ps, 'd');

	/* (6.12 unmaps the destination before it sees this: use a hole.) */
	errno = 0;
	ASSERT_EQ(anonmove_mremap(a, 2 * ps, 3 * ps, fixed,
				  &self->carveout[100 * ps]), MAP_FAILED);
	ASSERT_EQ(errno, EFAULT);
	errno = 0;
	ASSERT_EQ(anonmove_mremap(a, ps, ps, fixed | 64, dst), MAP_FAILED);
	ASSERT_EQ(errno, EINVAL);
	errno = 0;
	ASSERT_EQ(anonmove_mremap(a + 1, ps, ps, fixed, dst), MAP_FAILED);
	ASSERT_EQ(errno, EINVAL);
	errno = 0;
	ASSERT_EQ(anonmove_mremap(a, ps, ps, fixed, a), MAP_FAILED);
	ASSERT_EQ(errno, EINVAL);
	errno = 0;
	ASSERT_EQ(anonmove_mremap(a, ps, ps, MREMAP_FIXED, dst), MAP_FAILED);
	ASSERT_EQ(errno, EINVAL);

	ASSERT_VMA(a, a, &a[ps]);
	ASSERT_VMA(&a[ps], &a[ps], &a[2 * ps]);
	ASSERT_TRUE(holds(a, 1, ps, 'a'));
	ASSERT_VMA(dst, dst, &dst[4 * ps]);
	ASSERT_TRUE(holds(dst, 4, ps, 'd'));
}

/*
 * Pages still shared with a forked child cannot be relocated: the move
 * still happens (the rest of it plainly), each side keeps its own data.
 */
TEST_F(anonmove, pages_shared_with_child_still_move)
{
	unsigned long ps = self->ps;
	char *src = &self->carveout[ps], *dst = &self->carveout[50 * ps];
	int go[2], done[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(map_at(src, 4, ps), src);
	fill(src, 4, ps, 's');
	ASSERT_EQ(pipe(go), 0);
	ASSERT_EQ(pipe(done), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		/* Hold the pages shared until the parent moved them. */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(holds(src, 4, ps, 's') ? 0 : 1);
	}
	ASSERT_EQ(move(src, 4, dst, ps), dst);
	ASSERT_TRUE(holds(dst, 4, ps, 's'));
	fill(dst, 4, ps, 'n');		/* the child must not see this */
	ASSERT_EQ(write(go[1], &c, 1), 1);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	ASSERT_TRUE(holds(dst, 4, ps, 'n'));
	ASSERT_UNMAPPED(src);
	if (self->mechanism == ANONMOVE_UFFD) {
		struct anonmove_stats st;

		anonmove_get_stats(&st);
		ASSERT_EQ(st.fallbacks, 1);
	}
}

/*
 * Pages pinned for DMA (io_uring fixed buffers pin them FOLL_LONGTERM)
 * are never relocated: the move happens plainly and they stay pinned.
 *
 *  a (faulted)   pinned moved here         a          pinned
 * |-----------|.................|   ->   |-----------|-----------|
 */
TEST_F(anonmove, pinned_pages_move_plainly)
{
	unsigned long ps = self->ps;
	char *a = &self->carveout[ps], *src = &self->carveout[60 * ps];
	struct io_uring_params params = { 0 };
	struct iovec iov = { .iov_base = src, .iov_len = 3 * ps };
	int ring;

	ASSERT_EQ(map_at(a, 3, ps), a);
	ASSERT_EQ(map_at(src, 3, ps), src);
	fill(a, 3, ps, 'a');
	fill(src, 3, ps, 'x');
	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0)
		SKIP(return, "cannot pin pages: io_uring_setup: %s",
		     strerror(errno));
	ASSERT_EQ(syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
			  &iov, 1), 0);

	ASSERT_EQ(move(src, 3, &a[3 * ps], ps), &a[3 * ps]);
	ASSERT_TRUE(holds(&a[3 * ps], 3, ps, 'x'));
	ASSERT_TRUE(holds(a, 3, ps, 'a'));
	ASSERT_VMA(&a[3 * ps], &a[3 * ps], &a[6 * ps]);
	ASSERT_UNMAPPED(src);
	if (self->mechanism == ANONMOVE_UFFD) {
		struct anonmove_stats st;

		anonmove_get_stats(&st);
		ASSERT_EQ(st.fallbacks, 1);
	}
	ASSERT_EQ(syscall(__NR_io_uring_register, ring,
			  IORING_UNREGISTER_BUFFERS, NULL, 0), 0);
	close(ring);
}

/*
 * A PMD-aligned THP moved to a PMD-aligned place stays one PMD-mapped THP;
 * without MREMAP_FIXED the library picks such a place itself.
 */
static long anon_huge_kb(const void *addr)
{
	unsigned long a = (unsigned long)addr, s, e;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') <
		    strchr(line, ' '))
			in = a >= s && a < e;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

TEST_F(anonmove, thp_moves_whole)
{
	unsigned long ps = self->ps, pmd = 2UL << 20;
	char *area, *src, *dst, *p;

	area = mmap(NULL, 6 * pmd, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ASSERT_NE(area, MAP_FAILED);
	src = (char *)(((unsigned long)area + pmd - 1) & ~(pmd - 1));
	dst = src + 2 * pmd;
	ASSERT_EQ(map_at(src, pmd / ps, ps), src);
	if (madvise(src, pmd, MADV_HUGEPAGE))
		SKIP(goto out, "no THP (MADV_HUGEPAGE: %s)", strerror(errno));
	memset(src, 't', pmd);
	if (anon_huge_kb(src) != 2048)
		SKIP(goto out, "no THP at the first fault");
	p = anonmove_mremap(src, pmd, pmd, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(p, dst);
	for (unsigned long i = 0; i < pmd; i += ps)
		ASSERT_EQ(dst[i], 't');
	EXPECT_EQ(anon_huge_kb(dst), 2048);
	/* Without MREMAP_FIXED, growing past a neighbour. */
	ASSERT_EQ(map_at(dst + pmd, 1, ps), dst + pmd);
	p = anonmove_mremap(dst, pmd, 2 * pmd, MREMAP_MAYMOVE, NULL);
	ASSERT_NE(p, MAP_FAILED);
	ASSERT_EQ(((unsigned long)p) & (pmd - 1), 0);
	ASSERT_EQ(p[pmd - 1], 't');
	EXPECT_EQ(anon_huge_kb(p), 2048);
	munmap(p, 2 * pmd);
out:
	munmap(area, 6 * pmd);
}

/*
 * Readers keep reading the buffer through a shared pointer while it moves
 * from slot to slot: every read sees the data, or SIGSEGV once the old
 * place is gone; never a zero page where data was on its way.
 */
#define READERS		2
#define MOVES		48
#define BUF_PAGES	8

struct readers {
	char *volatile buf;
	volatile bool stop;
	unsigned long ps, reads, segvs, bad;
};

static __thread sigjmp_buf reader_jmp;

static void reader_segv(int sig)
{
	(void)sig;
	siglongjmp(reader_jmp, 1);
}

static void *reader(void *arg)
{
	struct readers *r = arg;
	volatile unsigned long segvs = 0, bad = 0;

	while (!r->stop) {
		char *buf = r->buf;

		if (sigsetjmp(reader_jmp, 1)) {
			segvs++;
			continue;
		}
		for (unsigned long i = 0; i < BUF_PAGES; i++)
			if (buf[i * r->ps + i] != (char)('r' + i))
				bad++;
		__atomic_fetch_add(&r->reads, 1, __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&r->segvs, segvs, __ATOMIC_RELAXED);
	__atomic_fetch_add(&r->bad, bad, __ATOMIC_RELAXED);
	return NULL;
}

TEST_F(anonmove, concurrent_readers_never_see_zeroes)
{
	unsigned long ps = self->ps;
	struct sigaction sa = { .sa_handler = reader_segv };
	struct readers r = { .ps = ps };
	pthread_t th[READERS];
	unsigned long seen;
	char *buf, *slot;

	/* Slots of BUF_PAGES + 1 pages in the carveout, each used once. */
	ASSERT_LE(MOVES * (BUF_PAGES + 1), CARVEOUT_PAGES - BUF_PAGES);
	sa.sa_flags = SA_NODEFER;
	ASSERT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	buf = self->carveout;
	ASSERT_EQ(map_at(buf, BUF_PAGES, ps), buf);
	fill(buf, BUF_PAGES, ps, 'r');
	r.buf = buf;
	for (int i = 0; i < READERS; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, reader, &r), 0);
	for (int m = 1; m <= MOVES; m++) {
		slot = &self->carveout[m * (BUF_PAGES + 1) * ps];
		ASSERT_EQ(move(buf, BUF_PAGES, slot, ps), slot);
		buf = slot;
		r.buf = buf;
		/* Readers are reading the new place before it moves again. */
		seen = __atomic_load_n(&r.reads, __ATOMIC_ACQUIRE);
		while (__atomic_load_n(&r.reads, __ATOMIC_ACQUIRE) < seen + READERS)
			sched_yield();
	}
	r.stop = true;
	for (int i = 0; i < READERS; i++)
		ASSERT_EQ(pthread_join(th[i], NULL), 0);
	signal(SIGSEGV, SIG_DFL);
	TH_LOG("%lu reads, %lu ended by SIGSEGV, %d moves", r.reads, r.segvs,
	       MOVES);
	ASSERT_EQ(r.bad, 0);
	ASSERT_GT(r.reads, 0);
	ASSERT_TRUE(holds(buf, BUF_PAGES, ps, 'r'));
}

TEST_HARNESS_MAIN
