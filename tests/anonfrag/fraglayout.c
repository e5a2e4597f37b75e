// SPDX-License-Identifier: GPL-2.0
/*
 * A process with a known fragmented layout, for anonfrag's tests. In a
 * PROT_NONE carveout (P = one page):
 *
 *   +1P      +4P      +7P   +10P     +13P     +16P     +19P
 *   |  A     |  B     |     |  C     |  D     |  E     |
 *   run 1: 2 VMAs, B moved here      run 2: 3 VMAs, D and E moved here
 *
 *   +40P     +43P          +50P      +53P
 *   |  F rw  |  G r-       |  H sh   |  I sh
 *   not runs: different permissions; shared memory
 *
 * Every range is faulted in; B, D and E were faulted elsewhere and moved
 * with a plain mremap(), so their page offsets break. Prints
 * "READY <carveout> <page size>" and waits for stdin to close.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long page;
static char *base;

static char *map(int at, int prot, int flags)
{
	char *p = mmap(base + at * page, 3 * page, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(p, 'a' + at % 26, 3 * page);
	if (mprotect(p, 3 * page, prot)) {
		perror("mprotect");
		exit(1);
	}
	return p;
}

static void move(int from, int to)
{
	if (mremap(base + from * page, 3 * page, 3 * page,
		   MREMAP_MAYMOVE | MREMAP_FIXED, base + to * page) ==
	    MAP_FAILED) {
		perror("mremap");
		exit(1);
	}
}

int main(void)
{
	int rw = PROT_READ | PROT_WRITE;
	char c;

	page = sysconf(_SC_PAGESIZE);
	base = mmap(NULL, 64 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	map(1, rw, MAP_PRIVATE);		/* A */
	map(20, rw, MAP_PRIVATE);		/* B */
	move(20, 4);
	map(10, rw, MAP_PRIVATE);		/* C */
	map(24, rw, MAP_PRIVATE);		/* D */
	move(24, 13);
	map(28, rw, MAP_PRIVATE);		/* E */
	move(28, 16);
	map(40, rw, MAP_PRIVATE);		/* F */
	map(43, PROT_READ, MAP_PRIVATE);	/* G */
	map(50, rw, MAP_SHARED);		/* H */
	map(53, rw, MAP_SHARED);		/* I */

	printf("READY %#lx %ld\n", (unsigned long)base, page);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
