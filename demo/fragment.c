// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fragment: show the fragmentation that mremap() of faulted anonymous
 * memory causes today. Runs on any Linux kernel.
 *
 * Two 64 KiB anonymous mappings, A and B, are made; B is moved with
 * mremap(MREMAP_FIXED) to sit right after A. If B was faulted in, it keeps
 * the page offset of its old address and stays a separate VMA; if it was
 * never touched, it merges with A.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (64UL << 10)

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

/* Map A and B, optionally fault B, move B after A; return the VMA count. */
static int move_next_to(bool fault_b)
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

	moved = mremap(b, LEN, LEN, MREMAP_MAYMOVE | MREMAP_FIXED, a + LEN);
	if (moved != a + LEN) {
		perror("fragment: mremap");
		exit(1);
	}
	if (a[0] != 'A' || a[LEN - 1] != 'A' ||
	    moved[0] != (fault_b ? 'B' : 0) || moved[LEN - 1] != (fault_b ? 'B' : 0)) {
		fprintf(stderr, "fragment: data changed by the move\n");
		exit(1);
	}
	printf("  %s B moved right after faulted A:\n",
	       fault_b ? "faulted" : "never-faulted");
	n = show_vmas((unsigned long)a, (unsigned long)a + 2 * LEN);
	printf("  -> %d VMA%s for 128 KiB of contiguous anonymous memory\n\n",
	       n, n == 1 ? "" : "s");
	munmap(area, 4 * LEN);
	return n;
}

int main(int argc, char **argv)
{
	int faulted, unfaulted;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: fragment\n"
			"Shows how mremap() of faulted anonymous memory leaves an "
			"unmergeable VMA.\n");
		return 2;
	}
	printf("anonmove demo: fragmentation by mremap() today\n\n");
	faulted = move_next_to(true);
	unfaulted = move_next_to(false);
	printf("summary: faulted move leaves %d VMAs, unfaulted move leaves %d\n",
	       faulted, unfaulted);
	return 0;
}
