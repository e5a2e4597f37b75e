// SPDX-License-Identifier: GPL-2.0
/*
 * libanonmove example: move a written buffer right after another written
 * mapping, as an allocator or a compacting GC does, and show that the two
 * end as one VMA (with relocation) rather than two (plain mremap()).
 * Build: cc $(pkg-config --cflags anonmove) ex.c $(pkg-config --libs anonmove)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <anonmove.h>

/* The VMAs /proc/self/maps shows in [start, end). */
static int vmas_in(char *start, char *end)
{
	unsigned long s, e;
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 &&
		    s < (unsigned long)end && e > (unsigned long)start)
			n++;
	if (f)
		fclose(f);
	return n;
}

int main(void)
{
	size_t ps = sysconf(_SC_PAGESIZE);
	char *heap = mmap(NULL, 8 * ps, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *moved;

	if (heap == MAP_FAILED || buf == MAP_FAILED)
		return 1;
	munmap(heap + 4 * ps, 4 * ps);		/* room after the heap */
	memset(heap, 'h', 4 * ps);
	memset(buf, 'b', 4 * ps);
	moved = anonmove_mremap(buf, 4 * ps, 4 * ps,
				MREMAP_MAYMOVE | MREMAP_FIXED, heap + 4 * ps);
	if (moved == MAP_FAILED || moved[0] != 'b' || heap[0] != 'h') {
		perror("anonmove_mremap");
		return 1;
	}
	printf("mechanism %s: heap and moved buffer are %d VMA(s)\n",
	       anonmove_mechanism_name(anonmove_supported()),
	       vmas_in(heap, heap + 8 * ps));
	return 0;
}
