// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * seqcheck: a seeded random sequence of mmap, write, munmap, mprotect,
 * mremap (plain and MREMAP_MUST_RELOCATE_ANON, moving, growing, shrinking,
 * over existing mappings), mremap errors, MADV_DONTNEED, MADV_PAGEOUT,
 * MADV_COLLAPSE and fork on private anonymous memory in a 16 MiB arena,
 * checked after every step against a model of what the kernel must show:
 * the exact VMAs (start, end and protection, from /proc/self/maps, which
 * shows anonymous VMAs' page offsets as 0: the model keeps them to predict
 * merges) and the exact contents of every page.
 *
 * The model follows the merge rules of mm/vma.c: a range merges with a
 * neighbour of the same flags (protection, and VM_ACCOUNT, which mprotect()
 * drops from a read-only VMA without an anon_vma) whose offsets continue its own and
 * whose anon_vma is compatible (equal, or the range has none and the
 * neighbour has one; on kernels since 6.16 and with the series, also the
 * range has one and the neighbour none, which then takes it: no fork child
 * outlives a step here); a first write gives an unfaulted VMA the anon_vma
 * of a touching neighbour with continuing offsets
 * (find_mergeable_anon_vma()), else a new one; a plain move keeps a
 * faulted range's offsets, an unfaulted one takes its new address's; a
 * relocating move that cannot merge as is takes its new address's offsets
 * and merges like an unfaulted range, and if it merges with nothing takes
 * the anon_vma a first write there would (the series). A relocation the
 * kernel declines (EFAULT: a folio shared, pinned or busy) must change
 * nothing; the step then moves plainly.
 *
 * On any difference it prints the seed, the step, the recent steps and
 * both layouts, and exits 1. The sequence is a function of the seed, except
 * where a relocation is declined (that depends on what else runs).
 *
 * With -k every mapping is made KSM-mergeable (MADV_MERGEABLE, so all
 * VMAs alike: the merge model is unchanged) and some writes fill pages
 * with zeroes or with what other pages of the same step hold, so that
 * ksmd, where it runs, merges them: KSM pages and KSM zero pages then meet
 * relocating moves (which must decline them).
 *
 * Usage: seqcheck [-s SEED] [-n STEPS] [-r RUNS] [-t SECONDS] [-k] [-v]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#define MREMAP_RELOCATE_ANON 8
#define MREMAP_MUST_RELOCATE_ANON 16
#define PR_SET_ANON_RELOCATE 0x41524c53 /* "ARLS", as in the series uapi prctl.h */
#define PR_ANON_RELOCATE_OFF 0

#define PAGE 4096UL
#define WORDS (PAGE / sizeof(uint64_t))
#define PMD_PAGES 512L
#define NPAGES (8 * PMD_PAGES)		/* 16 MiB */
#define MAXLEN 96L			/* pages in a random range */
#define HISTORY 12

struct page_model {
	bool mapped;
	bool writable;
	bool account;	/* VM_ACCOUNT: the other flag that can differ */
	uint32_t vid;	/* VMA: a run of mapped pages with one vid */
	uint32_t av;	/* anon_vma, 0 if none; one per VMA */
	uint32_t tag;	/* contents: 0 zero-filled, else written by tag */
	unsigned long pgoff;
};

struct model {
	char *base;			/* PMD-aligned arena */
	struct page_model pg[NPAGES];
	uint32_t next_av, next_tag, nvid;
	uint64_t rng;
	bool relocation;		/* the kernel has the series */
	bool multi_vma_move;		/* 6.17+ and the series move a range over several VMAs */
};

/* 6.16+ and the series: a faulted range merges with an unfaulted VMA. */
static bool faulted_merges_unfaulted;

struct stats {
	unsigned long steps, mmaps, writes, munmaps, mprotects, moves;
	unsigned long relocated, repointed, declined, grows, dontneeds, pageouts;
	unsigned long multi_moves;	/* of them, of ranges spanning VMAs */
	unsigned long collapses, collapsed, forks, errors, max_vmas;
};

/* glibc's mremap() rejects flags it does not know: call the kernel. */
static void *sys_mremap(void *old, unsigned long old_len, unsigned long new_len,
			unsigned long flags, void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

static char history[HISTORY][160];
static unsigned long hist_step;
static bool verbose;

static uint64_t rnd(struct model *m)
{
	m->rng ^= m->rng >> 12;
	m->rng ^= m->rng << 25;
	m->rng ^= m->rng >> 27;
	return m->rng * 2685821657736338717ULL;
}

static long rnd_below(struct model *m, long n)
{
	return n > 0 ? (long)(rnd(m) % (uint64_t)n) : 0;
}

static bool chance(struct model *m, int percent)
{
	return rnd_below(m, 100) < percent;
}

static char *addr_of(struct model *m, long p)
{
	return m->base + p * PAGE;
}

/* Describe the current step, for the failure report and -v. */
static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char *h = history[hist_step % HISTORY];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h, sizeof(history[0]), fmt, ap);
	va_end(ap);
	if (verbose)
		printf("  %lu: %s\n", hist_step, h);
}

/* ---- the model ---- */

static long run_start(struct model *m, long p)
{
	while (p > 0 && m->pg[p - 1].mapped && m->pg[p - 1].vid == m->pg[p].vid)
		p--;
	return p;
}

static long run_end(struct model *m, long p)
{
	while (p + 1 < NPAGES && m->pg[p + 1].mapped &&
	       m->pg[p + 1].vid == m->pg[p].vid)
		p++;
	return p + 1;
}

/* Give every VMA (maximal run of one vid) its own vid again. */
static void renumber(struct model *m)
{
	uint32_t old = 0, id = 0;
	bool prev_mapped = false;

	for (long p = 0; p < NPAGES; p++) {
		if (!m->pg[p].mapped) {
			prev_mapped = false;
			continue;
		}
		if (!prev_mapped || m->pg[p].vid != old)
			id++;
		old = m->pg[p].vid;
		m->pg[p].vid = id;
		prev_mapped = true;
	}
	m->nvid = id + 1;
}

static bool same_flags(const struct page_model *a, const struct page_model *b)
{
	return a->writable == b->writable && a->account == b->account;
}

/*
 * is_mergeable_anon_vma(): a neighbour's chain is singular iff it has an
 * anon_vma, and no fork shares an anon_vma beyond the step that forked.
 */
static bool anon_mergeable(uint32_t mine, uint32_t neighbour)
{
	if (mine && !neighbour)
		return faulted_merges_unfaulted;
	return !mine || mine == neighbour;
}

/* are_anon_vmas_compatible(): prev and next, no VMA given. */
static bool anon_compatible(uint32_t a, uint32_t b)
{
	return !a || !b || a == b;
}

/*
 * vma_merge_new_range() / vma_merge_existing_range() for the range [s, e),
 * whose pages already carry its protection, offsets and a vid of their own;
 * @av is the anon_vma the range brings (vmg->anon_vma).
 *
 *   prev          [s, e)           next
 * |-------------|................|-------------|
 *  merges left if prev's offsets run into s's; right likewise into next's,
 *  and if it merges both ways, prev's and next's anon_vmas must agree.
 *
 * Returns the anon_vma of the VMA the range ends up in.
 */
static uint32_t merge_range(struct model *m, long s, long e, uint32_t av)
{
	struct page_model *pg = m->pg;
	bool left = false, right = false;
	long from = s, to = e;
	uint32_t res;

	if (s > 0 && pg[s - 1].mapped && same_flags(&pg[s - 1], &pg[s]) &&
	    pg[s - 1].pgoff + 1 == pg[s].pgoff && anon_mergeable(av, pg[s - 1].av))
		left = true;
	if (e < NPAGES && pg[e].mapped && same_flags(&pg[e], &pg[s]) &&
	    pg[e - 1].pgoff + 1 == pg[e].pgoff && anon_mergeable(av, pg[e].av) &&
	    (!left || anon_compatible(pg[s - 1].av, pg[e].av)))
		right = true;
	res = av;
	if (left && pg[s - 1].av)
		res = pg[s - 1].av;
	if (right && pg[e].av)
		res = pg[e].av;
	if (left)
		from = run_start(m, s - 1);
	if (right)
		to = run_end(m, e);
	for (long p = from; p < to; p++) {
		pg[p].vid = pg[s].vid;
		pg[p].av = res;
	}
	return res;
}

/* Set [s, e) to a new VMA's pages: flags of @like, offsets from @pgoff, @av. */
static void place(struct model *m, long s, long e, struct page_model like,
		  unsigned long pgoff, uint32_t av)
{
	uint32_t vid = m->nvid++;

	for (long p = s; p < e; p++) {
		m->pg[p].mapped = true;
		m->pg[p].writable = like.writable;
		m->pg[p].account = like.account;
		m->pg[p].vid = vid;
		m->pg[p].av = av;
		m->pg[p].pgoff = pgoff + (p - s);
	}
}

static unsigned long linear_pgoff(struct model *m, long p)
{
	return (unsigned long)addr_of(m, p) / PAGE;
}

/*
 * The anon_vma a VMA [s, e) would reuse from a touching neighbour with
 * continuing offsets and flags alike but for the access bits
 * (find_mergeable_anon_vma(): the next VMA first), or 0. A first write
 * takes it, and so does a relocated range that merged with nothing
 * (copy_vma(): relocated_anon_vma_from()).
 */
static uint32_t reusable_av(struct model *m, long s, long e)
{
	struct page_model *pg = m->pg;

	if (e < NPAGES && pg[e].mapped && pg[e].av &&
	    pg[e].account == pg[s].account &&
	    pg[e - 1].pgoff + 1 == pg[e].pgoff)
		return pg[e].av;
	if (s > 0 && pg[s - 1].mapped && pg[s - 1].av &&
	    pg[s - 1].account == pg[s].account &&
	    pg[s - 1].pgoff + 1 == pg[s].pgoff)
		return pg[s - 1].av;
	return 0;
}

/* The first write to a VMA without an anon_vma: find_mergeable_anon_vma(). */
static void first_write(struct model *m, long p)
{
	struct page_model *pg = m->pg;
	long s = run_start(m, p), e = run_end(m, p);
	uint32_t av;

	if (pg[p].av)
		return;
	av = reusable_av(m, s, e);
	if (!av)
		av = ++m->next_av;
	for (long q = s; q < e; q++)
		pg[q].av = av;
}

/* ---- the memory ---- */

static void fill(char *page, uint32_t tag)
{
	uint64_t *w = (uint64_t *)page;

	for (unsigned long i = 0; i < WORDS; i++)
		w[i] = (uint64_t)tag << 32 | i;
}

/* Index of the first word that differs, or -1. */
static long page_differs(const char *page, uint32_t tag)
{
	const uint64_t *w = (const uint64_t *)page;

	for (unsigned long i = 0; i < WORDS; i++)
		if (w[i] != (tag ? ((uint64_t)tag << 32 | i) : 0))
			return (long)i;
	return -1;
}

/* Write tag's contents to page p; tag 0 is all zeroes. */
static void write_tag(struct model *m, long p, uint32_t tag)
{
	first_write(m, p);
	m->pg[p].tag = tag;
	if (tag)
		fill(addr_of(m, p), tag);
	else
		memset(addr_of(m, p), 0, PAGE);
}

static void write_page(struct model *m, long p)
{
	write_tag(m, p, ++m->next_tag);
}

/* ---- checking ---- */

struct vma_line {
	unsigned long start, end, pgoff;
	unsigned int av;
	char perms[5];
};

#define MAXVMAS (NPAGES / 2 + 2)
static struct vma_line seen[MAXVMAS], want[MAXVMAS];
static char maps[1 << 20];

/* The VMAs /proc/self/maps shows inside the arena. */
static int read_vmas(struct model *m, struct vma_line *v)
{
	unsigned long lo = (unsigned long)m->base, hi = lo + NPAGES * PAGE;
	ssize_t len = 0, r;
	int fd = open("/proc/self/maps", O_RDONLY), n = 0;
	char *line, *nl;

	if (fd < 0) {
		perror("seqcheck: /proc/self/maps");
		exit(3);
	}
	while ((r = read(fd, maps + len, sizeof(maps) - 1 - len)) > 0)
		len += r;
	close(fd);
	maps[len] = '\0';
	for (line = maps; *line; line = nl + 1) {
		struct vma_line l;

		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (sscanf(line, "%lx-%lx %4s %lx", &l.start, &l.end, l.perms,
			   &l.pgoff) != 4)
			continue;
		l.av = 0;
		if (l.end <= lo || l.start >= hi || n == MAXVMAS)
			continue;
		v[n++] = l;
	}
	return n;
}

static int model_vmas(struct model *m, struct vma_line *v)
{
	int n = 0;

	for (long p = 0, e; p < NPAGES; p = e) {
		if (!m->pg[p].mapped) {
			e = p + 1;
			continue;
		}
		e = run_end(m, p);
		v[n].start = (unsigned long)addr_of(m, p);
		v[n].end = (unsigned long)addr_of(m, e);
		v[n].pgoff = m->pg[p].pgoff;	/* shown for the model only */
		v[n].av = m->pg[p].av;
		strcpy(v[n].perms, m->pg[p].writable ? "rw-p" : "r--p");
		n++;
	}
	return n;
}

static void print_vmas(const char *what, struct model *m, struct vma_line *v, int n)
{
	printf("%s (%d VMAs, arena %p):\n", what, n, (void *)m->base);
	for (int i = 0; i < n; i++)
		printf("    %lx-%lx %s  pages %ld-%ld  pgoff %#lx  anon_vma %u\n", v[i].start,
		       v[i].end, v[i].perms,
		       (long)((v[i].start - (unsigned long)m->base) / PAGE),
		       (long)((v[i].end - (unsigned long)m->base) / PAGE), v[i].pgoff, v[i].av);
}

static void report(struct model *m, uint64_t seed, const char *why)
{
	int ns = read_vmas(m, seen), nw = model_vmas(m, want);

	printf("seqcheck: FAIL seed %" PRIu64 " step %lu: %s\n", seed, hist_step, why);
	printf("recent steps, oldest first:\n");
	for (unsigned long i = hist_step >= HISTORY ? hist_step - HISTORY + 1 : 0;
	     i <= hist_step; i++)
		printf("  %s\n", history[i % HISTORY]);
	print_vmas("expected", m, want, nw);
	print_vmas("/proc/self/maps", m, seen, ns);
	printf("reproduce: seqcheck -s %" PRIu64 " -n %lu -v\n", seed, hist_step + 1);
	fflush(stdout);
}

/* Layout and contents as the model says; else a description in @why. */
static bool verify(struct model *m, char *why, size_t len, int *nvmas)
{
	int ns = read_vmas(m, seen), nw = model_vmas(m, want);

	*nvmas = nw;
	if (ns != nw) {
		snprintf(why, len, "%d VMAs in the arena, expected %d", ns, nw);
		return false;
	}
	for (int i = 0; i < nw; i++)
		if (seen[i].start != want[i].start || seen[i].end != want[i].end ||
		    strcmp(seen[i].perms, want[i].perms)) {
			snprintf(why, len, "VMA %d differs: %lx-%lx %s, expected %lx-%lx %s",
				 i, seen[i].start, seen[i].end, seen[i].perms,
				 want[i].start, want[i].end, want[i].perms);
			return false;
		}
	for (long p = 0; p < NPAGES; p++) {
		long w;

		if (!m->pg[p].mapped)
			continue;
		w = page_differs(addr_of(m, p), m->pg[p].tag);
		if (w >= 0) {
			snprintf(why, len, "page %ld (%p) word %ld is %#" PRIx64 ", expected tag %u",
				 p, addr_of(m, p), w,
				 ((uint64_t *)addr_of(m, p))[w], m->pg[p].tag);
			return false;
		}
	}
	return true;
}

/* ---- ranges ---- */

static bool all_mapped(struct model *m, long s, long e)
{
	for (long p = s; p < e; p++)
		if (!m->pg[p].mapped)
			return false;
	return true;
}

static bool all_free(struct model *m, long s, long e)
{
	for (long p = s; p < e; p++)
		if (m->pg[p].mapped)
			return false;
	return true;
}

static long random_len(struct model *m)
{
	return chance(m, 10) ? PMD_PAGES + rnd_below(m, 16) : 1 + rnd_below(m, MAXLEN);
}

/* A random start for @len pages that are all free (or all mapped), or -1. */
static long find_range(struct model *m, long len, bool mapped, long align)
{
	for (int tries = 0; tries < 64; tries++) {
		long s = rnd_below(m, NPAGES - len + 1);

		if (align > 1)
			s -= s % align;
		if (mapped ? all_mapped(m, s, s + len) : all_free(m, s, s + len))
			return s;
	}
	return -1;
}

static long random_mapped_page(struct model *m)
{
	for (int tries = 0; tries < 64; tries++) {
		long p = rnd_below(m, NPAGES);

		if (m->pg[p].mapped)
			return p;
	}
	return -1;
}

/* ---- the steps ---- */

static void unmap_model(struct model *m, long s, long e)
{
	for (long p = s; p < e; p++)
		m->pg[p].mapped = false;
}

static void die_errno(struct model *m, uint64_t seed, const char *what, long ret, int err)
{
	char why[200];

	snprintf(why, sizeof(why), "%s returned %ld (%s)", what, ret, strerror(err));
	report(m, seed, why);
	exit(1);
}

static void expect_ok(struct model *m, uint64_t seed, const char *what, long ret)
{
	if (ret != 0)
		die_errno(m, seed, what, ret, errno);
}

static bool ksm_contents;	/* -k: mergeable VMAs, zero and alike pages */

static void step_mmap(struct model *m, uint64_t seed, struct stats *st)
{
	long len = random_len(m), s;
	bool over = chance(m, 25);
	void *r;

	/* Big ones often start on a PMD boundary, so that they can collapse. */
	long align = len >= PMD_PAGES && chance(m, 60) ? PMD_PAGES : 1;

	s = over ? rnd_below(m, NPAGES - len + 1) : find_range(m, len, false, align);
	if (over && align > 1)
		s -= s % align;
	if (s < 0)
		return;
	say("mmap%s pages %ld-%ld", over ? " MAP_FIXED" : "", s, s + len);
	r = mmap(addr_of(m, s), len * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS |
		 (over ? MAP_FIXED : MAP_FIXED_NOREPLACE), -1, 0);
	if (r != addr_of(m, s))
		die_errno(m, seed, "mmap", (long)r, errno);
	/*
	 * -k: every mapping KSM-mergeable as it is made; madvise() merges it
	 * with its neighbours as mmap() would have (PR_SET_MEMORY_MERGE
	 * would not: 6.12 sets VM_MERGEABLE only after mmap() tried to merge).
	 */
	if (ksm_contents && madvise(r, len * PAGE, MADV_MERGEABLE))
		die_errno(m, seed, "madvise(MADV_MERGEABLE)", -1, errno);
	unmap_model(m, s, s + len);
	place(m, s, s + len, (struct page_model){ .writable = true, .account = true },
	      linear_pgoff(m, s), 0);
	for (long p = s; p < s + len; p++)
		m->pg[p].tag = 0;
	merge_range(m, s, s + len, 0);
	if (chance(m, 70)) {
		long a = s + rnd_below(m, len), b = a + 1 + rnd_below(m, s + len - a);

		for (long p = a; p < b; p++)
			write_page(m, p);
	}
	st->mmaps++;
}

static void step_write(struct model *m, struct stats *st)
{
	long p = random_mapped_page(m), e;
	/* -k: a quarter zero pages, a quarter all alike, else all unique */
	long kind = ksm_contents ? rnd_below(m, 4) : 2;
	uint32_t same = kind == 1 ? ++m->next_tag : 0;

	if (p < 0)
		return;
	e = p + 1 + rnd_below(m, MAXLEN);
	if (e > NPAGES)
		e = NPAGES;
	say("write pages %ld-%ld (writable ones)%s", p, e,
	    kind == 0 ? " with zeroes" : kind == 1 ? " all alike" : "");
	for (; p < e; p++)
		if (m->pg[p].mapped && m->pg[p].writable)
			write_tag(m, p, kind < 2 ? same : ++m->next_tag);
	st->writes++;
}

static void step_munmap(struct model *m, uint64_t seed, struct stats *st)
{
	long len = 1 + rnd_below(m, MAXLEN), s = rnd_below(m, NPAGES - len + 1);

	say("munmap pages %ld-%ld", s, s + len);
	expect_ok(m, seed, "munmap", munmap(addr_of(m, s), len * PAGE));
	unmap_model(m, s, s + len);
	st->munmaps++;
}

static void step_mprotect(struct model *m, uint64_t seed, struct stats *st)
{
	long len = 1 + rnd_below(m, MAXLEN), s = find_range(m, len, true, 1);
	bool w = chance(m, 50);

	if (s < 0)
		return;
	say("mprotect pages %ld-%ld %s", s, s + len, w ? "rw" : "r");
	expect_ok(m, seed, "mprotect",
		  mprotect(addr_of(m, s), len * PAGE, PROT_READ | (w ? PROT_WRITE : 0)));
	/* VMA by VMA, left to right, as mprotect_fixup() goes. */
	for (long p = s, e; p < s + len; p = e) {
		uint32_t av = m->pg[p].av;

		e = run_end(m, p);
		if (e > s + len)
			e = s + len;
		if (m->pg[p].writable == w)
			continue;
		/*
		 * mprotect_fixup(): write permission brings VM_ACCOUNT; losing
		 * it drops VM_ACCOUNT from a VMA that has no anon_vma yet.
		 */
		for (long q = p; q < e; q++) {
			m->pg[q].writable = w;
			if (w)
				m->pg[q].account = true;
			else if (!av)
				m->pg[q].account = false;
			m->pg[q].vid = m->nvid;
		}
		m->nvid++;
		merge_range(m, p, e, av);
	}
	st->mprotects++;
}

/* A source range inside one VMA, sometimes a whole one or a PMD-aligned block. */
static bool pick_source(struct model *m, long *s, long *len)
{
	long p = random_mapped_page(m), vs, ve;

	if (p < 0)
		return false;
	vs = run_start(m, p);
	ve = run_end(m, p);
	if (chance(m, 40)) {
		*s = vs;
		*len = ve - vs;
	} else {
		long a = (vs + PMD_PAGES - 1) / PMD_PAGES * PMD_PAGES;

		if (chance(m, 30) && a + PMD_PAGES <= ve) {
			*s = a;
			*len = PMD_PAGES;
		} else {
			*s = vs + rnd_below(m, ve - vs);
			*len = 1 + rnd_below(m, ve - *s);
		}
	}
	return true;
}

/*
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_MUST_RELOCATE_ANON]) of
 * [s, s + len) to [d, d + nlen). A declined relocation (EFAULT) must have
 * changed nothing at all; then the range moves plainly. Returns whether
 * it moved relocating.
 */
static bool do_move(struct model *m, uint64_t seed, struct stats *st, long s,
		    long len, long nlen, long d, bool must, const char *what)
{
	void *r;

	say("mremap pages %ld-%ld%s to %ld-%ld%s", s, s + len, what, d,
	    d + nlen, must ? " MUST_RELOCATE_ANON" : "");
	r = sys_mremap(addr_of(m, s), len * PAGE, nlen * PAGE,
		   MREMAP_MAYMOVE | MREMAP_FIXED | (must ? MREMAP_MUST_RELOCATE_ANON : 0),
		   addr_of(m, d));
	if (r == MAP_FAILED && must && errno == EFAULT) {
		char why[300];
		int n;

		/* Declined: nothing may have changed. Then move plainly. */
		st->declined++;
		if (!verify(m, why, sizeof(why), &n)) {
			report(m, seed, why);
			exit(1);
		}
		must = false;
		say("mremap pages %ld-%ld to %ld-%ld (relocation declined, plain)",
		    s, s + len, d, d + nlen);
		r = sys_mremap(addr_of(m, s), len * PAGE, nlen * PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, addr_of(m, d));
	}
	if (r != addr_of(m, d))
		die_errno(m, seed, "mremap", (long)r, errno);
	return must;
}

/*
 * The model of a move of [s, s + len), within one VMA, to [d, d + nlen),
 * with MREMAP_MUST_RELOCATE_ANON or without; true if it re-pointed pages.
 */
static bool model_move(struct model *m, long s, long len, long nlen, long d,
		       bool must)
{
	long moved = len < nlen ? len : nlen;
	uint32_t av, tags[NPAGES], vid;
	struct page_model like;
	bool relocated = false;
	unsigned long pgoff;

	/* mremap_to(): unmap the destination, then the tail if shrinking. */
	unmap_model(m, d, d + nlen);
	unmap_model(m, s + moved, s + len);
	av = m->pg[s].av;
	like = m->pg[s];
	pgoff = m->pg[s].pgoff;
	for (long i = 0; i < moved; i++)
		tags[i] = m->pg[s + i].tag;

	/* copy_vma(): an unfaulted range takes its new address's offsets. */
	if (!av)
		pgoff = linear_pgoff(m, d);
	vid = m->nvid;
	place(m, d, d + nlen, like, pgoff, av);
	{
		/* The ordinary merge, as the range is. */
		struct page_model *pg = m->pg;
		bool merges = (d > 0 && pg[d - 1].mapped && pg[d - 1].vid != vid &&
			       same_flags(&pg[d - 1], &like) &&
			       pg[d - 1].pgoff + 1 == pgoff && anon_mergeable(av, pg[d - 1].av)) ||
			      (d + nlen < NPAGES && pg[d + nlen].mapped &&
			       same_flags(&pg[d + nlen], &like) &&
			       pgoff + nlen == pg[d + nlen].pgoff &&
			       anon_mergeable(av, pg[d + nlen].av));

		if (must && av && !merges) {
			/* Relocated: placed as if unfaulted. */
			uint32_t res;

			place(m, d, d + nlen, like, linear_pgoff(m, d), 0);
			res = merge_range(m, d, d + nlen, 0);
			/* merged with unfaulted VMAs: ours; alone: see there */
			if (!res && run_start(m, d) == d && run_end(m, d) == d + nlen)
				res = reusable_av(m, d, d + nlen);
			if (!res)
				res = av;
			for (long p = run_start(m, d); p < run_end(m, d); p++)
				pg[p].av = res;
			relocated = true;
		} else {
			merge_range(m, d, d + nlen, av);
		}
	}
	for (long i = 0; i < nlen; i++)
		m->pg[d + i].tag = i < moved ? tags[i] : 0;
	unmap_model(m, s, s + moved);
	return relocated;
}

/*
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_MUST_RELOCATE_ANON]) of
 * [s, s + len) to [d, d + nlen), which may cover other mappings.
 */
static void step_mremap(struct model *m, uint64_t seed, struct stats *st)
{
	bool must = m->relocation && chance(m, 60), relocated;
	long s, len, nlen, d;

	if (!pick_source(m, &s, &len))
		return;
	nlen = len;
	if (chance(m, 20))
		nlen = 1 + rnd_below(m, len);
	else if (chance(m, 20))
		nlen = len + 1 + rnd_below(m, 32);
	for (int tries = 0;; tries++) {
		if (tries == 64)
			return;
		d = rnd_below(m, NPAGES - nlen + 1);
		if (chance(m, 30))	/* same offset in a PMD: whole tables move */
			d = d - d % PMD_PAGES + s % PMD_PAGES;
		if (d + nlen > NPAGES || (s + len > d && d + nlen > s))
			continue;
		if (chance(m, 70) && !all_free(m, d, d + nlen))
			continue;
		break;
	}
	must = do_move(m, seed, st, s, len, nlen, d, must, "");
	relocated = model_move(m, s, len, nlen, d, must);
	st->moves++;
	st->relocated += must;
	st->repointed += relocated;
}

/*
 * mremap(MREMAP_MAYMOVE | MREMAP_FIXED [| MREMAP_MUST_RELOCATE_ANON]) of
 * [s, s + len), which spans several VMAs and maybe holes, to [d, d + len):
 * each VMA's part moves in turn as its own move; with
 * MREMAP_MUST_RELOCATE_ANON every part is relocated, or the call is
 * declined having changed nothing, before the first part moved.
 */
static void step_mremap_vmas(struct model *m, uint64_t seed, struct stats *st)
{
	long s = random_mapped_page(m), len, d, p, e;
	bool must = m->relocation && chance(m, 60), relocated = false;

	if (s < 0 || run_end(m, s) == NPAGES)
		return;
	len = run_end(m, s) - s + 1 + rnd_below(m, MAXLEN);
	if (s + len > NPAGES)
		len = NPAGES - s;
	for (int tries = 0;; tries++) {
		if (tries == 64)
			return;
		d = rnd_below(m, NPAGES - len + 1);
		if (s + len > d && d + len > s)
			continue;
		if (chance(m, 70) && !all_free(m, d, d + len))
			continue;
		break;
	}
	must = do_move(m, seed, st, s, len, len, d, must, " (several VMAs)");
	/* A part's move changes a later part's VMA only beyond s + len. */
	for (p = s; p < s + len; p = e) {
		if (!m->pg[p].mapped) {
			e = p + 1;
			continue;
		}
		e = run_end(m, p) < s + len ? run_end(m, p) : s + len;
		relocated |= model_move(m, p, e - p, e - p, d + (p - s), must);
		renumber(m);
	}
	st->moves++;
	st->multi_moves++;
	st->relocated += must;
	st->repointed += relocated;
}

/* mremap() growing a VMA's tail in place (no MREMAP_MAYMOVE). */
static void step_grow(struct model *m, uint64_t seed, struct stats *st)
{
	long p = random_mapped_page(m), e, delta = 1 + rnd_below(m, 32);
	uint32_t av;
	void *r;

	if (p < 0)
		return;
	e = run_end(m, p);
	if (e + delta > NPAGES || !all_free(m, e, e + delta))
		return;
	say("mremap grow pages %ld-%ld by %ld in place", p, e, delta);
	r = sys_mremap(addr_of(m, p), (e - p) * PAGE, (e - p + delta) * PAGE, 0, NULL);
	if (r != addr_of(m, p))
		die_errno(m, seed, "mremap (grow)", (long)r, errno);
	av = m->pg[p].av;
	place(m, e, e + delta, m->pg[p], m->pg[e - 1].pgoff + 1, av);
	for (long q = e; q < e + delta; q++)
		m->pg[q].tag = 0;
	merge_range(m, e, e + delta, av);
	st->grows++;
}

static void step_madvise(struct model *m, uint64_t seed, struct stats *st)
{
	int kind = (int)rnd_below(m, 3);
	long len = kind == 2 ? PMD_PAGES : 1 + rnd_below(m, MAXLEN);
	long s = find_range(m, len, true, kind == 2 ? PMD_PAGES : 1);
	int advice = kind == 0 ? MADV_DONTNEED : kind == 1 ? MADV_PAGEOUT : MADV_COLLAPSE;
	const char *name = kind == 0 ? "DONTNEED" : kind == 1 ? "PAGEOUT" : "COLLAPSE";
	int ret;

	if (s < 0)
		return;
	say("madvise pages %ld-%ld MADV_%s", s, s + len, name);
	ret = madvise(addr_of(m, s), len * PAGE, advice);
	if (kind == 2) {
		/* Best effort: the contents and the VMAs stay as they are. */
		st->collapses++;
		st->collapsed += ret == 0;
		if (ret && errno != EAGAIN && errno != EINVAL && errno != ENOMEM &&
		    errno != EBUSY)
			die_errno(m, seed, "MADV_COLLAPSE", ret, errno);
		return;
	}
	expect_ok(m, seed, name, ret);
	if (kind == 0) {
		for (long p = s; p < s + len; p++)
			m->pg[p].tag = 0;
		st->dontneeds++;
	} else {
		st->pageouts++;
	}
}

/* The child checks its copy, then scribbles over it; the parent's must stay. */
static void step_fork(struct model *m, uint64_t seed, struct stats *st)
{
	int status, n;
	pid_t pid;

	say("fork: the child checks its copy and overwrites it");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die_errno(m, seed, "fork", pid, errno);
	if (pid == 0) {
		char why[300];

		if (!verify(m, why, sizeof(why), &n)) {
			report(m, seed, why);
			_exit(1);
		}
		for (long p = 0; p < NPAGES; p++)
			if (m->pg[p].mapped && m->pg[p].writable)
				memset(addr_of(m, p), 0x5a, PAGE);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		report(m, seed, "the forked child found its copy wrong");
		exit(1);
	}
	st->forks++;
}

/* Calls that must fail with a given errno and change nothing. */
static void step_error(struct model *m, uint64_t seed, struct stats *st)
{
	int kind = (int)rnd_below(m, 4), want;
	long s, len, d;
	void *r;

	if (!pick_source(m, &s, &len))
		return;
	d = find_range(m, len, false, 1);
	if (d < 0)
		return;
	switch (kind) {
	case 0: {	/* a source running past its VMA's end */
		long e = run_end(m, s);

		if (e == NPAGES || m->multi_vma_move)
			return;
		len = e - s + 1;
		d = find_range(m, len, false, 1);
		if (d < 0 || (s + len > d && d + len > s))
			return;
		want = EFAULT;
		say("mremap pages %ld-%ld (past the VMA) to %ld: EFAULT", s, s + len, d);
		r = sys_mremap(addr_of(m, s), len * PAGE, len * PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, addr_of(m, d));
		break;
	}
	case 1:		/* destination overlapping the source */
		want = EINVAL;
		d = s + len / 2;
		say("mremap pages %ld-%ld onto itself at %ld: EINVAL", s, s + len, d);
		r = sys_mremap(addr_of(m, s), len * PAGE, len * PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED, addr_of(m, d));
		break;
	case 2:		/* relocation without MREMAP_MAYMOVE */
		want = EINVAL;
		say("mremap pages %ld-%ld MUST_RELOCATE_ANON without MAYMOVE: EINVAL", s, s + len);
		r = sys_mremap(addr_of(m, s), len * PAGE, len * PAGE,
			   MREMAP_MUST_RELOCATE_ANON, NULL);
		if (!m->relocation)
			return;
		break;
	default:	/* both relocation flags, or relocation with DONTUNMAP */
		want = EINVAL;
		say("mremap pages %ld-%ld to %ld with conflicting relocation flags: EINVAL",
		    s, s + len, d);
		r = sys_mremap(addr_of(m, s), len * PAGE, len * PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_MUST_RELOCATE_ANON |
			   (rnd_below(m, 2) ? MREMAP_RELOCATE_ANON : MREMAP_DONTUNMAP),
			   addr_of(m, d));
		if (!m->relocation)
			return;
		break;
	}
	if (r != MAP_FAILED || errno != want) {
		char why[200];

		snprintf(why, sizeof(why), "expected %s, got %p (%s)",
			 strerrorname_np(want), r, r == MAP_FAILED ? strerror(errno) : "success");
		report(m, seed, why);
		exit(1);
	}
	st->errors++;
}

static void step(struct model *m, uint64_t seed, struct stats *st)
{
	long op = rnd_below(m, 100);

	say("nothing (no room for the step drawn)");

	if (op < 18)
		step_mmap(m, seed, st);
	else if (op < 30)
		step_write(m, st);
	else if (op < 40)
		step_munmap(m, seed, st);
	else if (op < 50)
		step_mprotect(m, seed, st);
	else if (op < 70 || (op < 75 && !m->multi_vma_move))
		step_mremap(m, seed, st);
	else if (op < 75)
		step_mremap_vmas(m, seed, st);
	else if (op < 80)
		step_grow(m, seed, st);
	else if (op < 92)
		step_madvise(m, seed, st);
	else if (op < 94)
		step_fork(m, seed, st);
	else
		step_error(m, seed, st);
	renumber(m);
}

static void setup(struct model *m, uint64_t seed)
{
	size_t span = NPAGES * PAGE + PMD_PAGES * PAGE;
	struct utsname u;
	int major = 0, minor = 0;
	char *res;

	if (m->base)	/* the previous run's arena */
		munmap(m->base, NPAGES * PAGE);
	memset(m, 0, sizeof(*m));
	m->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	m->nvid = 1;
	/* A PMD-aligned range nothing else uses: mapped, then given back. */
	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("seqcheck: mmap");
		exit(3);
	}
	m->base = (char *)(((unsigned long)res + PMD_PAGES * PAGE - 1) &
			   ~(PMD_PAGES * PAGE - 1));
	munmap(res, span);
	/* Linux 6.17 lets MREMAP_FIXED move a range spanning VMAs and gaps. */
	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2)
		m->multi_vma_move = major > 6 || (major == 6 && minor >= 17);
	/* Plain moves stay plain whatever vm.anon_relocate says. */
	m->relocation = prctl(PR_SET_ANON_RELOCATE, PR_ANON_RELOCATE_OFF, 0, 0, 0) == 0;
	faulted_merges_unfaulted = m->relocation || major > 6 ||
				   (major == 6 && minor >= 16);
	/* The series moves a range spanning VMAs too. */
	m->multi_vma_move |= m->relocation;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: seqcheck [-s SEED] [-n STEPS] [-r RUNS] [-t SECONDS] [-k] [-v]\n"
		"Random mmap/mremap/mprotect/munmap/madvise/fork steps on anonymous\n"
		"memory, each checked against a model of the VMAs and the contents.\n"
		"Runs RUNS (default 1) sequences of STEPS (default 2000) steps, with\n"
		"seeds SEED, SEED+1, ...; -t: sequences until SECONDS have passed.\n"
		"-k: every VMA KSM-mergeable, some pages zero or alike (for ksmd).\n"
		"Exit status 1 and the seed and step on a difference.\n");
	exit(2);
}

static long since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0->tv_sec);
}

/* One sequence of @steps steps from @seed, or until @deadline seconds
 * after @t0 (0: none); false on a difference. */
static bool run(struct model *m, uint64_t seed, unsigned long steps,
		const struct timespec *t0, long deadline, struct stats *st)
{
	char why[300];
	int n;

	setup(m, seed);
	for (hist_step = 0; hist_step < steps; hist_step++) {
		step(m, seed, st);
		st->steps++;
		if (!verify(m, why, sizeof(why), &n)) {
			report(m, seed, why);
			return false;
		}
		if ((unsigned long)n > st->max_vmas)
			st->max_vmas = n;
		if (deadline && since(t0) >= deadline)
			break;
	}
	if (verbose)
		print_vmas("final layout", m, want, model_vmas(m, want));
	return true;
}

int main(int argc, char **argv)
{
	static struct model model;
	unsigned long steps = 2000, runs = 1, secs = 0, done = 0;
	uint64_t seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 16;
	struct stats st = { 0 };
	struct timespec t0;
	int opt;

	while ((opt = getopt(argc, argv, "s:n:r:t:kv")) != -1) {
		switch (opt) {
		case 'k':
			ksm_contents = true;
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			steps = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			runs = strtoul(optarg, NULL, 0);
			break;
		case 't':
			secs = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			verbose = true;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !steps || !runs)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (; secs ? since(&t0) < (long)secs : done < runs; done++) {
		if (!run(&model, seed + done, steps, &t0, (long)secs, &st))
			return 1;
		if (!done)
			printf("seqcheck: relocation %s\n", model.relocation ?
			       "on (MREMAP_MUST_RELOCATE_ANON)" :
			       "unavailable: plain moves only");
	}
	printf("seqcheck: seeds %" PRIu64 "-%" PRIu64 ": %lu steps in %ld s, each verified "
	       "(VMAs and contents): mmap %lu, write %lu, munmap %lu, mprotect %lu, "
	       "mremap %lu (relocating %lu, re-pointed %lu, declined %lu; spanning VMAs %lu), grow %lu, "
	       "dontneed %lu, pageout %lu, collapse %lu (%lu collapsed), fork %lu, "
	       "errors %lu; at most %lu VMAs\n", seed, seed + done - 1, st.steps,
	       since(&t0), st.mmaps, st.writes, st.munmaps, st.mprotects, st.moves,
	       st.relocated, st.repointed, st.declined, st.multi_moves, st.grows, st.dontneeds,
	       st.pageouts, st.collapses, st.collapsed, st.forks, st.errors,
	       st.max_vmas);
	return 0;
}
