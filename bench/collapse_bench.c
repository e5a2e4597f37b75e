// SPDX-License-Identifier: GPL-2.0
/*
 * collapse_bench: MADV_COLLAPSE of anonymous THPs that ended up mapped by
 * PTEs (SPEC.md 2.7), in place against by copy, in one boot.
 *
 *   inplace  -n THPs, each split from its PMD mapping by mprotect() of one
 *            page and back (the folio stays whole): MADV_COLLAPSE of each.
 *            On the anonmove kernel this maps the same folio by the PMD;
 *            on 6.12 it allocates a huge page and copies into it.
 *   reassemble  -n THPs split into 4 KiB folios (debugfs
 *            split_huge_pages), then collapsed. On the anonmove kernel the
 *            folios, still in their own frames of the THP's old block,
 *            become one THP again; on 6.12 they are copied.
 *   copy     -n ranges of 4 KiB pages faulted in last page first (so they
 *            are in no block at their own offsets), then collapsed: a copy
 *            on every kernel.
 *
 * Per mode: THPs khugepaged collapsed first (pre: left out of the rest),
 * THPs collapsed, ENOMEM/other failures, time per THP (ns; one
 * instruction per ns under QEMU -icount shift=0), how many kept their
 * pages (same PFN of the first page, from pagemap), and the
 * thp_collapse_inplace, thp_collapse_alloc and thp_collapse_reassemble
 * counter deltas (-1: the kernel has no such counter). Every THP's data is
 * checked after its collapse. Then the declines by reason, and the pages
 * migrated out of the blocks to reassemble them (thp_collapse_reassemble_
 * migrated), when not 0.
 *
 * -F: physical memory is fragmented first, after the THPs are made, so
 * that no free 2 MiB block exists and compaction cannot make one: swap off,
 * memory filled with 4 KiB anonymous pages, one page in 16 of it freed and
 * taken by pipe buffers (unmovable kernel pages), the rest freed. Prints
 * the free blocks of order 9 and up (/proc/buddyinfo) and MemFree; then
 * whatever 2 MiB blocks are left, or compaction can still make, are taken
 * as hugetlb pages (nr_hugepages), and both are printed again before the
 * collapses. Swap stays off.
 *
 * With -F the split THPs also lose one page in 16 (MADV_DONTNEED) before
 * the fragmenting, and get them back (written again) after it: a THP that
 * was split and partly freed, then reused; reassembling it copies those
 * pages back into their frames, if the frames are free. A census, after
 * the fragmenting and again once the hugetlb pool has taken the rest, asks
 * how often reassembly (SPEC 2.7: take the block back, copy only the
 * missing pages) can apply: per
 * range, are the pages still mapped at their own offset in their old
 * block, and what holds the block's other frames now: nothing (free, page
 * count 0), a page on an LRU list (movable), a hugetlb page, or anything
 * else (pipe buffers, slab: unmovable).
 *
 * -L (with -F): the split THPs are mlocked (on fault) through the
 * fragmenting and the hugetlb pool's compaction, with
 * vm.compact_unevictable_allowed at 0, and unlocked before the collapses:
 * their pages stay in their frames, as when nothing happens to move them.
 * Without it, compaction (kcompactd's proactive runs, the pool's) may
 * migrate them out of their blocks first.
 *
 * Usage: collapse_bench [-n THPS] [-F [-L]]
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

#define PAGE		4096UL
#define PMD		(2UL << 20)
#define NR		(PMD / PAGE)
#define SPLIT		"/sys/kernel/debug/split_huge_pages"
#define MAX_PIPES	256
#define KSLEEP \
	"/sys/kernel/mm/transparent_hugepage/khugepaged/scan_sleep_millisecs"

static int pagemap_fd = -1;

#define HOLE_STRIDE	16	/* -F: the split THPs lose page 0, 16, 32, ... */
#define KPF_LRU		5
#define KPF_HUGE	17

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long vmstat(const char *name)
{
	char key[64];
	long val = -1, v;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			val = v;
	fclose(f);
	return val;
}

static long meminfo_kb(const char *name)
{
	char key[64], unit[16];
	long val = -1, v;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld %15[^\n]", key, &v, unit) >= 2)
		if (!strncmp(key, name, strlen(name)) &&
		    key[strlen(name)] == ':')
			val = v;
	fclose(f);
	return val;
}

/* Free blocks of order 9 and up, over every zone. */
static long free_huge_blocks(void)
{
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/buddyinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "zone");
		long c[16];
		int k = 0, off;

		if (!p)
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;	/* the zone's name */
		while (k < 16 && sscanf(p, "%ld%n", &c[k], &off) == 1) {
			p += off;
			k++;
		}
		for (int o = 9; o < k; o++)
			n += c[o] << (o - 9);
	}
	fclose(f);
	return n;
}

static uint64_t pfn_of(char *p)
{
	uint64_t e = 0;

	if (pread(pagemap_fd, &e, sizeof(e),
		  (uintptr_t)p / PAGE * sizeof(e)) != sizeof(e))
		return 0;
	return (e & (1ULL << 63)) ? e & ((1ULL << 55) - 1) : 0;
}

static bool pmd_mapped(char *p)
{
	/* AnonHugePages of the THP's VMA, which maps only it. */
	char line[256], want[64];
	bool in = false, huge = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	while (fgets(line, sizeof(line), f)) {
		if (isxdigit((unsigned char)line[0]) && strchr(line, '-'))
			in = !strncmp(line, want, strlen(want));
		if (in && !strncmp(line, "AnonHugePages:", 14))
			huge = strtol(line + 14, NULL, 10) >= (long)(PMD >> 10);
	}
	fclose(f);
	return huge;
}

struct thp {
	char *p;
	uint64_t pfn;
	unsigned long seed;
};

enum kind {
	PTE_MAPPED,	/* the THP whole, its PMD mapping split */
	SPLIT_THP,	/* the THP split into 4 KiB folios */
	SCATTERED,	/* 4 KiB pages, faulted last first */
};

/*
 * n THPs, each in a VMA of its own (a PROT_NONE page between them keeps
 * them apart), each page holding seed + its number, as kind says.
 */
static int make_thps(struct thp *t, int n, enum kind kind, unsigned long seed)
{
	size_t len = (size_t)n * 2 * PMD + PMD;
	char *area = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	char *base;
	int made = 0;

	if (area == MAP_FAILED)
		die("mmap");
	base = (char *)(((uintptr_t)area + PMD - 1) & ~(PMD - 1));
	for (int i = 0; i < n; i++) {
		char *p = base + (size_t)i * 2 * PMD;

		if (mprotect(p, PMD, PROT_READ | PROT_WRITE))
			die("mprotect");
		if (kind == SCATTERED) {
			if (madvise(p, PMD, MADV_NOHUGEPAGE))
				die("madvise");
			for (unsigned long k = NR; k--;)
				*(unsigned long *)(p + k * PAGE) =
					seed + i * NR + k;
			if (madvise(p, PMD, MADV_HUGEPAGE))
				die("madvise");
			t[made].p = p;
			t[made].pfn = pfn_of(p);
			t[made].seed = seed + i * NR;
			made++;
			continue;
		}
		if (madvise(p, PMD, MADV_HUGEPAGE))
			die("madvise");
		for (unsigned long k = 0; k < NR; k++)
			*(unsigned long *)(p + k * PAGE) = seed + i * NR + k;
		if (!pmd_mapped(p))
			continue;	/* no THP: left out */
		t[made].p = p;
		t[made].pfn = pfn_of(p);
		t[made].seed = seed + i * NR;
		if (kind == SPLIT_THP) {
			char cmd[128];
			int fd = open(SPLIT, O_WRONLY);

			if (fd < 0)
				die(SPLIT);
			snprintf(cmd, sizeof(cmd), "%d,0x%lx,0x%lx", getpid(),
				 (unsigned long)p, (unsigned long)p + PMD);
			if (write(fd, cmd, strlen(cmd)) < 0)
				die("split_huge_pages");
			close(fd);
		} else {
			if (mprotect(p + PAGE, PAGE, PROT_READ) ||
			    mprotect(p + PAGE, PAGE, PROT_READ | PROT_WRITE))
				die("mprotect");
		}
		if (pmd_mapped(p)) {
			fprintf(stderr, "THP %d still PMD-mapped\n", i);
			exit(1);
		}
		made++;
	}
	return made;
}

static bool intact(struct thp *t)
{
	for (unsigned long k = 0; k < NR; k++)
		if (*(unsigned long *)(t->p + k * PAGE) != t->seed + k)
			return false;
	return true;
}

/* The in-place and reassembly declines, by reason (none on 6.12). */
static const char *const declines[] = { "shared", "busy", "rmap", "hwpoison",
					 "stranger", "nomem" };
#define NDECLINES (sizeof(declines) / sizeof(declines[0]))

static long decline_count(int i)
{
	char name[64];

	snprintf(name, sizeof(name), "thp_collapse_inplace_decline_%s",
		 declines[i]);
	return vmstat(name);
}

static void collapse_all(const char *mode, struct thp *t, int n)
{
	long declined[NDECLINES];
	char why[256] = "";
	size_t len = 0;

	long inplace = vmstat("thp_collapse_inplace");
	long alloc = vmstat("thp_collapse_alloc");
	long reasm = vmstat("thp_collapse_reassemble");
	long migrated = vmstat("thp_collapse_reassemble_migrated");
	/* Compaction meanwhile: direct, and kcompactd's free scanner. */
	long stall = vmstat("compact_stall");
	long isolated = vmstat("compact_isolated");
	long kfree = vmstat("compact_daemon_free_scanned");

	for (size_t i = 0; i < NDECLINES; i++)
		declined[i] = decline_count(i);
	int ok = 0, nomem = 0, other = 0, same = 0, pre = 0;
	uint64_t ns = 0;

	for (int i = 0; i < n; i++) {
		uint64_t t0;
		int r;

		/* khugepaged got there first (a settings write wakes it). */
		if (pmd_mapped(t[i].p)) {
			pre++;
			if (!intact(&t[i]))
				exit(1);
			continue;
		}
		t0 = now_ns();
		r = madvise(t[i].p, PMD, MADV_COLLAPSE);

		ns += now_ns() - t0;
		if (r == 0 && pmd_mapped(t[i].p)) {
			ok++;
			same += pfn_of(t[i].p) == t[i].pfn;
		} else if (r && errno == ENOMEM) {
			nomem++;
		} else {
			other++;
		}
		if (!intact(&t[i])) {
			fprintf(stderr, "%s: THP %d lost data\n", mode, i);
			exit(1);
		}
	}
	printf("%-16s %5d %4d %5d %6d %5d %12llu %10llu %5d %8ld %8ld %6ld\n",
	       mode, n, pre, ok, nomem, other, (unsigned long long)ns,
	       (unsigned long long)(n > pre ? ns / (n - pre) : 0), same,
	       inplace < 0 ? -1 : vmstat("thp_collapse_inplace") - inplace,
	       vmstat("thp_collapse_alloc") - alloc,
	       reasm < 0 ? -1 : vmstat("thp_collapse_reassemble") - reasm);
	for (size_t i = 0; i < NDECLINES; i++) {
		long d = declined[i] < 0 ? 0 : decline_count(i) - declined[i];

		if (d && len < sizeof(why))
			len += snprintf(why + len, sizeof(why) - len, " %s %ld",
					declines[i], d);
	}
	if (len)
		printf("# %s declined:%s\n", mode, why);
	if (vmstat("compact_isolated") > isolated)
		printf("# %s compaction meanwhile: compact_stall %+ld, compact_isolated %+ld, compact_daemon_free_scanned %+ld\n",
		       mode, vmstat("compact_stall") - stall,
		       vmstat("compact_isolated") - isolated,
		       vmstat("compact_daemon_free_scanned") - kfree);
	/* Pages migrated out of their blocks to reassemble them. */
	if (migrated >= 0 && vmstat("thp_collapse_reassemble_migrated") > migrated)
		printf("# %s migrated: %ld pages out of the blocks\n", mode,
		       vmstat("thp_collapse_reassemble_migrated") - migrated);
}

/*
 * Per zone with pages: free pages and the watermarks (boost included, as
 * the allocator checks them), from /proc/zoneinfo.
 */
static void zones(void)
{
	char line[256], zone[64] = "";
	long free = -1, boost = 0, v;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		int node;
		char name[32];

		if (sscanf(line, "Node %d, zone %31s", &node, name) == 2) {
			snprintf(zone, sizeof(zone), "node %d %s", node, name);
			free = -1;
		} else if (sscanf(line, " pages free %ld", &v) == 1) {
			free = v;
		} else if (sscanf(line, " boost %ld", &v) == 1) {
			boost = v;
		} else if (sscanf(line, " low %ld", &v) == 1 && free > 0) {
			printf("# zone %s: free %ld pages, low watermark %ld + boost %ld\n",
			       zone, free, v, boost);
		}
	}
	fclose(f);
}

static void write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		die(path);
	close(fd);
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		die(path);
	close(fd);
	return atol(buf);
}

/*
 * Leave no free 2 MiB block that compaction could make: see the header.
 * Returns the pipes holding the unmovable pages (closed at exit).
 */
static int fragment(int *pipes)
{
	long free_kb, margin_kb = 256 << 10, left_kb, floor_kb;
	size_t len, filled = 0, holes = 0, want, done = 0;
	char *fill, buf[PAGE];
	bool stopped = false;
	int np = 0;

	/*
	 * Never below twice the zones' min watermarks (and 32 MiB more):
	 * pages on per-cpu lists are not in MemFree, and an OOM kill here
	 * would end the run.
	 */
	floor_kb = 2 * read_long("/proc/sys/vm/min_free_kbytes") + (32 << 10);
	if (margin_kb < floor_kb + (128 << 10))
		margin_kb = floor_kb + (128 << 10);

	/* Swap would let reclaim undo the fill. */
	swapoff("/dev/zram0");
	write_str("/proc/sys/fs/pipe-max-size", "67108864");
	write_str("/proc/sys/vm/drop_caches", "3");

	free_kb = meminfo_kb("MemFree");
	len = (size_t)free_kb << 10;
	fill = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (fill == MAP_FAILED)
		die("mmap fill");
	if (madvise(fill, len, MADV_NOHUGEPAGE))
		die("madvise fill");
	/* Fill 4 KiB pages until only the margin is free. */
	while (filled + 2 * PMD <= len) {
		for (size_t o = 0; o < 2 * PMD; o += PAGE)
			fill[filled + o] = 1;
		filled += 2 * PMD;
		if (meminfo_kb("MemFree") < margin_kb)
			break;
	}
	left_kb = meminfo_kb("MemFree");
	/* One page in 16 freed: holes everywhere... */
	for (size_t o = 0; o < filled; o += 16 * PAGE, holes++)
		if (madvise(fill + o, PAGE, MADV_DONTNEED))
			die("madvise hole");
	/*
	 * ...taken by pipe buffers, unmovable pages, with what was left
	 * free but 128 MiB (the kernel's own headroom).
	 */
	memset(buf, 0x5a, sizeof(buf));
	want = holes + (left_kb > (128 << 10) ? (left_kb - (128 << 10)) >> 2 : 0);
	while (done < want && np < MAX_PIPES && !stopped) {
		int fd[2];

		if (pipe(fd))
			die("pipe");
		if (fcntl(fd[1], F_SETPIPE_SZ, 64 << 20) < 0)
			die("F_SETPIPE_SZ");
		fcntl(fd[1], F_SETFL, O_NONBLOCK);
		pipes[np++] = fd[0];
		pipes[np++] = fd[1];
		while (done < want) {
			if (!(done & 255) && meminfo_kb("MemFree") < floor_kb) {
				stopped = true;
				break;
			}
			if (write(fd[1], buf, PAGE) != (ssize_t)PAGE)
				break;
			done++;
		}
	}
	printf("# pipe pages: %zu of %zu (%zu holes)%s\n", done, want, holes,
	       stopped ? ", stopped at the MemFree floor" : "");
	munmap(fill, len);
	return np;
}

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
#define UNEVICTABLE "/proc/sys/vm/compact_unevictable_allowed"

/*
 * Take every free 2 MiB block that is left, or that compaction can still
 * make, as hugetlb pages (the kernel tries as hard as it can). Returns how
 * many it took.
 */
static long mop_up(long before)
{
	char n[32];

	snprintf(n, sizeof(n), "%ld", before + (1L << 20));
	write_str(NR_HUGEPAGES, n);
	return read_long(NR_HUGEPAGES) - before;
}

/* -L: mlock the THPs' ranges (on fault: the holes stay holes), or not. */
static void lock_thps(struct thp *t, int n, bool lock)
{
	for (int i = 0; i < n; i++)
		if (lock ? syscall(SYS_mlock2, t[i].p, PMD, MLOCK_ONFAULT) :
			   munlock(t[i].p, PMD))
			die(lock ? "mlock2" : "munlock");
}

static void zap_holes(struct thp *t, int n)
{
	for (int i = 0; i < n; i++)
		for (unsigned long k = 0; k < NR; k += HOLE_STRIDE)
			if (madvise(t[i].p + k * PAGE, PAGE, MADV_DONTNEED))
				die("madvise holes");
}

static void refill_holes(struct thp *t, int n)
{
	for (int i = 0; i < n; i++)
		for (unsigned long k = 0; k < NR; k += HOLE_STRIDE)
			*(unsigned long *)(t[i].p + k * PAGE) = t[i].seed + k;
}

static uint64_t kpage(int fd, uint64_t pfn)
{
	uint64_t v = 0;

	if (pread(fd, &v, sizeof(v), pfn * sizeof(v)) != sizeof(v))
		die("kpageflags/kpagecount");
	return v;
}

/*
 * Where the split, partly freed and refilled THPs' old 2 MiB blocks stand:
 * see the header. A range is "reassemblable" when every page but the
 * refilled ones is still at its own offset and no frame of the block is
 * held by an unmovable page.
 */
static void census(const char *when, struct thp *t, int n)
{
	int flags = open("/proc/kpageflags", O_RDONLY);
	int count = open("/proc/kpagecount", O_RDONLY);
	long own = 0, moved = 0, fr_free = 0, fr_lru = 0, fr_huge = 0;
	long fr_other = 0;
	int whole = 0, reassemblable = 0;

	if (flags < 0 || count < 0)
		die("kpageflags");
	for (int i = 0; i < n; i++) {
		uint64_t base = t[i].pfn, f;
		long r_own = 0, r_moved = 0, r_other = 0, r_huge = 0;

		for (unsigned long k = 0; k < NR; k++) {
			uint64_t pfn = pfn_of(t[i].p + k * PAGE);

			if (pfn == base + k) {
				r_own++;
				continue;
			}
			if (k % HOLE_STRIDE)
				r_moved++;	/* migrated since */
			/* the frame the page had */
			f = kpage(flags, base + k);
			if (f & (1ULL << KPF_HUGE))
				r_huge++;	/* hugetlb, in use or pooled */
			else if (!kpage(count, base + k))
				fr_free++;
			else if (f & (1ULL << KPF_LRU))
				fr_lru++;
			else
				r_other++;
		}
		own += r_own;
		moved += r_moved;
		fr_huge += r_huge;
		fr_other += r_other;
		whole += r_own == NR;
		reassemblable += !r_moved && !r_other && !r_huge;
	}
	printf("# census %s, %d split THPs that lost 1 page in %d and got it back: pages at their own offset %ld of %ld (others moved since: %ld); the other frames of their old blocks: free %ld, LRU (movable) %ld, hugetlb %ld, other (unmovable) %ld; ranges whole %d, reassemblable (all other pages in place, no unmovable or hugetlb frame) %d\n",
	       when, n, HOLE_STRIDE, own, (long)n * NR, moved, fr_free,
	       fr_lru, fr_huge, fr_other, whole, reassemblable);
	close(flags);
	close(count);
}

int main(int argc, char **argv)
{
	int n = 32, opt, pipes[MAX_PIPES], np = 0, sleep_fd;
	char sleep_ms[32] = "";
	long hugepages = 0, taken;
	bool frag = false, keep = false;
	const char *prefix;
	char mode[32];
	long unevictable = -1;
	struct thp *in, *rs, *cp;
	int nin, nrs, ncp;

	while ((opt = getopt(argc, argv, "n:FL")) != -1) {
		switch (opt) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'F':
			frag = true;
			break;
		case 'L':
			keep = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-n THPS] [-F [-L]]\n", argv[0]);
			return 2;
		}
	}
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		die("pagemap");
	/* khugepaged must not collapse them first. */
	sleep_fd = open(KSLEEP, O_RDWR);
	if (sleep_fd < 0 || read(sleep_fd, sleep_ms, sizeof(sleep_ms) - 1) < 0)
		die(KSLEEP);
	close(sleep_fd);
	write_str(KSLEEP, "3600000");
	in = calloc(n, sizeof(*in));
	rs = calloc(n, sizeof(*rs));
	cp = calloc(n, sizeof(*cp));
	if (!in || !rs || !cp)
		die("calloc");
	nin = make_thps(in, n, PTE_MAPPED, 1);
	nrs = make_thps(rs, n, SPLIT_THP, 1UL << 40);
	ncp = make_thps(cp, n, SCATTERED, 2UL << 40);

	printf("# collapse_bench: %d THPs PTE-mapped, %d split, %d ranges of 4 KiB pages%s%s\n",
	       nin, nrs, ncp, frag ? ", memory fragmented" : "",
	       frag && keep ? ", the split ones kept in place (-L)" : "");
	if (frag) {
		zap_holes(rs, nrs);
		if (keep) {
			unevictable = read_long(UNEVICTABLE);
			write_str(UNEVICTABLE, "0");
			lock_thps(rs, nrs, true);
		}
		np = fragment(pipes);
		refill_holes(rs, nrs);
		census("after the fragmenting", rs, nrs);
		printf("# fragmented: free blocks of order >= 9: %ld, MemFree %ld kB, %d pipes\n",
		       free_huge_blocks(), meminfo_kb("MemFree"), np / 2);
		hugepages = read_long(NR_HUGEPAGES);
		taken = mop_up(hugepages);
		printf("# free blocks of order >= 9: %ld, MemFree %ld kB, after %ld more hugetlb pages took the rest\n",
		       free_huge_blocks(), meminfo_kb("MemFree"), taken);
		census("after the hugetlb pool took the rest", rs, nrs);
		zones();
		if (keep)
			lock_thps(rs, nrs, false);
	}
	printf("%-16s %5s %4s %5s %6s %5s %12s %10s %5s %8s %8s %6s\n",
	       "mode", "thps", "pre", "ok", "enomem", "other", "ns",
	       "ns_per_thp", "same", "inplace", "alloc", "reasm");
	/* Rows: inplace, ...; frag_inplace (-F), ...; kept_inplace (-F -L) */
	prefix = frag ? keep ? "kept_" : "frag_" : "";
	snprintf(mode, sizeof(mode), "%sinplace", prefix);
	collapse_all(mode, in, nin);
	snprintf(mode, sizeof(mode), "%sreassemble", prefix);
	collapse_all(mode, rs, nrs);
	/*
	 * What holds the frames of the blocks that were not reassembled
	 * now; and the same collapses once more (those reassembled the
	 * first time count in "pre"): whether what declined them was
	 * transient.
	 */
	if (frag) {
		census("after the collapses", rs, nrs);
		snprintf(mode, sizeof(mode), "again_reassemble");
		collapse_all(mode, rs, nrs);
	}
	snprintf(mode, sizeof(mode), "%scopy", prefix);
	collapse_all(mode, cp, ncp);
	if (frag) {
		char n[32];

		snprintf(n, sizeof(n), "%ld", hugepages);
		write_str(NR_HUGEPAGES, n);
		if (unevictable >= 0) {
			snprintf(n, sizeof(n), "%ld", unevictable);
			write_str(UNEVICTABLE, n);
		}
	}
	for (int i = 0; i < np; i++)
		close(pipes[i]);
	write_str(KSLEEP, sleep_ms);
	return 0;
}
