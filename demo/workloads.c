// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * workloads: what relocating moves buy two kinds of programs that move
 * anonymous memory with mremap(), run in one relocation mode per call.
 *
 *   workloads realloc MODE   a log collector: 48 buffers grown by glibc
 *                            realloc() (mremap(MREMAP_MAYMOVE) underneath)
 *                            from 64 KiB by a quarter to a half each round,
 *                            flushed (freed, started again) at 2 MiB, among
 *                            other anonymous mappings that come and go
 *   workloads gc MODE [REGIONS PAGES CYCLES]
 *                            a region-based compacting collector: a heap of
 *                            regions, a third of them die each cycle (in
 *                            runs of 1-4), live
 *                            ones are moved down into the holes with
 *                            mremap(MREMAP_FIXED), several adjacent regions
 *                            per call where they are adjacent, then the heap
 *                            is refilled
 *
 * MODE is off, on, auto or merge: PR_SET_ANON_RELOCATE with OFF, ALWAYS,
 * AUTO or MERGE.
 * Neither workload passes a relocation flag: the mode alone decides. On a
 * kernel without the series only "off" runs. Two more modes run on any
 * kernel: "lib" moves with libanonmove's anonmove_mremap() instead of
 * mremap(), and "own" is its baseline: the realloc workload's buffers
 * are then mmap()ed and grown with mremap(MREMAP_MAYMOVE) (own) or
 * anonmove_mremap() (lib) rather than by glibc; for gc, own is off.
 *
 * Every step prints "@@ WORKLOAD MODE STEP VMAS MICROSECONDS [CALLS EFAULTS]"
 * for the plots, then a summary. The contents of every buffer and region
 * are checked; a loss exits 1. ENOMEM (vm.max_map_count reached) ends the
 * run early and is reported, exit status 0: it is a result here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "anonmove.h"

#define PR_SET_ANON_RELOCATE 0x41524c53 /* "ARLS", as in the series uapi prctl.h */
#define PAGE 4096UL

static const char *mode_name;
static bool own_buffers;	/* "own" and "lib": mmap()ed buffers */
static bool use_lib;		/* "lib": anonmove_mremap() for every move */

static void *move_or_grow(void *old, size_t old_len, size_t new_len,
			  int flags, void *new_addr)
{
	return use_lib ? anonmove_mremap(old, old_len, new_len, flags, new_addr) :
			 mremap(old, old_len, new_len, flags, new_addr);
}

/* realloc() for a buffer: glibc's, or mmap() and mremap() here. */
static void *grow_buffer(void *p, size_t len, size_t new_len)
{
	if (!own_buffers)
		return realloc(p, new_len);
	if (!p)
		p = mmap(NULL, new_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	else
		p = move_or_grow(p, len, new_len, MREMAP_MAYMOVE, NULL);
	return p == MAP_FAILED ? NULL : p;
}

static void free_buffer(void *p, size_t len)
{
	if (!own_buffers)
		free(p);
	else if (p)
		munmap(p, len);
}
static unsigned long nomem_at;	/* step at which ENOMEM ended the run, or 0 */

static long now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

/* Number of VMAs of this process: lines in /proc/self/maps. */
static int vma_count(void)
{
	static char buf[1 << 16];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;
	size_t r;

	if (!f) {
		perror("workloads: /proc/self/maps");
		exit(1);
	}
	while ((r = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	fclose(f);
	return n;
}

static uint64_t word(uint32_t tag, size_t i)
{
	return (uint64_t)tag << 32 | i;
}

static void fill(void *p, size_t from, size_t to, uint32_t tag)
{
	uint64_t *w = p;

	for (size_t i = from / 8; i < to / 8; i++)
		w[i] = word(tag, i);
}

static void check(const void *p, size_t len, uint32_t tag, const char *what)
{
	const uint64_t *w = p;

	for (size_t i = 0; i < len / 8; i++)
		if (w[i] != word(tag, i)) {
			fprintf(stderr, "workloads: %s %u lost data at byte %zu\n",
				what, tag, i * 8);
			exit(1);
		}
}

static uint64_t rng = 88172645463325252ULL;

static long rnd_below(long n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (long)(rng % (uint64_t)n);
}

/* ---- realloc ---- */

#define BUFS 48
#define ROUNDS 40
#define BUF_MAX (2UL << 20)
#define OTHERS 64

static void run_realloc(void)
{
	size_t len[BUFS], moved = 0, reallocs = 0, flushes = 0;
	uint32_t tag[BUFS], next_tag = 0;
	void *other[OTHERS] = { 0 };
	char *buf[BUFS];
	long t0 = now_us(), t;
	int max = 0, n = 0;

	/* glibc serves these from mmap() and grows them with mremap(). */
	mallopt(M_MMAP_THRESHOLD, 64 << 10);
	for (int b = 0; b < BUFS; b++) {
		len[b] = 0;
		buf[b] = NULL;
	}
	for (int r = 1; r <= ROUNDS; r++) {
		long t1 = now_us();

		for (int b = 0; b < BUFS; b++) {
			size_t grow = len[b] / 4 + (size_t)rnd_below(len[b] / 4 / PAGE + 1) * PAGE;
			char *p;

			/* A full buffer is flushed and starts again. */
			if (!buf[b] || len[b] + grow > BUF_MAX) {
				if (buf[b])
					check(buf[b], len[b], tag[b], "buffer");
				free_buffer(buf[b], len[b]);
				flushes += buf[b] != NULL;
				buf[b] = NULL;
				len[b] = 0;
				grow = 64 << 10;
				tag[b] = ++next_tag;
			}
			p = grow_buffer(buf[b], len[b], len[b] + grow);
			if (!p) {
				nomem_at = r;
				break;
			}
			moved += buf[b] && p != buf[b];
			reallocs += buf[b] != NULL;
			buf[b] = p;
			fill(p, len[b], len[b] + grow, tag[b]);
			len[b] += grow;
			/* Something else maps and unmaps memory meanwhile. */
			if (b % 4 == 0) {
				int o = (int)rnd_below(OTHERS);

				if (other[o])
					munmap(other[o], 32 << 10);
				other[o] = mmap(NULL, 32 << 10, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
				if (other[o] == MAP_FAILED) {
					other[o] = NULL;
					nomem_at = r;
					break;
				}
				memset(other[o], o, 32 << 10);
			}
		}
		n = vma_count();
		max = n > max ? n : max;
		printf("@@ realloc %s %d %d %ld\n", mode_name, r, n, now_us() - t1);
		if (nomem_at)
			break;
	}
	t = now_us() - t0;
	for (int b = 0; b < BUFS; b++)
		check(buf[b], len[b], tag[b], "buffer");
	printf("realloc %s: %zu realloc() calls, %zu moved the buffer, %zu flushes; VMAs at the end %d, at most %d; %ld us%s\n",
	       mode_name, reallocs, moved, flushes, n, max, t,
	       nomem_at ? " (ENOMEM: vm.max_map_count reached)" : "");
}

/* ---- gc ---- */

struct heap {
	char *base;
	long regions, pages;	/* region count, pages per region */
	uint32_t *tag;		/* per slot: 0 free, else the live region's tag */
	uint32_t next_tag;
	unsigned long calls, multi, efaults;
};

static char *slot(struct heap *h, long i)
{
	return h->base + i * h->pages * PAGE;
}

static size_t region_len(struct heap *h)
{
	return h->pages * PAGE;
}

static bool alloc_region(struct heap *h, long i)
{
	void *p = mmap(slot(h, i), region_len(h), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED) {
		if (errno == ENOMEM)
			return false;
		perror("workloads: mmap region");
		exit(1);
	}
	h->tag[i] = ++h->next_tag;
	fill(p, 0, region_len(h), h->tag[i]);
	return true;
}

/* Move regions [src, src + n) to the free slots [dst, dst + n). */
static bool move_regions(struct heap *h, long src, long n, long dst)
{
	void *r;

	h->calls++;
	h->multi += n > 1;
	r = move_or_grow(slot(h, src), n * region_len(h), n * region_len(h),
			 MREMAP_MAYMOVE | MREMAP_FIXED, slot(h, dst));
	if (r == MAP_FAILED && errno == EFAULT && n > 1) {
		/* The regions are separate VMAs: one call each. */
		h->efaults++;
		for (long k = 0; k < n; k++)
			if (!move_regions(h, src + k, 1, dst + k))
				return false;
		return true;
	}
	if (r == MAP_FAILED) {
		if (errno == ENOMEM)
			return false;
		perror("workloads: mremap region");
		exit(1);
	}
	for (long k = 0; k < n; k++) {
		h->tag[dst + k] = h->tag[src + k];
		h->tag[src + k] = 0;
	}
	return true;
}

/*
 * Fill the lowest hole from the top of the heap: the highest run of
 * adjacent live regions (as much of it as fits) moves down in one call.
 */
static bool compact(struct heap *h)
{
	for (;;) {
		long f = 0, l = h->regions - 1, hole = 0, run = 0, n;

		while (f < h->regions && h->tag[f])
			f++;
		while (l >= 0 && !h->tag[l])
			l--;
		if (l < f)
			return true;
		while (f + hole < h->regions && !h->tag[f + hole])
			hole++;
		while (l - run >= 0 && h->tag[l - run] && l - run > f)
			run++;
		n = hole < run ? hole : run;
		if (!move_regions(h, l - n + 1, n, f))
			return false;
	}
}

static int heap_vmas(struct heap *h)
{
	char line[256];
	unsigned long s, e, lo = (unsigned long)h->base;
	unsigned long hi = lo + h->regions * region_len(h);
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo)
			n++;
	if (f)
		fclose(f);
	return n;
}

static void run_gc(long regions, long pages, int cycles)
{
	struct heap h = { .regions = regions, .pages = pages };
	size_t span = regions * pages * PAGE + (2UL << 20);
	unsigned long calls0, efaults0, moved_total = 0;
	long t_compact = 0;
	char *res;
	int c;

	h.tag = calloc(regions, sizeof(*h.tag));
	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!h.tag || res == MAP_FAILED) {
		perror("workloads: heap");
		exit(1);
	}
	munmap(res, span);
	h.base = (char *)(((unsigned long)res + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	for (long i = 0; i < regions; i++)
		if (!alloc_region(&h, i)) {
			nomem_at = 1;
			break;
		}
	for (c = 1; c <= cycles && !nomem_at; c++) {
		long t1, dt, live = 0;
		int after_compact;

		/*
		 * A third of the regions die, in runs of 1-4: what was
		 * allocated together tends to die together.
		 */
		for (long dead = 0; dead < regions / 3;) {
			long i = rnd_below(regions), k = 1 + rnd_below(4);

			for (; k && i < regions; k--, i++)
				if (h.tag[i]) {
					munmap(slot(&h, i), region_len(&h));
					h.tag[i] = 0;
					dead++;
				}
		}
		calls0 = h.calls;
		efaults0 = h.efaults;
		t1 = now_us();
		if (!compact(&h))
			nomem_at = c;
		dt = now_us() - t1;
		t_compact += dt;
		moved_total += h.calls - calls0;
		for (long i = 0; i < regions; i++)
			if (h.tag[i]) {
				check(slot(&h, i), region_len(&h), h.tag[i], "region");
				live++;
			}
		after_compact = heap_vmas(&h);
		printf("@@ gc %s %d %d %ld %lu %lu\n", mode_name, c, after_compact, dt,
		       h.calls - calls0, h.efaults - efaults0);
		/* The mutator allocates regions again, up to a full heap. */
		for (long i = live; i < regions && !nomem_at; i++)
			if (!alloc_region(&h, i))
				nomem_at = c;
	}
	printf("gc %s: %ld regions of %ld KiB, %d cycles: %lu mremap() calls, %lu of several regions, %lu of those EFAULT (the regions were separate VMAs), heap VMAs at the end %d; compaction %ld us%s\n",
	       mode_name, regions, pages * PAGE / 1024, c - 1, moved_total, h.multi, h.efaults,
	       heap_vmas(&h), t_compact,
	       nomem_at ? " (ENOMEM: vm.max_map_count reached)" : "");
	if (nomem_at)
		printf("gc %s: ENOMEM in cycle %lu with %d VMAs in the process\n",
		       mode_name, nomem_at, vma_count());
}

static void usage(void)
{
	fprintf(stderr, "usage: workloads realloc off|on|auto|merge|own|lib\n"
		"       workloads gc off|on|auto|merge|own|lib [REGIONS PAGES CYCLES]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "off", "on", "auto", "merge",
					     "own", "lib" };
	/* PR_ANON_RELOCATE_OFF 0, _ALWAYS 1, _AUTO 2, _MERGE 4 */
	static const int prctl_mode[] = { 0, 1, 2, 4, 0, 0 };
	int mode = -1;

	if (argc < 3)
		usage();
	for (int i = 0; i < 6; i++)
		if (!strcmp(argv[2], modes[i]))
			mode = i;
	if (mode < 0)
		usage();
	mode_name = modes[mode];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mode >= 4) {
		own_buffers = true;
		use_lib = mode == 5;
		if (use_lib)
			printf("%s lib: libanonmove mechanism %s\n", argv[1],
			       anonmove_mechanism_name(anonmove_supported()));
	}
	mode = prctl_mode[mode];
	if (prctl(PR_SET_ANON_RELOCATE, mode, 0, 0, 0) && mode) {
		printf("%s %s: this kernel has no relocating mremap(): skipped\n",
		       argv[1], mode_name);
		return 0;
	}
	if (!strcmp(argv[1], "realloc") && argc == 3)
		run_realloc();
	else if (!strcmp(argv[1], "gc") && argc == 3)
		run_gc(256, 16, 20);
	else if (!strcmp(argv[1], "gc") && argc == 6)
		run_gc(atol(argv[3]), atol(argv[4]), atoi(argv[5]));
	else
		usage();
	return 0;
}
