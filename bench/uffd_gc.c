// SPDX-License-Identifier: GPL-2.0
/*
 * uffd_gc: a compacting garbage collector's evacuation through
 * userfaultfd, installing each to-space page with UFFDIO_COPY or with
 * UFFDIO_MOVE, as Android's runtime does (SPEC.md 2.5).
 *
 * The from-space (-m MiB, default 256) holds objects of 32-512 bytes that
 * never cross a page. A share of them stays live (-l, default 30 %): whole
 * pages (-d, default 15 % of the pages, "dense") and single objects in the
 * others. The live objects slide down into a to-space registered for
 * MISSING faults, in address order, a dense page onto a page of its own.
 * Mutator threads (-t, default 2) read and write random live objects at
 * their new addresses while the GC thread fills the to-space a granule at
 * a time (a page; 64 KiB or 2 MiB for heaps of such folios), in address
 * order, serving the granules the mutators fault on first. Modes:
 *   copy   prepare the granule in a buffer, install it with UFFDIO_COPY
 *          (the kernel allocates a page and copies into it)
 *   move   prepare it in a recycled granule: one of the from-space whose
 *          objects have all been evacuated, else a fresh one from a
 *          reserve; install it with UFFDIO_MOVE (no allocation, no copy)
 *   dense  as move, and a dense page moves from the from-space as it is:
 *          its data is not copied at all (4 KiB heaps only)
 * Every mode runs in the same process, one after the other, on the same
 * heap layout; every live object is checked at the end.
 *
 * The GC installs up to -b granules (default 1) with one ioctl in its
 * address-order sweep, one where a mutator faulted.
 *
 * On a kernel with CONFIG_DEBUG_TLBFLUSH, tlb_ipi is nr_tlb_remote_flush
 * over the run (flushes that had to interrupt other CPUs: the costly
 * ones) and tlb_local the local full flushes plus the pages flushed one
 * by one; -1 elsewhere.
 *
 * Usage: uffd_gc [-m MiB] [-l LIVE%] [-d DENSE%] [-t THREADS] [-s SEED]
 *                [-b BATCH] [-k 4k|mthp|thp] [-M copy,move,dense]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "uffd_compat.h"

#define PAGE		4096UL
#define PMD		(2UL << 20)
#define MIN_OBJ		32
#define MAX_OBJ		512
#define MAX_THREADS	16
#define MAX_LAT		(1 << 20)
#define MTHP_SYSFS	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"

enum mode { COPY, MOVE, DENSE, NR_MODES };
static const char *const mode_name[] = { "copy", "move", "dense" };
enum kind { K4K, KMTHP, KTHP };
static const char *const kind_name[] = { "4k", "mthp64k", "thp" };

static struct {
	unsigned long mib, live, dense, threads, seed, batch;
	enum kind kind;
	bool modes[NR_MODES];
} opt = { 256, 30, 15, 2, 1, 1, K4K, { true, true, true } };

/* The layout: identical for every mode. */
static unsigned long nr_from;		/* from-space pages */
static unsigned long nr_live;		/* live objects */
static uint64_t *live_from, *live_to;	/* byte offsets */
static uint16_t *live_size;
static uint32_t *live_id;
static long *dense_to;			/* from-page -> to-page, or -1 */
static unsigned long granule;		/* pages per install */
static unsigned long nr_gran;		/* to-space granules */
static unsigned long *gran_first;	/* first live object of a granule */
static uint32_t *from_uses;		/* to-granules taking from a from-granule */

struct run {
	char *from, *to, *reserve;
	unsigned long reserve_next;
	atomic_uchar *done;		/* per to-granule */
	uint32_t *uses;			/* from_uses, counted down */
	unsigned long *pool, pool_head, pool_tail; /* free from-granules, FIFO */
	enum mode mode;
	int uffd;
	atomic_bool stop;
	/* results */
	unsigned long ioctls, user_copied, fresh, dense_moved;
};

struct mutator {
	pthread_t tid;
	struct run *run;
	uint64_t rng;
	unsigned long accesses, nr_lat;
	double *lat;			/* microseconds, faulting accesses */
	bool bad;
};

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static double now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "uffd_gc: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* The expected contents of an object: header id, size, then words. */
static uint64_t word_of(uint32_t id, unsigned long w)
{
	return (uint64_t)id * 0x9e3779b97f4a7c15ULL + w;
}

static void write_obj(char *p, uint32_t id, unsigned long size)
{
	uint32_t *h = (uint32_t *)p;
	uint64_t *w = (uint64_t *)p;

	h[0] = id;
	h[1] = size;
	for (unsigned long i = 1; i < size / 8; i++)
		w[i] = word_of(id, i);
}

static bool obj_ok(const char *p, uint32_t id, unsigned long size)
{
	const uint32_t *h = (const uint32_t *)p;
	const uint64_t *w = (const uint64_t *)p;

	if (h[0] != id || h[1] != size)
		return false;
	for (unsigned long i = 1; i < size / 8; i++)
		if (w[i] != word_of(id, i))
			return false;
	return true;
}

/*
 * Draw the heap: the objects of each from-page, which of them live, and
 * where each live object goes. Dense pages go to a page of their own.
 */
static void layout(void)
{
	unsigned long cap = 1024, nr_gran_from, g, t, to = 0;
	uint64_t rng = opt.seed * 0x9e3779b97f4a7c15ULL + 1;
	long *last_t;
	/* The live share of the objects outside dense pages. */
	double sparse = opt.dense >= opt.live ? 0 :
			(opt.live - opt.dense) / (100.0 - opt.dense);

	nr_from = opt.mib * (1UL << 20) / PAGE;
	nr_from -= nr_from % granule;
	live_from = malloc(cap * sizeof(*live_from));
	live_to = malloc(cap * sizeof(*live_to));
	live_size = malloc(cap * sizeof(*live_size));
	live_id = malloc(cap * sizeof(*live_id));
	dense_to = malloc(nr_from * sizeof(*dense_to));
	if (!live_from || !live_to || !live_size || !live_id || !dense_to)
		die("malloc");
	for (unsigned long p = 0; p < nr_from; p++) {
		bool dense = xorshift(&rng) % 100 < opt.dense;
		unsigned long off = 0, size;

		dense_to[p] = -1;
		if (dense) {
			to = (to + PAGE - 1) & ~(PAGE - 1);
			dense_to[p] = to / PAGE;
		}
		for (;;) {
			size = MIN_OBJ + 16 * (xorshift(&rng) %
					       ((MAX_OBJ - MIN_OBJ) / 16 + 1));
			if (off + size > PAGE)
				break;
			if (dense ||
			    (xorshift(&rng) % 10000) < sparse * 10000) {
				if (nr_live == cap) {
					cap *= 2;
					live_from = realloc(live_from, cap *
							    sizeof(*live_from));
					live_to = realloc(live_to, cap *
							  sizeof(*live_to));
					live_size = realloc(live_size, cap *
							    sizeof(*live_size));
					live_id = realloc(live_id, cap *
							  sizeof(*live_id));
					if (!live_from || !live_to ||
					    !live_size || !live_id)
						die("realloc");
				}
				if (!dense && to % PAGE + size > PAGE)
					to = (to + PAGE - 1) & ~(PAGE - 1);
				live_from[nr_live] = p * PAGE + off;
				live_to[nr_live] = dense ? dense_to[p] * PAGE + off :
							   to;
				live_size[nr_live] = size;
				live_id[nr_live] = (uint32_t)nr_live + 1;
				nr_live++;
				if (!dense)
					to += size;
			}
			off += size;
		}
		if (dense)
			to = (dense_to[p] + 1) * PAGE;
	}
	nr_gran = ((to + PAGE - 1) / PAGE + granule - 1) / granule;
	if (!nr_gran)
		nr_gran = 1;
	/* The first live object of each to-granule. */
	gran_first = calloc(nr_gran + 1, sizeof(*gran_first));
	nr_gran_from = nr_from / granule;
	from_uses = calloc(nr_gran_from, sizeof(*from_uses));
	last_t = malloc(nr_gran_from * sizeof(*last_t));
	if (!gran_first || !from_uses || !last_t)
		die("calloc");
	for (g = 0; g < nr_gran_from; g++)
		last_t[g] = -1;
	t = 0;
	for (unsigned long i = 0; i < nr_live; i++) {
		unsigned long tg = live_to[i] / PAGE / granule;

		while (t < tg)
			gran_first[++t] = i;
		g = live_from[i] / PAGE / granule;
		if (last_t[g] != (long)tg) {
			last_t[g] = tg;
			from_uses[g]++;
		}
	}
	while (t < nr_gran)
		gran_first[++t] = nr_live;
	free(last_t);
}

static char *map_aligned(unsigned long len, unsigned long align)
{
	char *raw = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (raw == MAP_FAILED)
		die("mmap");
	p = (char *)(((unsigned long)raw + align - 1) & ~(align - 1));
	if (p > raw)
		munmap(raw, p - raw);
	munmap(p + len, raw + align - p);
	madvise(p, len, opt.kind == KTHP ? MADV_HUGEPAGE : opt.kind == KMTHP ?
		MADV_NORMAL : MADV_NOHUGEPAGE);
	return p;
}

/*
 * The granule to prepare the next install in (move, dense): the free
 * from-granule that died first, or if none has, a fresh one from the
 * reserve, which the kernel allocates and zeroes. With @after, only the
 * one right after it (a batch moves a contiguous run): NULL if not free.
 */
static char *recycled(struct run *r, char *after)
{
	char *p;

	if (r->pool_head < r->pool_tail) {
		p = r->from + r->pool[r->pool_head] * granule * PAGE;
		if (after && p != after + granule * PAGE)
			return NULL;
		r->pool_head++;
		return p;
	}
	p = r->reserve + r->reserve_next * granule * PAGE;
	if (after && p != after + granule * PAGE)
		return NULL;
	r->reserve_next++;
	r->fresh++;
	return p;
}

/* A from-granule whose live objects have all gone may be reused. */
static void consumed(struct run *r, unsigned long g)
{
	if (!--r->uses[g])
		r->pool[r->pool_tail++] = g;
}

static void uffd_move(struct run *r, char *dst, char *src, unsigned long len)
{
	struct uffdio_move mv = {
		.dst = (unsigned long)dst, .src = (unsigned long)src, .len = len,
	};

	for (;;) {
		r->ioctls++;
		if (!ioctl(r->uffd, UFFDIO_MOVE, &mv))
			return;
		if (errno != EAGAIN && errno != EBUSY)
			die("UFFDIO_MOVE");
		/* Partly moved (a folio was split, a page was busy): the rest. */
		if (mv.move > 0) {
			mv.dst += mv.move;
			mv.src += mv.move;
			mv.len -= mv.move;
		}
		mv.move = 0;
	}
}

/* Is to-granule t one dense from-page, to move as it is (dense mode)? */
static char *dense_page(struct run *r, unsigned long t)
{
	unsigned long first = gran_first[t];

	if (r->mode != DENSE || first == gran_first[t + 1] ||
	    dense_to[live_from[first] / PAGE] != (long)t)
		return NULL;
	return r->from + live_from[first] / PAGE * PAGE;
}

/* Lay out to-granule t's live objects in @prep. */
static void prepare(struct run *r, unsigned long t, char *prep)
{
	unsigned long base = t * granule * PAGE, i, g, last_g = -1UL;

	memset(prep, 0, granule * PAGE);
	for (i = gran_first[t]; i < gran_first[t + 1]; i++) {
		memcpy(prep + live_to[i] - base, r->from + live_from[i],
		       live_size[i]);
		r->user_copied += live_size[i];
		g = live_from[i] / PAGE / granule;
		if (r->mode != COPY && g != last_g) {
			last_g = g;
			consumed(r, g);
		}
	}
}

/*
 * Prepare to-granule t and up to @batch - 1 after it that are not
 * installed yet, and install them with one ioctl: from consecutive
 * granules of the buffer (copy), of recycled memory (move; the run ends
 * where the next free granule is not the next one in memory), or a dense
 * page alone (dense). Returns how many it installed.
 */
static unsigned long install(struct run *r, unsigned long t,
			     unsigned long batch, char *buf)
{
	char *dst = r->to + t * granule * PAGE, *src, *prep, *dense;
	unsigned long n;

	dense = dense_page(r, t);
	if (dense) {
		uffd_move(r, dst, dense, PAGE);
		r->dense_moved++;
		atomic_store(&r->done[t], 1);
		return 1;
	}
	src = r->mode == COPY ? buf : recycled(r, NULL);
	prepare(r, t, src);
	for (n = 1, prep = src; n < batch && t + n < nr_gran; n++) {
		if (r->done[t + n] || dense_page(r, t + n))
			break;
		prep = r->mode == COPY ? prep + granule * PAGE :
					 recycled(r, prep);
		if (!prep)
			break;
		prepare(r, t + n, prep);
	}
	if (r->mode == COPY) {
		struct uffdio_copy cp = {
			.dst = (unsigned long)dst, .src = (unsigned long)buf,
			.len = n * granule * PAGE,
		};

		r->ioctls++;
		if (ioctl(r->uffd, UFFDIO_COPY, &cp))
			die("UFFDIO_COPY");
	} else {
		uffd_move(r, dst, src, n * granule * PAGE);
	}
	for (unsigned long i = 0; i < n; i++)
		atomic_store(&r->done[t + i], 1);
	return n;
}

/* Read and write random live objects until the GC is done. */
static void *mutate(void *arg)
{
	struct mutator *m = arg;
	struct run *r = m->run;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		unsigned long i = xorshift(&m->rng) % nr_live;
		char *p = r->to + live_to[i];
		bool missing = !atomic_load(&r->done[live_to[i] / PAGE /
						     granule]);
		double t0 = missing ? now_us(CLOCK_MONOTONIC) : 0;

		if (!obj_ok(p, live_id[i], live_size[i])) {
			m->bad = true;
			break;
		}
		((uint64_t *)p)[1] = word_of(live_id[i], 1);
		if (missing && m->nr_lat < MAX_LAT)
			m->lat[m->nr_lat++] = now_us(CLOCK_MONOTONIC) - t0;
		m->accesses++;
	}
	return NULL;
}

static const char *const vmstat_names[] = {
	"pgalloc_dma", "pgalloc_dma32", "pgalloc_normal", "pgalloc_movable",
	"thp_split_page", "nr_tlb_remote_flush", "nr_tlb_local_flush_all",
	"nr_tlb_local_flush_one",
};
#define NR_VMSTAT	(sizeof(vmstat_names) / sizeof(vmstat_names[0]))

/* The counters above; -1 for one the kernel does not have. */
static void read_vmstat(long *v)
{
	char key[64];
	long val;
	FILE *f = fopen("/proc/vmstat", "r");

	for (unsigned int i = 0; i < NR_VMSTAT; i++)
		v[i] = -1;
	if (!f)
		return;
	while (fscanf(f, "%63s %ld", key, &val) == 2)
		for (unsigned int i = 0; i < NR_VMSTAT; i++)
			if (!strcmp(key, vmstat_names[i]))
				v[i] = val;
	fclose(f);
}

struct result {
	bool ran;
	double gc_cpu_ms, wall_ms, p50, p99, max;
	unsigned long faults, accesses, ioctls, kcopied, fresh;
	unsigned long dense_moved, user_copied;
	long pgalloc, split;
	long tlb_ipi;		/* flushes that interrupted other CPUs */
	long tlb_local;		/* full local flushes + pages flushed one by one */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int open_uffd(bool move)
{
	struct uffdio_api api = {
		.api = UFFD_API, .features = move ? UFFD_FEATURE_MOVE : 0,
	};
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		die("userfaultfd");
	if (ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Evacuate the heap once in @mode; false if the kernel cannot. */
static bool run_mode(enum mode mode, struct result *res)
{
	unsigned long to_len = nr_gran * granule * PAGE, t, next = 0, nr = 0;
	struct mutator mut[MAX_THREADS] = {};
	long before[NR_VMSTAT], after[NR_VMSTAT];
	struct uffdio_register reg = {};
	struct uffd_msg msgs[16];
	struct run r = { .mode = mode };
	double t0, c0, *all;
	char *buf;
	ssize_t n;

	r.uffd = open_uffd(mode != COPY);
	if (r.uffd < 0)
		return false;
	r.from = map_aligned(nr_from * PAGE, PMD);
	r.to = map_aligned(to_len, PMD);
	r.reserve = map_aligned(to_len, PMD);
	r.done = calloc(nr_gran, sizeof(*r.done));
	r.uses = malloc(nr_from / granule * sizeof(*r.uses));
	r.pool = malloc(nr_from / granule * sizeof(*r.pool));
	buf = aligned_alloc(PAGE, opt.batch * granule * PAGE);
	if (!r.done || !r.uses || !r.pool || !buf)
		die("malloc");
	memcpy(r.uses, from_uses, nr_from / granule * sizeof(*r.uses));
	memset(buf, 0, opt.batch * granule * PAGE);
	/* The heap: dead objects are garbage, live ones checkable. */
	memset(r.from, 0xdb, nr_from * PAGE);
	for (unsigned long i = 0; i < nr_live; i++)
		write_obj(r.from + live_from[i], live_id[i], live_size[i]);
	reg.range.start = (unsigned long)r.to;
	reg.range.len = to_len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(r.uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");

	read_vmstat(before);
	for (unsigned long i = 0; i < opt.threads; i++) {
		mut[i].run = &r;
		mut[i].rng = opt.seed * 7919 + i + 1;
		mut[i].lat = malloc(MAX_LAT * sizeof(double));
		if (!mut[i].lat)
			die("malloc");
	}
	t0 = now_us(CLOCK_MONOTONIC);
	c0 = now_us(CLOCK_THREAD_CPUTIME_ID);
	for (unsigned long i = 0; i < opt.threads; i++)
		if (pthread_create(&mut[i].tid, NULL, mutate, &mut[i]))
			die("pthread_create");
	/* The GC: faulted granules first, then the next in address order. */
	while (nr < nr_gran) {
		n = read(r.uffd, msgs, sizeof(msgs));
		if (n < 0 && errno != EAGAIN)
			die("read(userfaultfd)");
		for (long k = 0; k < n / (long)sizeof(msgs[0]); k++) {
			if (msgs[k].event != UFFD_EVENT_PAGEFAULT)
				continue;
			t = (msgs[k].arg.pagefault.address -
			     (unsigned long)r.to) / PAGE / granule;
			if (t < nr_gran && !r.done[t])
				nr += install(&r, t, 1, buf);
		}
		while (next < nr_gran && r.done[next])
			next++;
		if (next < nr_gran)
			nr += install(&r, next, opt.batch, buf);
	}
	res->gc_cpu_ms = (now_us(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e3;
	res->wall_ms = (now_us(CLOCK_MONOTONIC) - t0) / 1e3;
	atomic_store(&r.stop, true);
	for (unsigned long i = 0; i < opt.threads; i++)
		pthread_join(mut[i].tid, NULL);
	read_vmstat(after);

	/* Every live object, where the GC put it. */
	for (unsigned long i = 0; i < nr_live; i++)
		if (!obj_ok(r.to + live_to[i], live_id[i], live_size[i])) {
			fprintf(stderr, "uffd_gc: %s: object %lu wrong\n",
				mode_name[mode], i);
			exit(1);
		}
	res->faults = 0;
	for (unsigned long i = 0; i < opt.threads; i++) {
		if (mut[i].bad) {
			fprintf(stderr, "uffd_gc: %s: a mutator read a wrong object\n",
				mode_name[mode]);
			exit(1);
		}
		res->faults += mut[i].nr_lat;
		res->accesses += mut[i].accesses;
	}
	all = malloc((res->faults + 1) * sizeof(*all));
	if (!all)
		die("malloc");
	nr = 0;
	for (unsigned long i = 0; i < opt.threads; i++) {
		memcpy(&all[nr], mut[i].lat, mut[i].nr_lat * sizeof(*all));
		nr += mut[i].nr_lat;
		free(mut[i].lat);
	}
	qsort(all, nr, sizeof(*all), cmp_double);
	res->p50 = nr ? all[nr / 2] : 0;
	res->p99 = nr ? all[nr * 99 / 100] : 0;
	res->max = nr ? all[nr - 1] : 0;
	free(all);
	res->ioctls = r.ioctls;
	res->kcopied = mode == COPY ? nr_gran * granule : 0;
	res->fresh = r.fresh * granule;
	res->dense_moved = r.dense_moved;
	res->user_copied = r.user_copied;
	res->pgalloc = 0;
	for (int i = 0; i < 4; i++)
		if (before[i] >= 0)
			res->pgalloc += after[i] - before[i];
	res->split = before[4] >= 0 ? after[4] - before[4] : -1;
	/* nr_tlb_*: CONFIG_DEBUG_TLBFLUSH kernels only */
	res->tlb_ipi = res->tlb_local = -1;
	if (before[5] >= 0) {
		res->tlb_ipi = after[5] - before[5];
		res->tlb_local = after[6] - before[6] + after[7] - before[7];
	}
	res->ran = true;
	close(r.uffd);
	munmap(r.from, nr_from * PAGE);
	munmap(r.to, to_len);
	munmap(r.reserve, to_len);
	free(r.done);
	free(r.uses);
	free(r.pool);
	free(buf);
	return true;
}

/* 64 KiB mTHP for anonymous memory, if the kernel has it; restored. */
static char mthp_saved[64];

static bool set_mthp(const char *val)
{
	FILE *f = fopen(MTHP_SYSFS, "w");
	bool ok;

	if (!f)
		return false;
	ok = fputs(val, f) >= 0;
	return !fclose(f) && ok;
}

static bool mthp_on(void)
{
	FILE *f = fopen(MTHP_SYSFS, "r");
	char *l, *r;

	if (!f || !fgets(mthp_saved, sizeof(mthp_saved), f)) {
		if (f)
			fclose(f);
		return false;
	}
	fclose(f);
	/* "always [inherit] madvise never": keep the bracketed one. */
	l = strchr(mthp_saved, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!l || !r)
		return false;
	*r = 0;
	memmove(mthp_saved, l + 1, strlen(l + 1) + 1);
	return set_mthp("always");
}

static void usage(void)
{
	fprintf(stderr, "usage: uffd_gc [-m MiB] [-l LIVE%%] [-d DENSE%%] "
		"[-t THREADS] [-s SEED] [-b BATCH] [-k 4k|mthp|thp] "
		"[-M copy,move,dense]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct result res[NR_MODES] = {};
	int c;

	while ((c = getopt(argc, argv, "m:l:d:t:s:b:k:M:")) != -1) {
		switch (c) {
		case 'm': opt.mib = strtoul(optarg, NULL, 0); break;
		case 'l': opt.live = strtoul(optarg, NULL, 0); break;
		case 'd': opt.dense = strtoul(optarg, NULL, 0); break;
		case 't': opt.threads = strtoul(optarg, NULL, 0); break;
		case 's': opt.seed = strtoul(optarg, NULL, 0); break;
		case 'b': opt.batch = strtoul(optarg, NULL, 0); break;
		case 'k':
			if (!strcmp(optarg, "4k"))
				opt.kind = K4K;
			else if (!strcmp(optarg, "mthp"))
				opt.kind = KMTHP;
			else if (!strcmp(optarg, "thp"))
				opt.kind = KTHP;
			else
				usage();
			break;
		case 'M':
			for (int m = 0; m < NR_MODES; m++)
				opt.modes[m] = strstr(optarg, mode_name[m]);
			break;
		default:
			usage();
		}
	}
	if (!opt.mib || opt.live > 100 || opt.dense > opt.live ||
	    opt.threads > MAX_THREADS || !opt.batch || optind != argc)
		usage();
	granule = opt.kind == KTHP ? PMD / PAGE : opt.kind == KMTHP ? 16 : 1;
	/* Whole dense pages move on their own: only where a granule is one. */
	if (granule > 1)
		opt.modes[DENSE] = false;
	if (opt.kind == KMTHP && !mthp_on()) {
		printf("uffd_gc: no 64 KiB anonymous mTHP here\n");
		return 0;
	}
	layout();
	printf("uffd_gc: heap %lu MiB of %s folios, %lu live objects "
	       "(%lu%% live, %lu%% of pages dense), %lu to-space granules of "
	       "%lu KiB, %lu mutator threads, up to %lu granules per install "
	       "in address order\n", opt.mib, kind_name[opt.kind], nr_live,
	       opt.live, opt.dense, nr_gran, granule * PAGE / 1024,
	       opt.threads, opt.batch);
	printf("%-6s %-7s %5s %10s %10s %8s %8s %8s %8s %8s %8s %8s %8s %10s %8s %8s %9s\n",
	       "mode", "heap", "batch", "gc_cpu_ms", "wall_ms", "faults", "p50_us",
	       "p99_us", "max_us", "ioctls", "kcopied", "fresh", "moved",
	       "ucopy_KiB", "pgalloc", "tlb_ipi", "tlb_local");
	for (int m = 0; m < NR_MODES; m++) {
		struct result *x = &res[m];

		if (!opt.modes[m])
			continue;
		if (!run_mode(m, x)) {
			printf("%-6s %-7s %5lu (the kernel has no UFFDIO_MOVE)\n",
			       mode_name[m], kind_name[opt.kind], opt.batch);
			continue;
		}
		printf("%-6s %-7s %5lu %10.1f %10.1f %8lu %8.1f %8.1f %8.1f %8lu %8lu %8lu %8lu %10lu %8ld %8ld %9ld\n",
		       mode_name[m], kind_name[opt.kind], opt.batch, x->gc_cpu_ms,
		       x->wall_ms, x->faults, x->p50, x->p99, x->max, x->ioctls,
		       x->kcopied, x->fresh, x->dense_moved,
		       x->user_copied / 1024, x->pgalloc, x->tlb_ipi,
		       x->tlb_local);
	}
	for (int m = MOVE; m < NR_MODES; m++) {
		double cpu;

		if (!res[m].ran || !res[COPY].ran)
			continue;
		cpu = res[m].gc_cpu_ms / res[COPY].gc_cpu_ms;
		printf("ratio  %-7s %5lu %s/copy: gc_cpu %.2f, wall %.2f "
		       "(%.0f%% %s compaction-thread time)\n",
		       kind_name[opt.kind], opt.batch, mode_name[m], cpu,
		       res[m].wall_ms / res[COPY].wall_ms,
		       100 * (cpu < 1 ? 1 - cpu : cpu - 1),
		       cpu < 1 ? "less" : "more");
	}
	if (opt.kind == KMTHP)
		set_mthp(mthp_saved);
	return 0;
}
