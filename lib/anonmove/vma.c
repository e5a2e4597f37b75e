// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Look up the VMA holding an address: PROCMAP_QUERY on /proc/self/maps
 * (Linux 6.11+, one ioctl), else a scan of /proc/self/maps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/fs.h>
#include "internal.h"

#ifndef PROCMAP_QUERY
#define PROCMAP_QUERY	_IOWR(0x9f, 17, struct procmap_query)
enum procmap_query_flags {
	PROCMAP_QUERY_VMA_READABLE = 0x01,
	PROCMAP_QUERY_VMA_WRITABLE = 0x02,
	PROCMAP_QUERY_VMA_EXECUTABLE = 0x04,
	PROCMAP_QUERY_VMA_SHARED = 0x08,
};

struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#endif

static int maps_fd = -1;	/* for PROCMAP_QUERY; -2: not supported */
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

void am_vma_forget(void)
{
	if (maps_fd >= 0)
		close(maps_fd);
	maps_fd = -1;
	pthread_mutex_init(&maps_lock, NULL);
}

static int query_vma(uintptr_t addr, struct am_vma *vma)
{
	char name[32] = "";
	struct procmap_query q = {
		.size = sizeof(q),
		.query_addr = addr,
		.vma_name_size = sizeof(name),
		.vma_name_addr = (uintptr_t)name,
	};
	int fd;

	pthread_mutex_lock(&maps_lock);
	if (maps_fd == -1) {
		maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (maps_fd < 0)
			maps_fd = -2;
	}
	fd = maps_fd;
	pthread_mutex_unlock(&maps_lock);
	if (fd < 0)
		return 1;
	if (ioctl(fd, PROCMAP_QUERY, &q)) {
		if (errno == ENOENT)
			return -1;
		if (errno == ENAMETOOLONG) {	/* a long name: not ours */
			vma->start = vma->end = 0;
			return -1;
		}
		return 1;	/* ENOTTY: older kernel, scan instead */
	}
	if (q.vma_start > addr)
		return -1;
	vma->start = q.vma_start;
	vma->end = q.vma_end;
	vma->prot = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE ? PROT_READ : 0) |
		    (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? PROT_WRITE : 0) |
		    (q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE ? PROT_EXEC : 0);
	vma->private_anon = !(q.vma_flags & PROCMAP_QUERY_VMA_SHARED) &&
			    !q.inode && !q.dev_major && !q.dev_minor &&
			    (!q.vma_name_size || !strcmp(name, "[heap]"));
	return 0;
}

static int scan_vma(uintptr_t addr, struct am_vma *vma)
{
	unsigned long start, end, ino;
	char perms[5], name[256], line[512];
	unsigned int maj, min;
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		name[0] = 0;
		if (sscanf(line, "%lx-%lx %4s %*x %x:%x %lu %255s", &start,
			   &end, perms, &maj, &min, &ino, name) < 6)
			continue;
		if (addr < start || addr >= end)
			continue;
		vma->start = start;
		vma->end = end;
		vma->prot = (perms[0] == 'r' ? PROT_READ : 0) |
			    (perms[1] == 'w' ? PROT_WRITE : 0) |
			    (perms[2] == 'x' ? PROT_EXEC : 0);
		vma->private_anon = perms[3] == 'p' && !ino && !maj && !min &&
				    (!name[0] || !strcmp(name, "[heap]"));
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

int am_find_vma(uintptr_t addr, struct am_vma *vma)
{
	int ret = query_vma(addr, vma);

	return ret > 0 ? scan_vma(addr, vma) : ret;
}
