// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mremap_bench: latency of moving populated 4 KiB-page anonymous ranges
 * with a plain mremap() and with MREMAP_MUST_RELOCATE_ANON, interleaved in
 * one process, so that the ratio compares like with like.
 *
 * aligned:   source and destination share their offset within a PMD, so a
 *            plain move re-links whole page tables.
 * unaligned: the destination is one page off, so a plain move walks every
 *            PTE.
 *
 * Each size and placement is measured with 4 KiB folios and, where the
 * kernel has them, 64 KiB folios (mTHP, with PMD-sized THP switched off)
 * and, from 2 MiB up, PMD-sized THPs (64 KiB ones switched off); every
 * large-folio source is checked through /proc/kpageflags.
 *
 * merge_ns is a move without a flag in merge mode (PR_ANON_RELOCATE_MERGE)
 * where nothing is beside the destination to merge with: it must cost what
 * a plain move costs, plus the look at the neighbours.
 *
 * uffd_ns is the same range moved with one UFFDIO_MOVE into a registered
 * destination (userfaultfd, on any kernel since 6.8): what a runtime that
 * moves memory through userfaultfd pays, against the plain mremap() above.
 *
 * -p measures plain moves only, on a kernel that cannot relocate (the
 * unpatched one), for comparison. Booted with QEMU's -icount shift=0 (make
 * bench), the guest clock counts instructions: every "ns" is one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "uffd_compat.h"

#define MUST_RELOCATE	16	/* MREMAP_MUST_RELOCATE_ANON */
#define PR_SET_ANON_RELOCATE	0x41524c53
#define PR_ANON_RELOCATE_MERGE	4
#define PR_ANON_RELOCATE_DEFAULT 3
#define PMD_SZ		(2UL << 20)
#define MAX_REPS	64
#define THP_DIR		"/sys/kernel/mm/transparent_hugepage/"
#define KPF_HEAD	(1ULL << 15)	/* KPF_COMPOUND_HEAD */

enum folio_kind { SMALL, MTHP, THP };
static int kind;		/* enum folio_kind: what sources get */
static int plain_only;		/* -p: the kernel cannot relocate */
static unsigned long not_large;	/* large-folio sources that were not */
static int uffd = -1;		/* with UFFD_FEATURE_MOVE, or -1 */

static const unsigned long sizes_kib[] = { 64, 256, 1024, 4096, 16384, 65536 };

struct region {
	char *base;		/* what mmap() returned */
	unsigned long len;	/* and its length */
	char *addr;		/* the PMD-aligned (+ offset) start inside */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reserve room for len bytes starting at offset off within a PMD. */
static void reserve(struct region *r, unsigned long len, unsigned long off,
		    int prot)
{
	r->len = len + 2 * PMD_SZ;
	r->base = mmap(NULL, r->len, prot,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r->base == MAP_FAILED) {
		perror("mremap_bench: mmap");
		exit(1);
	}
	r->addr = (char *)(((uintptr_t)r->base + PMD_SZ - 1) &
			   ~(PMD_SZ - 1)) + off;
}

/* The bracketed choice in a THP "enabled" file, or "" if none. */
static void thp_get(const char *name, char *buf, size_t size)
{
	char line[256], *l, *r;
	FILE *f = fopen(name, "r");

	buf[0] = 0;
	if (!f)
		return;
	if (fgets(line, sizeof(line), f)) {
		l = strchr(line, '[');
		r = l ? strchr(l, ']') : NULL;
		if (l && r && (size_t)(r - l) < size) {
			*r = 0;
			strcpy(buf, l + 1);
		}
	}
	fclose(f);
}

static int thp_set(const char *name, const char *val)
{
	FILE *f = fopen(name, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(val, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

/* Does the page at addr start a large folio? (root: /proc/kpageflags) */
static int is_folio_head(void *addr)
{
	unsigned long page = sysconf(_SC_PAGESIZE);
	uint64_t ent = 0, flags = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY), kfd;

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, (uintptr_t)addr / page * 8) != 8)
		ent = 0;
	close(fd);
	kfd = open("/proc/kpageflags", O_RDONLY);
	if (kfd < 0)
		return 0;
	if (pread(kfd, &flags, 8, (ent & ((1ULL << 55) - 1)) * 8) != 8)
		flags = 0;
	close(kfd);
	return !!(flags & KPF_HEAD);
}

/* A userfaultfd that can UFFDIO_MOVE, or -1. */
static int uffd_open(void)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MOVE };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0 && ioctl(fd, UFFDIO_API, &api)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The range at dst moved there with one UFFDIO_MOVE, or MAP_FAILED. */
static char *uffd_move(char *src, char *dst, unsigned long len)
{
	struct uffdio_move mv = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len,
	};

	if (ioctl(uffd, UFFDIO_MOVE, &mv) || mv.move != (int64_t)len)
		return MAP_FAILED;
	return dst;
}

#define UFFD_MOVE	(~0UL)	/* one_move(): UFFDIO_MOVE, not mremap() */

/*
 * Move a freshly populated range once, with mremap() and flag, or with
 * UFFDIO_MOVE; return the latency in ns, or 0 if the kernel refused
 * (errno says why). The data is checked after the move.
 */
static uint64_t one_move(unsigned long len, int aligned, unsigned long flag)
{
	unsigned long page = sysconf(_SC_PAGESIZE), i;
	struct region src, dst;
	uint64_t t0, t1;
	char *ret;

	reserve(&src, len, 0, PROT_READ | PROT_WRITE);
	reserve(&dst, len, aligned ? 0 : page,
		flag == UFFD_MOVE ? PROT_READ | PROT_WRITE : PROT_NONE);
	if (flag == UFFD_MOVE) {
		struct uffdio_register reg = {
			.range = { .start = (uintptr_t)dst.addr, .len = len },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
			munmap(src.base, src.len);
			munmap(dst.base, dst.len);
			return 0;
		}
	}
	madvise(src.base, src.len, kind == SMALL ? MADV_NOHUGEPAGE :
		kind == THP ? MADV_HUGEPAGE : MADV_NORMAL);
	for (i = 0; i < len; i += page)
		src.addr[i] = (char)(i / page);
	if (kind != SMALL && !is_folio_head(src.addr))
		not_large++;

	t0 = now_ns();
	if (flag == UFFD_MOVE)
		ret = uffd_move(src.addr, dst.addr, len);
	else
		ret = (char *)syscall(SYS_mremap, src.addr, len, len,
				      MREMAP_MAYMOVE | MREMAP_FIXED | flag,
				      dst.addr);
	t1 = now_ns();
	if (ret == MAP_FAILED)
		return 0;
	for (i = 0; i < len; i += page) {
		if (ret[i] != (char)(i / page)) {
			fprintf(stderr, "mremap_bench: data lost at +%lu\n", i);
			exit(1);
		}
	}
	munmap(src.base, src.len);
	munmap(dst.base, dst.len);
	return t1 - t0;
}

/* One table row per size and placement, for the current folio size. */
static int run_table(int reps_max)
{
	unsigned long page = sysconf(_SC_PAGESIZE);
	uint64_t plain[MAX_REPS], reloc[MAX_REPS], merge[MAX_REPS];
	uint64_t umove[MAX_REPS];
	const char *folio = kind == THP ? "2m" : kind == MTHP ? "64k" : "4k";
	char ucol[32];
	int aligned, r, reps;
	unsigned int s;

	for (aligned = 1; aligned >= 0; aligned--) {
		for (s = 0; s < sizeof(sizes_kib) / sizeof(sizes_kib[0]); s++) {
			unsigned long len = sizes_kib[s] << 10;
			double pages = (double)len / page;
			const char *place = aligned ? "aligned" : "unaligned";

			if (kind == THP && len < PMD_SZ)
				continue;

			/* Fewer runs for the big sizes: each costs seconds. */
			reps = sizes_kib[s] >= 16384 ? (reps_max + 2) / 3 : reps_max;
			for (r = 0; r < reps; r++) {
				plain[r] = one_move(len, aligned, 0);
				reloc[r] = plain_only ? plain[r] :
					   one_move(len, aligned, MUST_RELOCATE);
				merge[r] = plain[r];
				if (!plain_only) {
					prctl(PR_SET_ANON_RELOCATE,
					      PR_ANON_RELOCATE_MERGE, 0, 0, 0);
					merge[r] = one_move(len, aligned, 0);
					prctl(PR_SET_ANON_RELOCATE,
					      PR_ANON_RELOCATE_DEFAULT, 0, 0, 0);
				}
				umove[r] = uffd < 0 ? 1 :
					   one_move(len, aligned, UFFD_MOVE);
				if (!plain[r] || !reloc[r] || !merge[r] ||
				    !umove[r]) {
					printf("%-6s %-9lu %-9s mremap failed: %s\n",
					       folio, sizes_kib[s], place,
					       strerror(errno));
					return 1;
				}
			}
			qsort(plain, reps, sizeof(plain[0]), cmp_u64);
			qsort(reloc, reps, sizeof(reloc[0]), cmp_u64);
			qsort(merge, reps, sizeof(merge[0]), cmp_u64);
			qsort(umove, reps, sizeof(umove[0]), cmp_u64);
			if (uffd < 0)
				snprintf(ucol, sizeof(ucol), "%11s %7s", "-", "-");
			else
				snprintf(ucol, sizeof(ucol), "%11llu %7.2f",
					 (unsigned long long)umove[reps / 2],
					 (double)umove[reps / 2] / plain[reps / 2]);
			if (plain_only) {
				printf("%-6s %-9lu %-9s %11llu %11s %7s %9.1f %9s %11s %s\n",
				       folio, sizes_kib[s], place,
				       (unsigned long long)plain[reps / 2], "-",
				       "-", plain[reps / 2] / pages, "-", "-",
				       ucol);
				continue;
			}
			printf("%-6s %-9lu %-9s %11llu %11llu %7.2f %9.1f %9.1f %11llu %s\n",
			       folio, sizes_kib[s], place,
			       (unsigned long long)plain[reps / 2],
			       (unsigned long long)reloc[reps / 2],
			       (double)reloc[reps / 2] / plain[reps / 2],
			       plain[reps / 2] / pages, reloc[reps / 2] / pages,
			       (unsigned long long)merge[reps / 2], ucol);
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long page = sysconf(_SC_PAGESIZE);
	char old64[32], old2m[32];
	int reps_max, ret;

	if (argc > 1 && !strcmp(argv[1], "-p")) {
		plain_only = 1;
		argc--;
		argv++;
	}
	reps_max = argc > 1 ? atoi(argv[1]) : 15;
	if (argc > 2 || reps_max < 1 || reps_max > MAX_REPS) {
		fprintf(stderr, "usage: mremap_bench [-p] [REPETITIONS (1-%d)]\n"
			"Times plain vs relocating mremap() of populated ranges,\n"
			"64 KiB to 64 MiB, PMD-aligned and not, in 4 KiB folios\n"
			"and, where the kernel has them, 64 KiB and 2 MiB THPs;\n"
			"prints medians, their ratio and ns per page, and\n"
			"a UFFDIO_MOVE of each range (uffd_ns, its ratio to plain).\n"
			"-p: plain moves only (a kernel that cannot relocate).\n",
			MAX_REPS);
		return 2;
	}
	if (!plain_only && !one_move(page, 0, MUST_RELOCATE)) {
		printf("mremap_bench: this kernel cannot relocate (%s): "
		       "boot the anonmove kernel (make vm-run)\n",
		       strerror(errno));
		return 1;
	}
	uffd = uffd_open();
	printf("%-6s %-9s %-9s %11s %11s %7s %9s %9s %11s %11s %7s\n", "folio",
	       "size_kib", "placement", "plain_ns", "reloc_ns", "ratio",
	       "plain/pg", "reloc/pg", "merge_ns", "uffd_ns", "uffd_x");
	ret = run_table(reps_max);
	if (ret)
		return ret;

	thp_get(THP_DIR "hugepages-64kB/enabled", old64, sizeof(old64));
	thp_get(THP_DIR "hugepages-2048kB/enabled", old2m, sizeof(old2m));
	for (kind = MTHP; kind <= THP && !ret; kind++) {
		if (!old64[0] || !old2m[0] ||
		    thp_set(THP_DIR "hugepages-64kB/enabled",
			    kind == MTHP ? "always" : "never") ||
		    thp_set(THP_DIR "hugepages-2048kB/enabled",
			    kind == THP ? "always" : "never")) {
			printf("%-6s (no such anonymous THP here: not measured)\n",
			       kind == MTHP ? "64k" : "2m");
			continue;
		}
		ret = run_table(reps_max);
	}
	if (old64[0] && old2m[0]) {
		thp_set(THP_DIR "hugepages-64kB/enabled", old64);
		thp_set(THP_DIR "hugepages-2048kB/enabled", old2m);
	}
	if (not_large)
		printf("warning: %lu sources were not large folios\n",
		       not_large);
	return ret;
}
