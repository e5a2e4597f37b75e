// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * torture: relocating moves under fire. A set of regions of private
 * anonymous memory (4 KiB pages, 64 KiB mTHP, 2 MiB THP; some KSM-mergeable)
 * is moved back and forth between the two halves of each region's own
 * window, aligned and not, partly swapped out, by mover threads: mremap()
 * with MREMAP_MUST_RELOCATE_ANON, MREMAP_RELOCATE_ANON or no flag (with
 * vm.anon_relocate flipped between off, always and auto meanwhile), and
 * UFFDIO_MOVE. At the same time, on the same memory, racers that do not
 * wait for the movers:
 *   pageout    MADV_PAGEOUT of part of a region
 *   memcg      the process runs in a memory cgroup with a low memory.max;
 *              this racer also writes memory.reclaim
 *   migrate    another process: move_pages() of a region's pages to the
 *              other node, and migrate_pages() of the whole process
 *   compact    /proc/sys/vm/compact_memory
 *   collapse   MADV_COLLAPSE, of a THP split into 4 KiB pages first half
 *              the time (debugfs split_huge_pages: reassembly in its
 *              block), of a THP whose PMD mapping alone was split a
 *              quarter of the time (MADV_NOHUGEPAGE of one page and back,
 *              under the region's lock: in-place collapse); khugepaged
 *              scans with aggressive settings
 *   ksm        ksmd on; use_zero_pages flipped
 *   pin        io_uring fixed buffers (FOLL_LONGTERM pins) and vmsplice()
 *   dio        O_DIRECT writes from a region to a loop device: GUP-fast
 *   fork       children that check their copy of a region and exit
 *   pagemap    /proc/self/pagemap, /proc/kpageflags, page_idle, clear_refs
 *   sysctl     vm.anon_relocate 0, 1, 2
 * and, under the region's lock (they change contents, so the model must
 * follow), the movers also write, MADV_DONTNEED, MADV_FREE, O_DIRECT-read
 * from the loop device into, and MADV_HWPOISON a page of, a region.
 *
 * After every mover step the region's VMA is checked with PROCMAP_QUERY
 * (exact bounds, nothing else in its window) and every byte against the
 * model; a poisoned page must raise SIGBUS at its own address. At the end,
 * with the racers stopped, every page must still be reachable through rmap:
 * MADV_PAGEOUT swaps out every page (pagemap), move_pages() migrates every
 * page to the other node and reports it there. -f injects allocation
 * failures (failslab, fail_page_alloc; probability and interval) into the
 * movers' and racers' system calls: errors are allowed, a failed move must
 * leave the region where it was, lost data is never allowed.
 *
 * The counts printed at the end say how often each racer actually hit a
 * region whose memory its last move had relocated, and what /proc/vmstat
 * counted meanwhile.
 *
 * -x free,uffd leaves out MADV_FREE (MADV_DONTNEED instead) and UFFDIO_MOVE
 * (mremap instead), to tell a failure apart. The two each found a 6.12 bug,
 * fixed at the head of the series: MADV_FREE in a parent discarded its fork
 * child's copy of a page swapped in by a read fault (patches 0005-0006), and
 * UFFDIO_MOVE failed with ENOENT on a source THP under migration, then oopsed
 * waiting for it (patches 0003-0004).
 *
 * Usage: torture [-s SEED] [-t SECONDS] [-r REGIONS] [-m MOVERS] [-f]
 *                [-x free,uffd] [-v]
 * Needs root, a kernel with the anonmove series. Exit 0: all checks held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define MREMAP_RELOCATE_ANON 8
#define MREMAP_MUST_RELOCATE_ANON 16

/* include/uapi/linux/fs.h (6.11+) */
struct procmap_query {
	uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags;
	uint64_t vma_page_size, vma_offset, inode;
	uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
	uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE 0x1
#define PROCMAP_QUERY_VMA_WRITABLE 0x2
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10

/* include/uapi/linux/userfaultfd.h */
struct uffdio_api { uint64_t api, features, ioctls; };
struct uffdio_range { uint64_t start, len; };
struct uffdio_register { struct uffdio_range range; uint64_t mode, ioctls; };
struct uffdio_move { uint64_t dst, src, len, mode; int64_t move; };
struct uffdio_copy { uint64_t dst, src, len, mode; int64_t copy; };
#define UFFDIO 0xAA
#define UFFD_API 0xAA
#define UFFD_FEATURE_MOVE (1 << 16)
#define UFFDIO_API _IOWR(UFFDIO, 0x3F, struct uffdio_api)
#define UFFDIO_REGISTER _IOWR(UFFDIO, 0x00, struct uffdio_register)
#define UFFDIO_UNREGISTER _IOR(UFFDIO, 0x01, struct uffdio_range)
#define UFFDIO_MOVE _IOWR(UFFDIO, 0x05, struct uffdio_move)
#define UFFDIO_COPY _IOWR(UFFDIO, 0x03, struct uffdio_copy)
#define UFFDIO_REGISTER_MODE_MISSING 1
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES 2

/* include/uapi/linux/io_uring.h */
#define IORING_REGISTER_BUFFERS 0
#define IORING_UNREGISTER_BUFFERS 1

/* include/uapi/linux/loop.h */
#define LOOP_SET_FD 0x4C00
#define LOOP_CLR_FD 0x4C01
#define LOOP_CTL_GET_FREE 0x4C82

#define MPOL_MF_MOVE (1 << 1)
#define KPF_KSM 21
#define KPF_THP 22
#define KPF_ZERO_PAGE 24
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_PFN(e) ((e) & ((1ULL << 55) - 1))

#define PAGE 4096UL
#define WORDS (PAGE / 8)
#define PMD (2UL << 20)
#define ARENA 0x200000000000UL	/* far below mmap_base: nothing else lands here */
#define WINDOW (16UL << 20)	/* a region's own: two halves of 8 MiB */
#define HALF (WINDOW / 2)
#define MAXREG 32
#define DIO_PAGES 1024		/* the loop device: 4 MiB pattern, 4 MiB scratch */
#define MAX_POISON 8

enum kind { SMALL, MTHP, THP };
static const char *const kind_name[] = { "4k", "mthp", "thp" };

/* What a page must hold: a pattern of (region, page, gen), zeroes, a
 * block of the loop device's pattern, or nothing (poisoned: SIGBUS). */
enum { PG_PATTERN, PG_ZERO, PG_FILE, PG_POISON };
#define PG_MAYBE_ZERO 0x80	/* MADV_FREE'd: the above, or all zeroes */
/* MADV_HWPOISON'd without killing us: memory_failure() may have recovered
 * the data (a clean page with a copy in swap is dropped and read back from
 * it), so SIGBUS or the above */
#define PG_MAYBE_POISON 0x40
#define PG_BASE(st) ((st) & 0x0f)

struct page_model {
	uint32_t gen;
	uint8_t st;
};

/* Shared with the migrator process and fork children. */
struct shared_region {
	_Atomic unsigned long cur;	/* start, 0 while being created */
	_Atomic unsigned long len;
	_Atomic int relocated;		/* its last move relocated (MUST) */
};

enum racer {
	R_MOVE, R_MOVE_RELOC, R_UFFD_MOVE, R_UFFD_PAGES, R_MOVE_FAILED, R_WRITE, R_DONTNEED,
	R_FREE, R_DIO_READ, R_POISON, R_PAGEOUT, R_RECLAIM, R_MIGRATE,
	R_MIGRATE_ALL, R_COMPACT, R_COLLAPSE, R_KSM, R_PIN, R_VMSPLICE,
	R_DIO_WRITE, R_FORK, R_PAGEMAP, R_KSM_SEEN, R_THP_SEEN, R_IDLE, R_CLEAR_REFS,
	R_SYSCTL, NR_RACERS
};
static const char *const racer_name[NR_RACERS] = {
	"move (mremap)", "  of which relocated", "move (UFFDIO_MOVE)",
	"  pages moved (refused: copied)",
	"move failed (region stayed)", "write", "MADV_DONTNEED", "MADV_FREE",
	"O_DIRECT read into", "MADV_HWPOISON", "MADV_PAGEOUT",
	"memory.reclaim", "move_pages (pages)", "migrate_pages",
	"compact_memory", "MADV_COLLAPSE", "ksm use_zero_pages flip",
	"io_uring pin", "vmsplice", "O_DIRECT write from", "fork child check",
	"pagemap+kpageflags", "  KSM pages seen", "  THP pages seen",
	"page_idle (pages)", "clear_refs",
	"vm.anon_relocate flip",
};

struct shared {
	_Atomic int stop, failed;
	_Atomic long ops[NR_RACERS];	/* attempts that succeeded */
	_Atomic long hits[NR_RACERS];	/* ... on a region its last move relocated */
	_Atomic long errs[NR_RACERS];	/* attempts the kernel refused */
	struct shared_region reg[MAXREG];
};
static struct shared *sh;

struct region {
	pthread_mutex_t lock;
	int id;
	enum kind kind;
	bool mergeable;
	unsigned long base, len, npages;
	struct page_model *pm;
	int npoison;
	_Atomic int gup;	/* pins and children in flight: no poisoning */
	char history[8][96];
	unsigned int nhist;
};

static struct region regions[MAXREG];
static int nreg = 8, nmovers = 2, verbose;
static uint64_t seed;
static bool inject;
static bool no_free, no_uffd;	/* -x free,uffd: steps left out */
static int dio_fd = -1;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t main_pid;

/* glibc's mremap() refuses flags it does not know: the system call. */
static void *sys_mremap(void *old, unsigned long old_len, unsigned long new_len,
			int flags, void *new_addr)
{
	return (void *)syscall(__NR_mremap, old, old_len, new_len, flags, new_addr);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned long below(uint64_t *s, unsigned long n)
{
	return n ? rnd(s) % n : 0;
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void fail(struct region *r, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&out_lock);
	printf("# FAIL (seed %" PRIu64 "): %s\n", seed, buf);
	if (r) {
		printf("#   region %d (%s%s, %lu pages) at %#lx; its last steps:\n",
		       r->id, kind_name[r->kind], r->mergeable ? ", ksm" : "",
		       r->npages, (unsigned long)sh->reg[r->id].cur);
		for (unsigned int i = r->nhist > 8 ? r->nhist - 8 : 0; i < r->nhist; i++)
			printf("#     %s\n", r->history[i % 8]);
	}
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
	sh->failed = 1;
	sh->stop = 1;
}

static void hist(struct region *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->history[r->nhist++ % 8], sizeof(r->history[0]), fmt, ap);
	va_end(ap);
	if (verbose > 1)
		say("# r%d %s\n", r->id, r->history[(r->nhist - 1) % 8]);
}

static void count(enum racer w, struct region *r)
{
	sh->ops[w]++;
	if (r && sh->reg[r->id].relocated)
		sh->hits[w]++;
}

static void pause_ms(uint64_t *s, unsigned int max_ms)
{
	unsigned long us = below(s, max_ms * 1000UL + 1);
	struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* Fault injection, per thread: only around the kernel calls under test.
 * The file is opened while allocations still succeed, and kept. */
static __thread int fail_fd = -1;

static void make_it_fail(bool on)
{
	int tries = 0;

	if (!inject)
		return;
	if (fail_fd < 0)
		fail_fd = open("/proc/thread-self/make-it-fail", O_WRONLY | O_CLOEXEC);
	while (fail_fd < 0 || pwrite(fail_fd, on ? "1" : "0", 1, 0) != 1) {
		if (fail_fd < 0 || ++tries > 100) {
			perror("make-it-fail");
			exit(1);
		}
	}
}

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The whole of a small file (procfs, sysfs), NUL-terminated. */
static int read_whole(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = 0;
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

/* Its first line. */
static int read_file(const char *path, char *buf, size_t len)
{
	int ret = read_whole(path, buf, len);

	buf[strcspn(buf, "\n")] = 0;
	return ret;
}

/* Knobs changed for the run, put back at its end (later tests share the
 * guest). */
struct knob {
	const char *path, *val;
	char old[64];
	bool set;
};
static struct knob knobs[] = {
	{ .path = "/sys/kernel/mm/transparent_hugepage/enabled", .val = "madvise" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled", .val = "always" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/defrag", .val = "madvise" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs", .val = "10" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/alloc_sleep_millisecs", .val = "10" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_to_scan", .val = "4096" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none", .val = "511" },
	{ .path = "/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_swap", .val = "256" },
	{ .path = "/sys/kernel/mm/ksm/run", .val = "1" },
	{ .path = "/sys/kernel/mm/ksm/sleep_millisecs", .val = "10" },
	{ .path = "/sys/kernel/mm/ksm/pages_to_scan", .val = "1000" },
	{ .path = "/sys/kernel/mm/ksm/use_zero_pages", .val = "0" },
	{ .path = "/proc/sys/vm/anon_relocate", .val = "1" },
};

static void set_knobs(void)
{
	for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		struct knob *k = &knobs[i];

		if (read_file(k->path, k->old, sizeof(k->old)))
			continue;
		/* "always [madvise] never": keep the bracketed one */
		char *b = strchr(k->old, '[');
		if (b) {
			memmove(k->old, b + 1, strlen(b));
			k->old[strcspn(k->old, "]")] = 0;
		}
		if (write_file(k->path, k->val) == 0)
			k->set = true;
		else
			say("# cannot set %s to %s\n", k->path, k->val);
	}
}

static void restore_knobs(void)
{
	for (size_t i = sizeof(knobs) / sizeof(knobs[0]); i-- > 0;)
		if (knobs[i].set)
			write_file(knobs[i].path, knobs[i].old);
}

/* ---- contents ------------------------------------------------------- */

static uint64_t want_word(const struct region *r, unsigned long p,
			  const struct page_model *m, unsigned long w)
{
	uint64_t h;

	switch (PG_BASE(m->st)) {
	case PG_ZERO:
		return 0;
	case PG_FILE:
		return mix(0xf11eULL << 40 ^ (uint64_t)m->gen << 12 ^ w);
	}
	h = mix(seed ^ (uint64_t)r->id << 48 ^ (uint64_t)p << 20 ^ m->gen);
	if (r->mergeable) {
		/* KSM fodder: pages alike across the region, and zero pages */
		if ((h & 7) < 2)
			return mix(0xd0d0ULL ^ m->gen) + w;
		if ((h & 7) == 2)
			return 0;
	}
	return h + w * 0x9e3779b97f4a7c15ULL;
}

static void fill_page(struct region *r, char *addr, unsigned long p)
{
	uint64_t *q = (uint64_t *)addr;

	for (unsigned long w = 0; w < WORDS; w++)
		q[w] = want_word(r, p, &r->pm[p], w);
}

static __thread sigjmp_buf bus_jmp;
static __thread volatile int bus_armed;
static __thread void *volatile bus_addr;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (bus_armed) {
		bus_addr = si->si_addr;
		bus_armed = 0;
		siglongjmp(bus_jmp, 1);
	}
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "# FAIL (seed %" PRIu64 "): unexpected signal %d at %p\n",
			 seed, sig, si->si_addr);
	write(1, buf, n);
	_exit(1);
}

/* 1: SIGBUS at addr exactly; 0: no SIGBUS (contents readable);
 * -1: SIGBUS elsewhere. */
static int probe_poison(char *addr)
{
	if (sigsetjmp(bus_jmp, 1) == 0) {
		bus_armed = 1;
		*(volatile char *)addr;
		bus_armed = 0;
		return 0;
	}
	return bus_addr == addr ? 1 : -1;
}

static bool page_ok(struct region *r, char *addr, unsigned long p, bool child)
{
	const struct page_model *m = &r->pm[p];
	const uint64_t *q = (const uint64_t *)addr;
	int st = PG_BASE(m->st);
	bool exact = true;	/* so far */

	if (st == PG_POISON || (m->st & PG_MAYBE_POISON)) {
		if (child)
			return true;	/* the child's copy: not checked */
		int got = probe_poison(addr);
		if (got == 1)
			return true;
		if (got < 0 || st == PG_POISON)
			return false;
		/* recovered: what it held before */
	}
	for (unsigned long w = 0; w < WORDS; w++) {
		if (exact && q[w] != want_word(r, p, m, w)) {
			exact = false;
			/* MADV_FREE'd: reclaim may drop it while we read,
			 * and the rest reads as zeroes */
			if (!(m->st & PG_MAYBE_ZERO))
				return false;
		}
		if (!exact && q[w])
			return false;
	}
	return true;
}

static void describe_page(struct region *r, char *addr, unsigned long p, char *buf, size_t len)
{
	const uint64_t *q = (const uint64_t *)addr;
	const struct page_model *m = &r->pm[p];
	unsigned long w;

	for (w = 0; w < WORDS; w++)
		if (q[w] != want_word(r, p, m, w))
			break;
	snprintf(buf, len, "page %lu (%#lx): state %#x gen %u: word %lu is %#" PRIx64
		 ", model says %#" PRIx64, p, (unsigned long)addr, m->st, m->gen, w,
		 w < WORDS ? q[w] : 0, w < WORDS ? want_word(r, p, m, w) : 0);
}

/* Every byte of the region against the model. */
static bool check_region(struct region *r, const char *after)
{
	char *a = (char *)sh->reg[r->id].cur;
	char buf[256];

	for (unsigned long p = 0; p < r->npages; p++) {
		if (page_ok(r, a + p * PAGE, p, false))
			continue;
		if (PG_BASE(r->pm[p].st) == PG_POISON)
			snprintf(buf, sizeof(buf), "page %lu: poisoned, but no SIGBUS at %p",
				 p, (void *)(a + p * PAGE));
		else
			describe_page(r, a + p * PAGE, p, buf, sizeof(buf));
		fail(r, "after %s: %s", after, buf);
		return false;
	}
	return true;
}

/* The region is exactly one VMA, read-write, alone in its window. */
static int maps_fd = -1;

static bool check_vma(struct region *r, const char *after)
{
	unsigned long cur = sh->reg[r->id].cur, end = cur + r->len;
	unsigned long base = r->base;
	struct procmap_query q = { .size = sizeof(q),
		.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA, .query_addr = base };

	if (ioctl(maps_fd, PROCMAP_QUERY, &q)) {
		fail(r, "after %s: PROCMAP_QUERY at %#lx: %s", after, base, strerror(errno));
		return false;
	}
	if (q.vma_start != cur || q.vma_end != end ||
	    (q.vma_flags & 3) != (PROCMAP_QUERY_VMA_READABLE | PROCMAP_QUERY_VMA_WRITABLE)) {
		fail(r, "after %s: first VMA in the window is %#llx-%#llx flags %#llx, want %#lx-%#lx rw",
		     after, (unsigned long long)q.vma_start, (unsigned long long)q.vma_end,
		     (unsigned long long)q.vma_flags, cur, end);
		return false;
	}
	q.query_addr = end;
	if (ioctl(maps_fd, PROCMAP_QUERY, &q) == 0 && q.vma_start < base + WINDOW) {
		fail(r, "after %s: a second VMA %#llx-%#llx in the window of %#lx-%#lx",
		     after, (unsigned long long)q.vma_start, (unsigned long long)q.vma_end, cur, end);
		return false;
	}
	return true;
}

/* ---- the regions ------------------------------------------------------ */

static int madvise_kind(struct region *r, char *a, unsigned long len)
{
	if (r->kind == SMALL && madvise(a, len, MADV_NOHUGEPAGE))
		return -1;
	if (r->kind == THP && madvise(a, len, MADV_HUGEPAGE))
		return -1;
	if (r->mergeable && madvise(a, len, MADV_MERGEABLE))
		return -1;
	return 0;
}

static void create_region(struct region *r, int id, uint64_t *s)
{
	char *a;

	pthread_mutex_init(&r->lock, NULL);
	r->id = id;
	r->kind = id % 3;
	r->mergeable = id % 4 == 3;
	r->base = ARENA + id * WINDOW;
	switch (r->kind) {
	case SMALL:
		r->npages = 128 + below(s, 256);
		break;
	case MTHP:
		r->npages = 256 + below(s, 512);
		break;
	case THP:
		r->npages = 1024 + below(s, 64);	/* two PMDs where aligned */
		break;
	}
	r->len = r->npages * PAGE;
	r->pm = calloc(r->npages, sizeof(*r->pm));
	a = mmap((void *)r->base, r->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (a != (char *)r->base || !r->pm || madvise_kind(r, a, r->len)) {
		perror("region");
		exit(1);
	}
	sh->reg[id].len = r->len;
	sh->reg[id].cur = r->base;
	for (unsigned long p = 0; p < r->npages; p++) {
		r->pm[p].gen = 1;
		fill_page(r, a + p * PAGE, p);
	}
	hist(r, "created %lu pages at %#lx", r->npages, r->base);
}

static pthread_mutex_t move_lock = PTHREAD_MUTEX_INITIALIZER;

/* /proc/vmstat's mremap_relocate: moves that relocated, system-wide. */
static long relocations(void)
{
	static char buf[1 << 14];
	char *at;

	read_whole("/proc/vmstat", buf, sizeof(buf));
	at = strstr(buf, "\nmremap_relocate ");
	return at ? atol(at + strlen("\nmremap_relocate ")) : -1;
}

static unsigned long other_half(struct region *r, uint64_t *s)
{
	unsigned long cur = sh->reg[r->id].cur;
	unsigned long half = cur < r->base + HALF ? r->base + HALF : r->base;
	/* >= 2 MiB; never up to the window's end, where the next region
	 * may start */
	unsigned long room = HALF - r->len - 65536;

	switch (below(s, 4)) {
	case 0:
		return half;			/* PMD-aligned */
	case 1:
		return half + PMD;		/* PMD-aligned */
	case 2:
		return half + below(s, room / 65536) * 65536;	/* 64 KiB */
	default:
		return half + below(s, room / PAGE) * PAGE;	/* any page */
	}
}

static bool is_unmapped(unsigned long start, unsigned long len)
{
	struct procmap_query q = { .size = sizeof(q),
		.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA, .query_addr = start };

	return ioctl(maps_fd, PROCMAP_QUERY, &q) || q.vma_start >= start + len;
}

static void step_mremap(struct region *r, uint64_t *s)
{
	unsigned long cur = sh->reg[r->id].cur, dst = other_half(r, s);
	static const int flags[] = { MREMAP_MUST_RELOCATE_ANON, MREMAP_RELOCATE_ANON, 0 };
	int f = flags[below(s, 3)];
	long before;
	bool relocated;
	void *got;
	int err;

	/* partly swapped out when it moves */
	if (below(s, 4) == 0) {
		unsigned long p = below(s, r->npages), n = 1 + below(s, r->npages - p);

		madvise((char *)cur + p * PAGE, n * PAGE, MADV_PAGEOUT);
	}
	/* whether it relocated: the counter, read around the call, with the
	 * other movers' calls kept out of the window */
	pthread_mutex_lock(&move_lock);
	before = relocations();
	make_it_fail(true);
	got = sys_mremap((void *)cur, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED | f, (void *)dst);
	err = errno;
	make_it_fail(false);
	relocated = relocations() > before;
	pthread_mutex_unlock(&move_lock);
	if (got == MAP_FAILED) {
		hist(r, "mremap %#lx -> %#lx flags %#x: %s", cur, dst, f, strerror(err));
		/* declined (shared, pinned, KSM, poisoned: EFAULT), busy
		 * (EAGAIN); ENOMEM only where allocations are made to fail */
		if (!(err == EFAULT && f == MREMAP_MUST_RELOCATE_ANON) &&
		    !(err == EAGAIN && f == MREMAP_MUST_RELOCATE_ANON) &&
		    !(err == ENOMEM && inject)) {
			fail(r, "mremap %#lx -> %#lx flags %#x: %s", cur, dst, f, strerror(err));
			return;
		}
		sh->errs[R_MOVE]++;
		count(R_MOVE_FAILED, r);
		if (!is_unmapped(dst, r->len))
			fail(r, "a failed mremap left a mapping at its destination %#lx", dst);
		return;
	}
	if (got != (void *)dst) {
		fail(r, "mremap returned %p, not %#lx", got, dst);
		return;
	}
	if (f == MREMAP_MUST_RELOCATE_ANON && !relocated) {
		fail(r, "MREMAP_MUST_RELOCATE_ANON moved, but mremap_relocate did not count it");
		return;
	}
	sh->reg[r->id].cur = dst;
	sh->reg[r->id].relocated = relocated;
	hist(r, "mremap %#lx -> %#lx flags %#x%s", cur, dst, f, relocated ? ": relocated" : "");
	count(R_MOVE, r);
	if (relocated)
		count(R_MOVE_RELOC, r);
}

/* UFFDIO_MOVE the whole region to a new VMA in the other half. A page it
 * refuses (EBUSY: not exclusive, e.g. still COW-shared after a fork child
 * exited; pinned) is copied over with UFFDIO_COPY, and the move goes on
 * after it. */
static void step_uffd_move(struct region *r, uint64_t *s)
{
	unsigned long cur = sh->reg[r->id].cur, dst = other_half(r, s);
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MOVE };
	struct uffdio_register reg = { .range = { dst, r->len },
				       .mode = UFFDIO_REGISTER_MODE_MISSING };
	unsigned long done = 0, moved = 0, copied = 0, touched = -1UL, tried_at = 0;
	int uffd, tries = 0, err = 0;
	char *d;

	d = mmap((void *)dst, r->len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (d != (char *)dst) {
		fail(r, "mmap of the UFFDIO_MOVE destination %#lx: %s", dst, strerror(errno));
		return;
	}
	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) || madvise_kind(r, d, r->len) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		fail(r, "userfaultfd setup: %s", strerror(errno));
		return;
	}
	while (done < r->len) {
		struct uffdio_move mv = { .dst = dst + done, .src = cur + done,
			.len = r->len - done, .mode = UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES };
		struct uffdio_copy cp = { .dst = dst + done, .src = cur + done, .len = PAGE };
		int ret;

		make_it_fail(true);
		ret = ioctl(uffd, UFFDIO_MOVE, &mv);
		err = errno;
		make_it_fail(false);
		if (mv.move > 0) {
			done += mv.move;
			moved += mv.move;
		}
		if (!ret)
			break;
		if (done != tried_at) {
			tried_at = done;
			tries = 0;
		}
		/* EAGAIN: raced, or (6.12) a large folio it cannot split
		 * because someone holds a reference: retry, then copy */
		if ((err == EAGAIN || (err == ENOMEM && inject)) && ++tries < 20) {
			continue;
		} else if ((err == EBUSY || err == EAGAIN) && touched != done) {
			/* Not exclusive to us: after a fork child's exit its
			 * pages stay COW-shared until written. Writing what it
			 * holds makes it ours again; then retry. */
			volatile uint64_t *w = (uint64_t *)(cur + done);

			touched = done;
			*w = *w;
			continue;
		} else if (err == EBUSY || err == EAGAIN || (err == ENOMEM && inject)) {
			/* still refused (pinned?): copy it, move on after it */
			make_it_fail(true);
			ret = ioctl(uffd, UFFDIO_COPY, &cp);
			err = errno;
			make_it_fail(false);
			if (!ret) {
				done += PAGE;
				copied++;
				continue;
			}
			if ((err == EAGAIN || (err == ENOMEM && inject)) && ++tries < 40)
				continue;
		}
		fail(r, "UFFDIO_MOVE/COPY %#lx -> %#lx (%lu of %lu bytes done): %s",
		     cur + done, dst + done, done, r->len, strerror(err));
		return;
	}
	/* explicitly: a fork child may hold the descriptor a while longer,
	 * and closing it would not unregister the range until it exits */
	if (ioctl(uffd, UFFDIO_UNREGISTER, &reg.range)) {
		fail(r, "UFFDIO_UNREGISTER: %s", strerror(errno));
		return;
	}
	close(uffd);
	if (munmap((void *)cur, r->len)) {
		fail(r, "munmap of the UFFDIO_MOVE source: %s", strerror(errno));
		return;
	}
	sh->reg[r->id].cur = dst;
	sh->reg[r->id].relocated = 0;
	hist(r, "UFFDIO_MOVE %#lx -> %#lx: %lu pages moved, %lu copied", cur, dst,
	     moved / PAGE, copied);
	count(R_UFFD_MOVE, r);
	sh->ops[R_UFFD_PAGES] += moved / PAGE;
	sh->errs[R_UFFD_PAGES] += copied;
}

static void random_range(struct region *r, uint64_t *s, unsigned long *p, unsigned long *n)
{
	*p = below(s, r->npages);
	*n = 1 + below(s, r->npages - *p < 64 ? r->npages - *p : 64);
	if (below(s, 4) == 0)	/* sometimes large */
		*n = r->npages - *p;
}

static bool range_has_poison(struct region *r, unsigned long p, unsigned long n)
{
	for (unsigned long i = p; i < p + n; i++)
		if (PG_BASE(r->pm[i].st) == PG_POISON || (r->pm[i].st & PG_MAYBE_POISON))
			return true;
	return false;
}

static void step_write(struct region *r, uint64_t *s)
{
	unsigned long p, n;
	char *a = (char *)sh->reg[r->id].cur;

	random_range(r, s, &p, &n);
	if (range_has_poison(r, p, n))
		return;
	for (unsigned long i = p; i < p + n; i++) {
		r->pm[i].gen++;
		r->pm[i].st = PG_PATTERN;
		fill_page(r, a + i * PAGE, i);
	}
	hist(r, "write pages %lu-%lu", p, p + n - 1);
	count(R_WRITE, r);
}

static void step_zap(struct region *r, uint64_t *s, int advice)
{
	unsigned long p, n;
	char *a = (char *)sh->reg[r->id].cur;
	int ret, err;

	random_range(r, s, &p, &n);
	if (range_has_poison(r, p, n))
		return;
	make_it_fail(true);
	ret = madvise(a + p * PAGE, n * PAGE, advice);
	err = errno;
	make_it_fail(false);
	hist(r, "%s pages %lu-%lu: %d", advice == MADV_FREE ? "MADV_FREE" : "MADV_DONTNEED",
	     p, p + n - 1, ret ? err : 0);
	if (ret && !(inject && err == ENOMEM)) {
		fail(r, "madvise(%d) of pages %lu-%lu: %s", advice, p, p + n - 1, strerror(err));
		return;
	}
	for (unsigned long i = p; i < p + n; i++) {
		if (advice == MADV_DONTNEED && !ret)
			r->pm[i].st = PG_ZERO;
		else
			r->pm[i].st |= PG_MAYBE_ZERO;
	}
	if (ret)
		sh->errs[advice == MADV_FREE ? R_FREE : R_DONTNEED]++;
	else
		count(advice == MADV_FREE ? R_FREE : R_DONTNEED, r);
}

static void step_dio_read(struct region *r, uint64_t *s)
{
	unsigned long p, n, blk;
	char *a = (char *)sh->reg[r->id].cur;
	ssize_t got;

	if (dio_fd < 0)
		return;
	random_range(r, s, &p, &n);
	if (n > 256)
		n = 256;
	if (range_has_poison(r, p, n))
		return;
	blk = below(s, DIO_PAGES - n);
	got = pread(dio_fd, a + p * PAGE, n * PAGE, blk * PAGE);
	hist(r, "O_DIRECT read blocks %lu- into pages %lu-%lu: %zd", blk, p, p + n - 1, got);
	if (got != (ssize_t)(n * PAGE)) {
		fail(r, "O_DIRECT read of %lu pages: %zd (%s)", n, got, strerror(errno));
		return;
	}
	for (unsigned long i = 0; i < n; i++) {
		r->pm[p + i].st = PG_FILE;
		r->pm[p + i].gen = blk + i;
	}
	count(R_DIO_READ, r);
}

static _Atomic int poisoned_total;

/* memory_failure() signals the caller at once (BUS_MCEERR_AR at the
 * page's address): 1 for that SIGBUS, 0 for none, -1 for a SIGBUS
 * elsewhere, -2 when madvise() failed (*err). */
static int hwpoison(char *a, int *err)
{
	if (sigsetjmp(bus_jmp, 1) == 0) {
		bus_armed = 1;
		int ret = madvise(a, PAGE, MADV_HWPOISON);

		*err = errno;
		bus_armed = 0;
		return ret ? -2 : 0;
	}
	return bus_addr == a ? 1 : -1;
}

static void step_poison(struct region *r, uint64_t *s)
{
	unsigned long p = below(s, r->npages);
	char *a = (char *)sh->reg[r->id].cur + p * PAGE;
	int ret, err = 0;

	if (r->kind != SMALL || r->mergeable || r->gup || r->npoison >= 2 ||
	    poisoned_total >= MAX_POISON || range_has_poison(r, p, 1))
		return;
	poisoned_total++;
	r->npoison++;
	/* a page of our own, not the shared zero page (that one poisoned
	 * would poison every process reading zeroes) */
	r->pm[p].gen++;
	r->pm[p].st = PG_PATTERN;
	fill_page(r, a, p);
	ret = hwpoison(a, &err);
	if (ret == -1) {
		fail(r, "MADV_HWPOISON of %p: SIGBUS at %p", (void *)a, bus_addr);
		return;
	}
	hist(r, "MADV_HWPOISON page %lu: %s", p,
	     ret == 1 ? "SIGBUS" : ret ? strerror(err) : "no SIGBUS");
	if (ret == 1) {
		/* the data is lost: SIGBUS from now on, here only */
		r->pm[p].st = PG_POISON;
		count(R_POISON, r);
		return;
	}
	/* refused (busy), or recovered (clean, with a copy in swap) */
	r->pm[p].st |= PG_MAYBE_POISON;
	sh->errs[R_POISON]++;
}

static void *mover(void *arg)
{
	uint64_t s = mix(seed ^ (uintptr_t)arg ^ 0x4d4f5645);

	while (!sh->stop) {
		struct region *r = &regions[below(&s, nreg)];
		unsigned long what = below(&s, 100);
		const char *after = "move";

		pthread_mutex_lock(&r->lock);
		if (what < 45) {
			step_mremap(r, &s);
		} else if (what < 55) {
			if (r->mergeable || r->npoison || no_uffd) {
				step_mremap(r, &s);
			} else {
				step_uffd_move(r, &s);
				after = "UFFDIO_MOVE";
			}
		} else if (what < 70) {
			step_write(r, &s);
			after = "write";
		} else if (what < 78) {
			step_zap(r, &s, MADV_DONTNEED);
			after = "MADV_DONTNEED";
		} else if (what < 86) {
			step_zap(r, &s, no_free ? MADV_DONTNEED : MADV_FREE);
			after = no_free ? "MADV_DONTNEED" : "MADV_FREE";
		} else if (what < 96) {
			step_dio_read(r, &s);
			after = "O_DIRECT read";
		} else {
			step_poison(r, &s);
			after = "MADV_HWPOISON";
		}
		if (!sh->failed && check_vma(r, after))
			check_region(r, after);
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

/* ---- racers ------------------------------------------------------------- */

static struct region *any_region(uint64_t *s, char **a, unsigned long *p, unsigned long *n)
{
	struct region *r = &regions[below(s, nreg)];

	*a = (char *)sh->reg[r->id].cur;
	random_range(r, s, p, n);
	return r;
}

static void *racer_pageout(void *arg)
{
	uint64_t s = mix(seed ^ 0x5041 ^ (uintptr_t)arg);

	while (!sh->stop) {
		unsigned long p, n;
		char *a;
		struct region *r = any_region(&s, &a, &p, &n);

		make_it_fail(true);
		if (madvise(a + p * PAGE, n * PAGE, MADV_PAGEOUT) == 0)
			count(R_PAGEOUT, r);
		else
			sh->errs[R_PAGEOUT]++;
		make_it_fail(false);
		pause_ms(&s, 100);
	}
	return NULL;
}

static char cgroup_dir[64];

static void *racer_reclaim(void *arg)
{
	uint64_t s = mix(seed ^ 0x5245 ^ (uintptr_t)arg);
	char path[128];

	snprintf(path, sizeof(path), "%s/memory.reclaim", cgroup_dir);
	while (!sh->stop && cgroup_dir[0]) {
		char val[32];

		snprintf(val, sizeof(val), "%luK", 256 + below(&s, 8192));
		/* EAGAIN: it reclaimed less than asked */
		if (write_file(path, val) == 0)
			count(R_RECLAIM, NULL);
		else
			sh->errs[R_RECLAIM]++;
		pause_ms(&s, 200);
	}
	return NULL;
}

static void *racer_compact(void *arg)
{
	uint64_t s = mix(seed ^ 0x434f ^ (uintptr_t)arg);

	while (!sh->stop) {
		if (write_file("/proc/sys/vm/compact_memory", "1") == 0)
			count(R_COMPACT, NULL);
		/* each one scans all memory: not all the time */
		pause_ms(&s, 3000);
	}
	return NULL;
}

/*
 * Split the PMD mapping of the THP at the region's first aligned 2 MiB,
 * not the folio: one page's VMA split off (MADV_NOHUGEPAGE) and merged
 * back (MADV_HUGEPAGE, as the region was made). Under the region's lock,
 * so that no mover checks its VMA meanwhile.
 */
static void split_pmd_mapping(struct region *r)
{
	unsigned long cur, start;

	pthread_mutex_lock(&r->lock);
	cur = sh->reg[r->id].cur;
	start = (cur + PMD - 1) & ~(PMD - 1);
	if (cur && start + PMD <= cur + r->len &&
	    !madvise((void *)(start + PAGE), PAGE, MADV_NOHUGEPAGE) &&
	    madvise((void *)(start + PAGE), PAGE, MADV_HUGEPAGE)) {
		say("# region %d: MADV_HUGEPAGE back: %s\n", r->id,
		    strerror(errno));
		sh->failed = 1;
	}
	pthread_mutex_unlock(&r->lock);
}

static void *racer_collapse(void *arg)
{
	uint64_t s = mix(seed ^ 0x434c ^ (uintptr_t)arg);

	while (!sh->stop) {
		struct region *r = &regions[below(&s, nreg)];
		unsigned long cur = sh->reg[r->id].cur;
		unsigned long start = (cur + PMD - 1) & ~(PMD - 1);

		if (r->kind == THP && start + PMD <= cur + r->len) {
			/*
			 * Split what THP is there first, half the time: its
			 * pages stay in their frames, for a reassembly.
			 * Harmless wherever the region has gone meanwhile.
			 */
			if (below(&s, 2)) {
				char cmd[80];

				snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx",
					 getpid(), start, start + PMD);
				write_file("/sys/kernel/debug/split_huge_pages",
					   cmd);
			} else if (below(&s, 2)) {
				split_pmd_mapping(r);
			}
			make_it_fail(true);
			if (madvise((void *)start, PMD, MADV_COLLAPSE) == 0)
				count(R_COLLAPSE, r);
			else
				sh->errs[R_COLLAPSE]++;
			make_it_fail(false);
		}
		pause_ms(&s, 30);
	}
	return NULL;
}

static void *racer_ksm(void *arg)
{
	uint64_t s = mix(seed ^ 0x4b53 ^ (uintptr_t)arg);
	int on = 0;

	while (!sh->stop) {
		pause_ms(&s, 2000);
		on = !on;
		if (write_file("/sys/kernel/mm/ksm/use_zero_pages", on ? "1" : "0") == 0)
			count(R_KSM, NULL);
		else
			sh->errs[R_KSM]++;
	}
	return NULL;
}

static void *racer_sysctl(void *arg)
{
	uint64_t s = mix(seed ^ 0x5359 ^ (uintptr_t)arg);
	static const char *const mode[] = { "0", "1", "2" };

	while (!sh->stop) {
		pause_ms(&s, 100);
		if (write_file("/proc/sys/vm/anon_relocate", mode[below(&s, 3)]) == 0)
			count(R_SYSCTL, NULL);
	}
	return NULL;
}

/* A region marked busy with GUP (no poisoning meanwhile: memory failure
 * cannot take a page someone holds). */
static struct region *gup_begin(uint64_t *s, char **a, unsigned long *p, unsigned long *n)
{
	struct region *r = &regions[below(s, nreg)];

	pthread_mutex_lock(&r->lock);
	r->gup++;
	*a = (char *)sh->reg[r->id].cur;
	pthread_mutex_unlock(&r->lock);
	random_range(r, s, p, n);
	return r;
}

static void *racer_pin(void *arg)
{
	uint64_t s = mix(seed ^ 0x5049 ^ (uintptr_t)arg);
	uint32_t params[30] = { 0 };	/* struct io_uring_params: 120 bytes */
	int ring = syscall(__NR_io_uring_setup, 4, params);
	int pfd[2];
	char *sink = malloc(64 * PAGE);

	if (pipe2(pfd, O_NONBLOCK) || !sink) {
		fail(NULL, "pipe: %s", strerror(errno));
		return NULL;
	}
	if (ring < 0)
		say("# io_uring_setup: %s: no io_uring pins\n", strerror(errno));
	while (!sh->stop) {
		unsigned long p, n;
		char *a;
		struct region *r = gup_begin(&s, &a, &p, &n);
		struct iovec iov = { a + p * PAGE, (n > 16 ? 16 : n) * PAGE };

		if (ring >= 0 && below(&s, 2)) {
			make_it_fail(true);
			long ret = syscall(__NR_io_uring_register, ring,
					   IORING_REGISTER_BUFFERS, &iov, 1);
			make_it_fail(false);
			if (ret == 0) {
				count(R_PIN, r);
				pause_ms(&s, 20);	/* held while the movers run */
				syscall(__NR_io_uring_register, ring,
					IORING_UNREGISTER_BUFFERS, NULL, 0);
			} else {
				sh->errs[R_PIN]++;
			}
		} else {
			ssize_t ret = vmsplice(pfd[1], &iov, 1, SPLICE_F_NONBLOCK);

			if (ret > 0)
				count(R_VMSPLICE, r);
			else
				sh->errs[R_VMSPLICE]++;
			pause_ms(&s, 10);
			while (read(pfd[0], sink, 64 * PAGE) > 0)
				;
		}
		r->gup--;
		pause_ms(&s, 10);
	}
	if (ring >= 0)
		close(ring);
	close(pfd[0]);
	close(pfd[1]);
	free(sink);
	return NULL;
}

static void *racer_dio_write(void *arg)
{
	uint64_t s = mix(seed ^ 0x4457 ^ (uintptr_t)arg);

	while (!sh->stop && dio_fd >= 0) {
		unsigned long p, n;
		char *a;
		struct region *r = gup_begin(&s, &a, &p, &n);

		if (n > 256)
			n = 256;
		/* a page being moved or poisoned away meanwhile: EFAULT */
		if (!range_has_poison(r, p, n) &&
		    pwrite(dio_fd, a + p * PAGE, n * PAGE, (DIO_PAGES + below(&s, DIO_PAGES - n)) * PAGE) ==
		    (ssize_t)(n * PAGE))
			count(R_DIO_WRITE, r);
		else
			sh->errs[R_DIO_WRITE]++;
		r->gup--;
		pause_ms(&s, 10);
	}
	return NULL;
}

static void *racer_fork(void *arg)
{
	uint64_t s = mix(seed ^ 0x464f ^ (uintptr_t)arg);

	while (!sh->stop) {
		struct region *r = &regions[below(&s, nreg)];
		int status;
		pid_t pid;

		pthread_mutex_lock(&r->lock);
		r->gup++;
		/* the child's copy stays where the region is now */
		char *a = (char *)sh->reg[r->id].cur;

		pid = fork();
		if (pid == 0) {

			for (unsigned long p = 0; p < r->npages; p++)
				if (!page_ok(r, a + p * PAGE, p, true)) {
					char buf[256];
					int len;

					describe_page(r, a + p * PAGE, p, buf, sizeof(buf));
					len = dprintf(1, "# FAIL (seed %" PRIu64 "): forked child, region %d: %s\n",
						      seed, r->id, buf);
					_exit(len > 0 ? 1 : 2);
				}
			_exit(0);
		}
		pthread_mutex_unlock(&r->lock);
		if (pid < 0 || waitpid(pid, &status, 0) != pid) {
			fail(r, "fork/wait: %s", strerror(errno));
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fail(r, "a forked child found its copy different (status %#x)", status);
		} else {
			count(R_FORK, r);
		}
		r->gup--;
		/* a child shares every anon_vma while it lives: relocation
		 * declines meanwhile, so not all the time */
		pause_ms(&s, 2000);
	}
	return NULL;
}

static void *racer_pagemap(void *arg)
{
	uint64_t s = mix(seed ^ 0x504d ^ (uintptr_t)arg);
	int pm = open("/proc/self/pagemap", O_RDONLY);
	int kpf = open("/proc/kpageflags", O_RDONLY);
	int idle = open("/sys/kernel/mm/page_idle/bitmap", O_RDWR);
	uint64_t ent[64];

	if (pm < 0 || kpf < 0)
		fail(NULL, "pagemap/kpageflags: %s", strerror(errno));
	if (idle < 0)
		say("# page_idle: %s: no idle page tracking\n", strerror(errno));
	while (!sh->stop) {
		unsigned long p, n;
		char *a;
		struct region *r = any_region(&s, &a, &p, &n);

		if (n > 64)
			n = 64;
		if (pread(pm, ent, n * 8, (unsigned long)(a + p * PAGE) / PAGE * 8) != (ssize_t)(n * 8)) {
			sh->errs[R_PAGEMAP]++;
			continue;
		}
		count(R_PAGEMAP, r);
		for (unsigned long i = 0; i < n; i++) {
			uint64_t pfn = PM_PFN(ent[i]), flags, bits;

			if (!(ent[i] & PM_PRESENT) || !pfn)
				continue;
			if (pread(kpf, &flags, 8, pfn * 8) != 8) {
				sh->errs[R_PAGEMAP]++;
			} else {
				/* what ksmd and khugepaged did to the regions */
				if (flags >> KPF_KSM & 1)
					count(R_KSM_SEEN, r);
				if (flags >> KPF_THP & 1)
					count(R_THP_SEEN, r);
			}
			if (idle < 0)
				continue;
			/* mark it idle (an rmap walk clears the young bits),
			 * then read whether it still is */
			bits = 1ULL << (pfn % 64);
			if (pwrite(idle, &bits, 8, pfn / 64 * 8) == 8 &&
			    pread(idle, &bits, 8, pfn / 64 * 8) == 8)
				count(R_IDLE, r);
			else
				sh->errs[R_IDLE]++;
		}
		if (below(&s, 50) == 0) {
			if (write_file("/proc/self/clear_refs", below(&s, 2) ? "1" : "4") == 0)
				count(R_CLEAR_REFS, NULL);
			else
				sh->errs[R_CLEAR_REFS]++;
		}
		pause_ms(&s, 10);
	}
	close(pm);
	close(kpf);
	if (idle >= 0)
		close(idle);
	return NULL;
}

/* Another process: move_pages() of the regions' pages, by pid. */
static void migrator(void)
{
	uint64_t s = mix(seed ^ 0x4d49);
	void *pages[64];
	int nodes[64], status[64];

	while (!sh->stop && getppid() == main_pid) {
		int id = below(&s, nreg);
		unsigned long cur = sh->reg[id].cur, npages = sh->reg[id].len / PAGE;
		unsigned long p = below(&s, npages), n = 1 + below(&s, 64);

		if (!cur) {	/* not created yet */
			pause_ms(&s, 5);
			continue;
		}
		if (p + n > npages)
			n = npages - p;
		int node = below(&s, 2);
		for (unsigned long i = 0; i < n; i++) {
			pages[i] = (char *)cur + (p + i) * PAGE;
			nodes[i] = node;
		}
		make_it_fail(true);
		long ret = syscall(__NR_move_pages, main_pid, n, pages, nodes, status, MPOL_MF_MOVE);
		make_it_fail(false);
		if (ret < 0) {
			sh->errs[R_MIGRATE]++;
		} else {
			for (unsigned long i = 0; i < n; i++)
				if (status[i] == node) {
					sh->ops[R_MIGRATE]++;
					if (sh->reg[id].relocated)
						sh->hits[R_MIGRATE]++;
				}
		}
		if (below(&s, 40) == 0) {
			unsigned long from = 1UL << node, to = 1UL << !node;

			make_it_fail(true);
			ret = syscall(__NR_migrate_pages, main_pid, 8 * sizeof(long), &from, &to);
			make_it_fail(false);
			if (ret >= 0)
				count(R_MIGRATE_ALL, NULL);
			else
				sh->errs[R_MIGRATE_ALL]++;
		}
		pause_ms(&s, 5);
	}
	_exit(0);
}

/* ---- setup -------------------------------------------------------------- */

static char loop_path[32];
static int loop_fd = -1;
static const char dio_file[] = "/tmp/torture.img";

static void setup_dio(void)
{
	int ctl, n, f;
	char *buf;

	f = open(dio_file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	buf = aligned_alloc(PAGE, PAGE);
	if (f < 0 || !buf)
		goto fail;
	for (unsigned long b = 0; b < 2 * DIO_PAGES; b++) {
		struct page_model m = { .gen = b, .st = PG_FILE };

		for (unsigned long w = 0; w < WORDS; w++)
			((uint64_t *)buf)[w] = want_word(NULL, 0, &m, w);
		if (write(f, buf, PAGE) != PAGE)
			goto fail;
	}
	free(buf);
	ctl = open("/dev/loop-control", O_RDWR);
	if (ctl < 0)
		goto fail;
	n = ioctl(ctl, LOOP_CTL_GET_FREE);
	close(ctl);
	if (n < 0)
		goto fail;
	snprintf(loop_path, sizeof(loop_path), "/dev/loop%d", n);
	loop_fd = open(loop_path, O_RDWR);
	if (loop_fd < 0 || ioctl(loop_fd, LOOP_SET_FD, f))
		goto fail;
	close(f);
	dio_fd = open(loop_path, O_RDWR | O_DIRECT);
	if (dio_fd < 0)
		goto fail;
	return;
fail:
	say("# O_DIRECT on a loop device: %s: no O_DIRECT racers\n", strerror(errno));
	dio_fd = -1;
}

static void teardown_dio(void)
{
	if (dio_fd >= 0)
		close(dio_fd);
	if (loop_fd >= 0) {
		ioctl(loop_fd, LOOP_CLR_FD, 0);
		close(loop_fd);
	}
	unlink(dio_file);
}

/* Run in a memory cgroup whose memory.max is below what the regions need,
 * so that charging reclaims them. */
static void setup_memcg(unsigned long bytes)
{
	char path[128], val[32];
	char pid[16];

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) &&
	    mount("none", "/sys/fs/cgroup", "cgroup2", 0, NULL)) {
		say("# cgroup2: %s: no memcg racer\n", strerror(errno));
		return;
	}
	write_file("/sys/fs/cgroup/cgroup.subtree_control", "+memory");
	snprintf(cgroup_dir, sizeof(cgroup_dir), "/sys/fs/cgroup/torture.%d", getpid());
	snprintf(path, sizeof(path), "%s/memory.max", cgroup_dir);
	snprintf(val, sizeof(val), "%lu", bytes);
	snprintf(pid, sizeof(pid), "%d", getpid());
	if (mkdir(cgroup_dir, 0755) || write_file(path, val)) {
		say("# memory cgroup %s: %s: no memcg racer\n", cgroup_dir, strerror(errno));
		rmdir(cgroup_dir);
		cgroup_dir[0] = 0;
		return;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cgroup_dir);
	if (write_file(path, pid)) {
		say("# joining %s: %s\n", cgroup_dir, strerror(errno));
		rmdir(cgroup_dir);
		cgroup_dir[0] = 0;
	}
}

static void teardown_memcg(void)
{
	char pid[16];

	if (!cgroup_dir[0])
		return;
	snprintf(pid, sizeof(pid), "%d", getpid());
	write_file("/sys/fs/cgroup/cgroup.procs", pid);
	rmdir(cgroup_dir);
}

static int fault_knob(const char *attr, const char *val)
{
	char path[128];
	int ret = 0;

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s",
			 i ? "fail_page_alloc" : "failslab", attr);
		if (write_file(path, val)) {
			say("# %s: %s\n", path, strerror(errno));
			ret = -1;
		}
	}
	return ret;
}

/* Allocation failures, at random, in the threads that turn make-it-fail on
 * around their calls: one in ten allocations once every few. */
static void setup_inject(void)
{
	if (fault_knob("task-filter", "Y") || fault_knob("probability", "10") ||
	    fault_knob("interval", "3") || fault_knob("times", "1000000") ||
	    fault_knob("verbose", "0") || fault_knob("space", "0") ||
	    write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N") ||
	    write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N") ||
	    write_file("/sys/kernel/debug/fail_page_alloc/min-order", "0")) {
		printf("not ok 1 fault injection setup (CONFIG_FAULT_INJECTION_DEBUG_FS?)\n");
		exit(1);
	}
}

/* How many failures each injected: times counts down from a million. */
static void teardown_inject(void)
{
	char buf[32];

	if (!inject)
		return;
	fault_knob("probability", "0");
	if (read_file("/sys/kernel/debug/failslab/times", buf, sizeof(buf)) == 0)
		printf("# failslab: %ld allocations failed\n", 1000000 - atol(buf));
	if (read_file("/sys/kernel/debug/fail_page_alloc/times", buf, sizeof(buf)) == 0)
		printf("# fail_page_alloc: %ld allocations failed\n", 1000000 - atol(buf));
	fault_knob("times", "1");
}

/* ---- /proc/vmstat --------------------------------------------------------- */

static const char *const vmstat_names[] = {
	"mremap_relocate", "mremap_relocate_folio", "mremap_relocate_split",
	"mremap_relocate_decline_shared_anon_vma", "mremap_relocate_decline_shared_folio",
	"mremap_relocate_decline_pinned", "mremap_relocate_decline_nonpresent",
	"mremap_relocate_decline_busy", "pswpout", "pswpin", "pgmigrate_success",
	"pgmigrate_fail", "thp_migration_success", "compact_stall", "compact_success",
	"compact_migrate_scanned", "thp_collapse_alloc", "thp_collapse_inplace",
	"thp_collapse_inplace_filled", "thp_collapse_inplace_decline_shared",
	"thp_collapse_inplace_decline_busy", "thp_collapse_reassemble",
	"thp_collapse_reassemble_copied", "thp_collapse_reassemble_migrated",
	"thp_collapse_inplace_decline_stranger",
	"thp_split_pmd", "thp_split_page",
	"thp_fault_alloc", "pgsteal_direct", "pgsteal_kswapd", "pgsteal_khugepaged",
	"ksm_swpin_copy", "cow_ksm", "numa_pte_updates",
};
#define NVMSTAT (sizeof(vmstat_names) / sizeof(vmstat_names[0]))

static void read_vmstat(long *v)
{
	static char buf[1 << 16];
	char *line;

	for (size_t i = 0; i < NVMSTAT; i++)
		v[i] = -1;
	read_whole("/proc/vmstat", buf, sizeof(buf));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		char name[64];
		long val;

		if (sscanf(line, "%63s %ld", name, &val) != 2)
			continue;
		for (size_t i = 0; i < NVMSTAT; i++)
			if (!strcmp(name, vmstat_names[i]))
				v[i] = val;
	}
}

static long ksm_max_merging;

static void sample_ksm(void)
{
	char buf[32];

	if (read_file("/proc/self/ksm_merging_pages", buf, sizeof(buf)) == 0 &&
	    atol(buf) > ksm_max_merging)
		ksm_max_merging = atol(buf);
}

/* ---- the end: every page reachable through rmap --------------------------- */

static int pagemap_fd, kpageflags_fd;

static bool is_zero_pfn(uint64_t pfn)
{
	uint64_t flags;

	return pread(kpageflags_fd, &flags, 8, pfn * 8) == 8 && (flags >> KPF_ZERO_PAGE & 1);
}

static bool model_zero(struct region *r, unsigned long p)
{
	const struct page_model *m = &r->pm[p];

	if ((m->st & PG_MAYBE_ZERO) || PG_BASE(m->st) == PG_ZERO)
		return true;
	for (unsigned long w = 0; w < WORDS; w++)
		if (want_word(r, p, m, w))
			return false;
	return true;
}

/* Swap out: every page that holds data must go (reclaim finds its PTE by
 * rmap). Zero pages and never-faulted pages stay, where the model says
 * zero. */
static bool all_swapped(unsigned long *stuck_page, struct region **stuck)
{
	for (int i = 0; i < nreg; i++) {
		struct region *r = &regions[i];
		char *a = (char *)sh->reg[i].cur;

		for (unsigned long p = 0; p < r->npages; p++) {
			uint64_t e;

			if (pread(pagemap_fd, &e, 8, (unsigned long)(a + p * PAGE) / PAGE * 8) != 8) {
				*stuck = r;
				*stuck_page = p;
				return false;
			}
			/* swap type 0, the zram device: not a migration or
			 * hwpoison entry */
			if ((e & PM_SWAP) && (e & 0x1f) == 0)
				continue;
			if (!(e & PM_PRESENT) && model_zero(r, p))
				continue;
			if ((e & PM_PRESENT) && is_zero_pfn(PM_PFN(e)) && model_zero(r, p))
				continue;
			*stuck = r;
			*stuck_page = p;
			return false;
		}
	}
	return true;
}

static int test_num;
static int npass, nfail;

static void tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d ", ok ? "ok" : "not ok", ++test_num);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		npass++;
	else
		nfail++;
}

static void final_checks(void)
{
	struct region *stuck = NULL;
	unsigned long stuck_page = 0;
	bool ok = true;
	cpu_set_t cpus;
	int tries;

	/* unmerge KSM pages: they are not this process's alone */
	write_file("/sys/kernel/mm/ksm/run", "2");
	for (int i = 0; i < nreg && ok; i++) {
		struct region *r = &regions[i];
		char *a = (char *)sh->reg[i].cur;

		ok = check_region(r, "the run");
		/* poisoned pages go: their memory is lost, on purpose */
		for (unsigned long p = 0; p < r->npages && ok; p++) {
			if (PG_BASE(r->pm[p].st) == PG_POISON || (r->pm[p].st & PG_MAYBE_POISON)) {
				madvise(a + p * PAGE, PAGE, MADV_DONTNEED);
				r->pm[p].st = PG_ZERO;
			}
		}
	}
	tap(ok, "every byte as the model says, after the run");
	if (!ok)
		return;

	/*
	 * On every CPU in turn: a folio faulted in (the checks above swap
	 * pages in) waits in that CPU's LRU batch before it is on the LRU,
	 * and MADV_PAGEOUT drains only the batch of the CPU it runs on; with
	 * the racers stopped, another CPU may never drain its own.
	 */
	if (sched_getaffinity(0, sizeof(cpus), &cpus))
		CPU_ZERO(&cpus);
	for (tries = 0; tries < 10; tries++) {
		for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
			cpu_set_t one;

			if (!CPU_ISSET(cpu, &cpus))
				continue;
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			sched_setaffinity(0, sizeof(one), &one);
			for (int i = 0; i < nreg; i++)
				madvise((void *)sh->reg[i].cur, regions[i].len, MADV_PAGEOUT);
		}
		sched_setaffinity(0, sizeof(cpus), &cpus);
		if (all_swapped(&stuck_page, &stuck))
			break;
	}
	if (tries == 10)
		printf("# region %d page %lu (%#lx) still resident after 10 MADV_PAGEOUTs\n",
		       stuck->id, stuck_page, sh->reg[stuck->id].cur + stuck_page * PAGE);
	tap(tries < 10, "every page swapped out through rmap (%d rounds)", tries + 1);

	ok = true;
	for (int i = 0; i < nreg && ok; i++)
		ok = check_region(&regions[i], "swap-in");
	tap(ok, "every byte as the model says, after swapping in");

	/* migrate every page to the node it is not on, then ask */
	long moved = 0, want = 0;
	static void *pg[256];
	static int node[256], target[256], st[256];

	ok = true;
	for (int i = 0; i < nreg && ok; i++) {
		struct region *r = &regions[i];
		char *a = (char *)sh->reg[i].cur;

		for (unsigned long p0 = 0; p0 < r->npages && ok; p0 += 256) {
			unsigned long n = 0;

			for (unsigned long p = p0; p < r->npages && p < p0 + 256; p++)
				if (!model_zero(r, p))	/* may be the zero page */
					pg[n++] = a + p * PAGE;
			if (!n)
				continue;
			want += n;
			if (syscall(__NR_move_pages, 0, n, pg, NULL, node, 0)) {
				printf("# move_pages query: %s\n", strerror(errno));
				ok = false;
				break;
			}
			for (unsigned long k = 0; k < n; k++) {
				if (node[k] < 0) {
					printf("# region %d page at %p: no node (%d)\n", i, pg[k], node[k]);
					ok = false;
				}
				target[k] = !node[k];
			}
			for (tries = 0; tries < 10 && ok; tries++) {
				bool all = true;

				syscall(__NR_move_pages, 0, n, pg, target, st, MPOL_MF_MOVE);
				syscall(__NR_move_pages, 0, n, pg, NULL, node, 0);
				for (unsigned long k = 0; k < n; k++)
					all &= node[k] == target[k];
				if (all)
					break;
			}
			for (unsigned long k = 0; k < n && ok; k++) {
				if (node[k] != target[k]) {
					printf("# region %d page at %p: on node %d after 10 tries, status %d\n",
					       i, pg[k], node[k], st[k]);
					ok = false;
				}
				moved++;
			}
		}
	}
	tap(ok, "every page migrated through rmap (%ld of %ld)", moved, want);
	ok = true;
	for (int i = 0; i < nreg && ok; i++)
		ok = check_region(&regions[i], "migration");
	tap(ok, "every byte as the model says, after migration");
}

static void usage(void)
{
	fprintf(stderr, "usage: torture [-s SEED] [-t SECONDS] [-r REGIONS] [-m MOVERS] [-f] [-x free,uffd] [-v]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	void *(*const racers[])(void *) = { racer_pageout, racer_reclaim, racer_compact,
		racer_collapse, racer_ksm, racer_sysctl, racer_pin, racer_dio_write,
		racer_fork, racer_pagemap };
	pthread_t th[64];
	int nth = 0, secs = 60, opt;
	long before[NVMSTAT], after[NVMSTAT];
	struct sigaction sa = { .sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO };
	unsigned long total = 0;
	pid_t mig;
	time_t t0;

	seed = (uint64_t)time(NULL);
	while ((opt = getopt(argc, argv, "s:t:r:m:fx:v")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': secs = atoi(optarg); break;
		case 'r': nreg = atoi(optarg); break;
		case 'm': nmovers = atoi(optarg); break;
		case 'f': inject = true; break;
		case 'x':
			no_free |= strstr(optarg, "free") != NULL;
			no_uffd |= strstr(optarg, "uffd") != NULL;
			break;
		case 'v': verbose++; break;
		default: usage();
		}
	}
	if (nreg < 1 || nreg > MAXREG || nmovers < 1 || nmovers > 16 || secs < 1)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("# torture -s %" PRIu64 " -t %d -r %d -m %d%s%s%s\n", seed, secs, nreg, nmovers,
	       inject ? " -f" : "", no_free ? " -x free" : "", no_uffd ? " -x uffd" : "");
	main_pid = getpid();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	maps_fd = open("/proc/self/maps", O_RDONLY);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	kpageflags_fd = open("/proc/kpageflags", O_RDONLY);
	if (sh == MAP_FAILED || maps_fd < 0 || pagemap_fd < 0 || kpageflags_fd < 0) {
		printf("not ok 1 setup: %s\n", strerror(errno));
		return 1;
	}
	{
		struct procmap_query q = { .size = sizeof(q), .query_addr = (unsigned long)sh };

		if (ioctl(maps_fd, PROCMAP_QUERY, &q)) {
			printf("1..0 # SKIP PROCMAP_QUERY: %s\n", strerror(errno));
			return 4;
		}
		char *probe = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (probe == MAP_FAILED ||
		    (sys_mremap(probe, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_RELOCATE_ANON,
			    probe + PAGE) == MAP_FAILED && errno == EINVAL)) {
			printf("1..0 # SKIP no MREMAP_RELOCATE_ANON in this kernel\n");
			return 4;
		}
		munmap(probe, 2 * PAGE);
	}
	printf("1..6\n");
	sigaction(SIGBUS, &sa, NULL);
	set_knobs();
	if (inject)
		setup_inject();
	setup_dio();
	/* The migrator first: a process forked after the regions exist would
	 * share their anon_vmas for the whole run, and relocation decline
	 * every move. */
	mig = fork();
	if (mig == 0)
		migrator();
	uint64_t s = seed;
	for (int i = 0; i < nreg; i++) {
		create_region(&regions[i], i, &s);
		total += regions[i].len;
	}
	/* low enough that the movers' checks reclaim: 3/4 of the regions,
	 * plus 8 MiB for the rest of the process (page tables, stacks) */
	setup_memcg(total * 3 / 4 + (8UL << 20));
	read_vmstat(before);

	for (int i = 0; i < nmovers; i++)
		pthread_create(&th[nth++], NULL, mover, (void *)(uintptr_t)i);
	for (size_t i = 0; i < sizeof(racers) / sizeof(racers[0]); i++)
		pthread_create(&th[nth++], NULL, racers[i], (void *)(uintptr_t)i);

	t0 = time(NULL);
	while (!sh->stop && time(NULL) - t0 < secs) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		sample_ksm();
	}
	sh->stop = 1;
	for (int i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	waitpid(mig, NULL, 0);
	read_vmstat(after);
	teardown_inject();
	inject = false;

	tap(!sh->failed, "%ld s of moves under fire: every step checked", (long)(time(NULL) - t0));
	printf("# %-30s %10s %10s %10s\n", "racer", "done", "relocated", "refused");
	for (int i = 0; i < NR_RACERS; i++)
		printf("# %-30s %10ld %10ld %10ld\n", racer_name[i], (long)sh->ops[i],
		       (long)sh->hits[i], (long)sh->errs[i]);
	printf("# ksm: at most %ld pages of this process merged at once\n", ksm_max_merging);
	for (size_t i = 0; i < NVMSTAT; i++)
		if (before[i] >= 0 && after[i] >= 0)
			printf("# vmstat %-40s %+ld\n", vmstat_names[i], after[i] - before[i]);
	if (cgroup_dir[0]) {
		char path[160], buf[4096];

		snprintf(path, sizeof(path), "%s/memory.stat", cgroup_dir);
		read_whole(path, buf, sizeof(buf));
		for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
			if (!strncmp(l, "pgsteal ", 8) || !strncmp(l, "pgscan ", 7) ||
			    !strncmp(l, "thp_swpout ", 11))
				printf("# memcg %s\n", l);
	}

	/* the end, with nothing else at work: out of the cgroup, khugepaged
	 * and ksmd back to their settings */
	teardown_memcg();
	restore_knobs();
	if (!sh->failed) {
		final_checks();
	} else {
		for (int i = 0; i < 5; i++)
			tap(false, "skipped after the failure above");
	}
	teardown_dio();
	restore_knobs();
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n", npass, nfail);
	return nfail ? 1 : 0;
}
