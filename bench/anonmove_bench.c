// SPDX-License-Identifier: GPL-2.0
/*
 * anonmove_bench: the cost of a relocating move through libanonmove, per
 * mechanism, against plain mremap() in the same run. One child process per
 * mechanism (the library probes once per process); each times moves of a
 * written range: 4 KiB pages (MADV_NOHUGEPAGE), 64 KiB mTHP (if the
 * kernel has hugepages-64kB and it can be enabled), 2 MiB THP
 * (MADV_HUGEPAGE), destination PMD-aligned like the source or one page
 * off. Prints microseconds per move and the ratio to plain.
 * Usage: anonmove_bench [ROUNDS]
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "anonmove.h"

#define PMD		(2UL << 20)
#define MTHP_SYSFS	"/sys/kernel/mm/transparent_hugepage/hugepages-64kB/enabled"

enum kind { SMALL, MTHP, THP, NR_KINDS };
static const char *const kind_name[] = { "4k", "mthp64k", "thp" };
static const size_t sizes[] = { 2UL << 20, 16UL << 20 };
#define NR_SIZES	(sizeof(sizes) / sizeof(sizes[0]))
static const char *const mech_env[] = { "plain", "uffd", "kernel" };
#define NR_MECHS	3

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A PMD-aligned area of len + 2 PMDs, PROT_NONE, to place ranges in. */
static char *area_for(size_t len, char **raw, size_t *raw_len)
{
	*raw_len = len + 3 * PMD;
	*raw = mmap(NULL, *raw_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (*raw == MAP_FAILED)
		return NULL;
	return (char *)(((unsigned long)*raw + PMD - 1) & ~(PMD - 1));
}

/* Microseconds per move of a written len-byte range; -1 on failure. */
static double time_moves(enum kind kind, size_t len, bool aligned, int rounds)
{
	size_t ps = sysconf(_SC_PAGESIZE), raw_len;
	double total = 0;
	char *raw, *src, *dst;

	for (int r = 0; r < rounds; r++) {
		src = area_for(2 * len, &raw, &raw_len);
		if (!src)
			return -1;
		dst = src + len + PMD + (aligned ? 0 : ps);
		if (mmap(src, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != src)
			return -1;
		madvise(src, len, kind == THP ? MADV_HUGEPAGE : kind == SMALL ?
			MADV_NOHUGEPAGE : MADV_NORMAL);
		memset(src, 'm', len);
		double t = now_us();
		char *p = anonmove_mremap(src, len, len,
					  MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		total += now_us() - t;
		if (p != dst || p[len - 1] != 'm')
			return -1;
		munmap(raw, raw_len);
	}
	return total / rounds;
}

static int write_mthp(const char *mode)
{
	FILE *f = fopen(MTHP_SYSFS, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(mode, f) < 0;
	return fclose(f) || ret ? -1 : 0;
}

static void run_mechanism(int m, int rounds, int out)
{
	double res[NR_KINDS][NR_SIZES][2];
	struct anonmove_stats st;

	setenv("ANONMOVE_MECHANISM", mech_env[m], 1);
	if (strcmp(anonmove_mechanism_name(anonmove_supported()), mech_env[m]))
		_exit(3);	/* not on this kernel */
	for (int k = 0; k < NR_KINDS; k++)
		for (size_t s = 0; s < NR_SIZES; s++)
			for (int a = 0; a < 2; a++)
				res[k][s][a] = time_moves(k, sizes[s], a, rounds);
	anonmove_get_stats(&st);
	if (write(out, res, sizeof(res)) != sizeof(res) ||
	    write(out, &st, sizeof(st)) != sizeof(st))
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	double res[NR_MECHS][NR_KINDS][NR_SIZES][2];
	struct anonmove_stats st[NR_MECHS];
	bool have[NR_MECHS] = { false };
	bool mthp = false;
	char mthp_was[128];
	FILE *f;

	/* 64 KiB mTHP for the mthp rows, where the kernel has them. */
	f = fopen(MTHP_SYSFS, "r");
	if (f) {
		char *sel = fgets(mthp_was, sizeof(mthp_was), f) ?
			    strchr(mthp_was, '[') : NULL;

		fclose(f);
		if (sel && strchr(sel, ']')) {
			*strchr(sel, ']') = 0;
			memmove(mthp_was, sel + 1, strlen(sel));
			mthp = !write_mthp("always");
		}
	}
	for (int m = 0; m < NR_MECHS; m++) {
		int fd[2], status;
		pid_t pid;

		if (pipe(fd))
			return 1;
		pid = fork();
		if (!pid) {
			close(fd[0]);
			run_mechanism(m, rounds, fd[1]);
		}
		close(fd[1]);
		have[m] = read(fd[0], res[m], sizeof(res[m])) == sizeof(res[m]) &&
			  read(fd[0], &st[m], sizeof(st[m])) == sizeof(st[m]);
		close(fd[0]);
		waitpid(pid, &status, 0);
		have[m] = have[m] && WIFEXITED(status) && !WEXITSTATUS(status);
	}
	if (mthp)
		write_mthp(mthp_was);	/* as it was */
	if (!have[0])
		return 1;
	printf("# anonmove_bench: %d moves per cell, microseconds per move and ratio to plain mremap() in this run\n",
	       rounds);
	printf("%-8s %-6s %-9s %10s", "pages", "size", "dst", "plain_us");
	for (int m = 1; m < NR_MECHS; m++)
		if (have[m])
			printf(" %9s_us %7s_x", mech_env[m], mech_env[m]);
	printf("\n");
	for (int k = 0; k < NR_KINDS; k++)
		for (size_t s = 0; s < NR_SIZES; s++)
			for (int a = 1; a >= 0; a--) {
				if (k == MTHP && !mthp)
					continue;
				printf("%-8s %4zuM   %-9s %10.0f", kind_name[k],
				       sizes[s] >> 20, a ? "aligned" : "unaligned",
				       res[0][k][s][a]);
				for (int m = 1; m < NR_MECHS; m++)
					if (have[m])
						printf(" %12.0f %9.2f", res[m][k][s][a],
						       res[m][k][s][a] / res[0][k][s][a]);
				printf("\n");
			}
	if (have[1])
		printf("# uffd: %lu moves, %lu MiB moved, %lu ioctls (%.1f per move), %lu fell back to mremap() for the rest; %.0f%% of their time in UFFDIO_MOVE, the rest mapping, registering, unmapping\n",
		       st[1].uffd_moves, st[1].uffd_bytes >> 20, st[1].uffd_ioctls,
		       st[1].uffd_moves ? (double)st[1].uffd_ioctls / st[1].uffd_moves : 0,
		       st[1].fallbacks,
		       st[1].uffd_ns ? 100.0 * st[1].uffd_move_ns / st[1].uffd_ns : 0);
	if (!mthp)
		printf("# no mthp rows: cannot enable %s\n", MTHP_SYSFS);
	return 0;
}
