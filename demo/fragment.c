// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fragment: show the fragmentation that mremap() of faulted anonymous
 * memory causes today, and what MREMAP_RELOCATE_ANON does about it. Runs on
 * any Linux kernel; the last case needs the anonmove series.
 *
 * Two 64 KiB anonymous mappings, A and B, are made; B is moved with
 * mremap(MREMAP_FIXED) to sit right after A. If B was faulted in, it keeps
 * the page offset of its old address and stays a separate VMA; if it was
 * never touched, it merges with A; relocated, it merges although faulted.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LEN (64UL << 10)
#define MREMAP_RELOCATE_ANON_FLAG 8

/* Print the /proc/self/maps lines within [lo, hi); return how many. */
static int show_vmas(unsigned long lo, unsigned long hi)
{
	unsigned long start, end, pgoff;
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (!f) {
		perror("fragment: /proc/self/maps");
		exit(1);
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s %lx", &start, &end, perms, &pgoff) != 4)
			continue;
		if (end <= lo || start >= hi)
			continue;
		printf("    %lx-%lx %s pgoff %#lx (%lu KiB)\n", start, end,
		       perms, pgoff, (end - start) >> 10);
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Map A and B, optionally fault B, move B after A (relocating if asked);
 * return the VMA count, or -1 if the kernel refused the flag.
 */
static int move_next_to(bool fault_b, unsigned long flag)
{
	char *area, *a, *b, *moved;
	int n;

	/* Reserve room so that A, the gap after it and B are ours alone. */
	area = mmap(NULL, 4 * LEN, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		perror("fragment: mmap");
		exit(1);
	}
	a = mmap(area, LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	b = mmap(area + 3 * LEN, LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED) {
		perror("fragment: mmap");
		exit(1);
	}
	memset(a, 'A', LEN);
	if (fault_b)
		memset(b, 'B', LEN);

	/* glibc's mremap() rejects flags it does not know: call the kernel. */
	moved = (char *)syscall(SYS_mremap, b, LEN, LEN,
				MREMAP_MAYMOVE | MREMAP_FIXED | flag, a + LEN);
	if (moved == MAP_FAILED && flag && errno == EINVAL) {
		munmap(area, 4 * LEN);
		return -1;
	}
	if (moved != a + LEN) {
		perror("fragment: mremap");
		exit(1);
	}
	if (a[0] != 'A' || a[LEN - 1] != 'A' ||
	    moved[0] != (fault_b ? 'B' : 0) || moved[LEN - 1] != (fault_b ? 'B' : 0)) {
		fprintf(stderr, "fragment: data changed by the move\n");
		exit(1);
	}
	printf("  %s B moved right after faulted A%s:\n",
	       fault_b ? "faulted" : "never-faulted",
	       flag ? " with MREMAP_RELOCATE_ANON" : "");
	n = show_vmas((unsigned long)a, (unsigned long)a + 2 * LEN);
	printf("  -> %d VMA%s for 128 KiB of contiguous anonymous memory\n\n",
	       n, n == 1 ? "" : "s");
	munmap(area, 4 * LEN);
	return n;
}

int main(int argc, char **argv)
{
	int faulted, unfaulted, relocated;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: fragment\n"
			"Shows how mremap() of faulted anonymous memory leaves an "
			"unmergeable VMA.\n");
		return 2;
	}
	printf("anonmove demo: fragmentation by mremap() today\n\n");
	faulted = move_next_to(true, 0);
	unfaulted = move_next_to(false, 0);
	relocated = move_next_to(true, MREMAP_RELOCATE_ANON_FLAG);
	if (relocated < 0)
		printf("  (this kernel has no MREMAP_RELOCATE_ANON)\n\n");
	printf("summary: faulted move leaves %d VMAs, unfaulted move leaves %d",
	       faulted, unfaulted);
	if (relocated > 0)
		printf(", relocated faulted move leaves %d", relocated);
	printf("\n");
	return 0;
}
