// SPDX-License-Identifier: GPL-2.0
/*
 * anonfrag: find anonymous VMAs that sit next to a compatible neighbour
 * but are not merged with it, on any Linux kernel, from /proc alone.
 *
 * Two VMAs could be one when they are adjacent, both private anonymous,
 * with the same permissions, the same VmFlags and the same name. The
 * kernel still keeps them apart when their page offsets do not follow on
 * (the "pgoff" reason: the later one was moved by mremap() after it was
 * faulted in, /proc/PID/maps shows the offset) or for what /proc does not
 * show: different anon_vmas (both faulted in before they met), memory
 * policies, userfaultfd contexts (the "other" reason).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_LEN	256
#define FLAGS_LEN	256

struct vma {
	unsigned long start, end, pgoff;	/* pgoff in bytes, as maps */
	char perms[5];
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	char name[NAME_LEN];
	char flags[FLAGS_LEN];			/* VmFlags, sorted */
};

/* A run of adjacent compatible VMAs: merging would save vmas - 1. */
struct run {
	unsigned long start, end;
	unsigned int vmas;
	unsigned int pgoff;	/* boundaries where the offsets break */
	unsigned int other;	/* boundaries kept for reasons /proc hides */
};

struct proc_report {
	int pid;
	char comm[64];
	unsigned int vmas;
	unsigned int saved;
	struct run *runs;
	unsigned int nr_runs;
};

static const char *proc_root = "/proc";

static void usage(FILE *f)
{
	fprintf(f,
"NAME\n"
"    anonfrag - find unmerged anonymous VMAs and the distance to vm.max_map_count\n"
"\n"
"SYNOPSIS\n"
"    anonfrag [-j] [-v] [--proc DIR] [PID...]\n"
"\n"
"DESCRIPTION\n"
"    For each process (every process when no PID is given), anonfrag reads\n"
"    /proc/PID/smaps and lists the runs of adjacent private anonymous VMAs\n"
"    that have the same permissions, VmFlags and name but are separate VMAs,\n"
"    how many VMAs merging them would save, and how far the process is from\n"
"    vm.max_map_count, the limit at which mmap(), mprotect() and mremap()\n"
"    start failing with ENOMEM. It runs on any Linux kernel, as a normal\n"
"    program; reading other users' processes needs the usual ptrace access.\n"
"\n"
"    A boundary is counted as \"pgoff\" when the page offsets of the two\n"
"    VMAs do not follow on: typically memory moved by mremap() after it was\n"
"    faulted in, which the relocating mremap of the anonmove series merges.\n"
"    Other boundaries (\"other\") have causes /proc does not show: separate\n"
"    anon_vmas, memory policies, userfaultfd registration.\n"
"\n"
"OPTIONS\n"
"    -j, --json     print JSON instead of a table\n"
"    -v, --verbose  list every run, also when scanning every process, and\n"
"                   name the processes that could not be read\n"
"    --proc DIR     read DIR instead of /proc (a copy, for tests)\n"
"    -h, --help     print this help\n"
"\n"
"OUTPUT\n"
"    The table has one line per process with at least one VMA: PID, COMM,\n"
"    VMAS (its VMA count), MAX (vm.max_map_count), HEADROOM (MAX - VMAS),\n"
"    RUNS (runs of unmerged compatible VMAs) and SAVE (VMAs merging would\n"
"    save), then, for the PIDs named or with -v, one line per run:\n"
"    start-end, VMAs, and the pgoff/other boundary counts.\n"
"    The JSON is one object: {\"max_map_count\": N, \"processes\": [{\"pid\",\n"
"    \"comm\", \"vmas\", \"headroom\", \"saved\", \"runs\": [{\"start\", \"end\",\n"
"    \"vmas\", \"pgoff\", \"other\"}]}]}, addresses as hex strings.\n"
"\n"
"EXIT STATUS\n"
"    0 on success; 1 when a PID named does not exist or cannot be read;\n"
"    2 on bad usage. When scanning every process, processes that exit\n"
"    during the scan are skipped, and those that cannot be read are\n"
"    counted on stderr.\n");
}

static long read_long_file(const char *path)
{
	FILE *f = fopen(path, "r");
	long val = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

/* Sort the words of a VmFlags line so that equal sets compare equal. */
static int cmp_word(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

static void normalize_flags(const char *in, char *out, size_t len)
{
	char buf[FLAGS_LEN], *words[64], *save, *w;
	size_t n = 0, used = 0, i;

	strncpy(buf, in, sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = 0;
	for (w = strtok_r(buf, " \t\n", &save); w && n < 64;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	qsort(words, n, sizeof(words[0]), cmp_word);
	out[0] = 0;
	for (i = 0; i < n; i++)
		used += snprintf(out + used, used < len ? len - used : 0,
				 "%s%s", i ? " " : "", words[i]);
}

/* Private anonymous memory, and not a special mapping ([stack] and so on). */
static bool is_private_anon(const struct vma *v)
{
	if (v->inode || v->dev_major || v->dev_minor || v->perms[3] != 'p')
		return false;
	if (v->name[0] == '[')
		return !strcmp(v->name, "[heap]") ||
		       !strncmp(v->name, "[anon:", 6);
	return !v->name[0];
}

static bool compatible(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && is_private_anon(a) && is_private_anon(b) &&
	       !strcmp(a->perms, b->perms) && !strcmp(a->flags, b->flags) &&
	       !strcmp(a->name, b->name);
}

/* Parse a maps/smaps header line: "start-end perms offset maj:min ino name" */
static bool parse_header(const char *line, struct vma *v)
{
	int name_at = 0;

	memset(v, 0, sizeof(*v));
	if (sscanf(line, "%lx-%lx %4s %lx %x:%x %lu %n", &v->start, &v->end,
		   v->perms, &v->pgoff, &v->dev_major, &v->dev_minor, &v->inode,
		   &name_at) < 7)
		return false;
	if (name_at)
		snprintf(v->name, sizeof(v->name), "%s", line + name_at);
	v->name[strcspn(v->name, "\n")] = 0;
	return true;
}

/*
 * Read one process. Returns 0, or an errno: ENOENT/ESRCH when it does not
 * exist (any more), EACCES/EPERM when it cannot be read.
 */
static int scan_pid(int pid, struct proc_report *r)
{
	char path[PATH_MAX], line[4096];
	struct vma prev, cur;
	bool have_prev = false, have_cur = false, in_run = false;
	FILE *f;

	memset(r, 0, sizeof(*r));
	r->pid = pid;
	snprintf(path, sizeof(path), "%s/%d/comm", proc_root, pid);
	f = fopen(path, "r");
	if (!f)
		return errno;
	if (!fgets(r->comm, sizeof(r->comm), f))
		r->comm[0] = 0;
	r->comm[strcspn(r->comm, "\n")] = 0;
	fclose(f);

	snprintf(path, sizeof(path), "%s/%d/smaps", proc_root, pid);
	f = fopen(path, "r");
	if (!f)
		return errno;
	errno = 0;
	for (;;) {
		bool eof = !fgets(line, sizeof(line), f);
		struct vma next;

		if (eof && errno) {
			int err = errno;

			fclose(f);
			free(r->runs);
			r->runs = NULL;
			return err;
		}
		/* A header starts the next VMA; finish the current one. */
		if (!eof && !parse_header(line, &next)) {
			if (have_cur && !strncmp(line, "VmFlags:", 8))
				normalize_flags(line + 8, cur.flags,
						sizeof(cur.flags));
			continue;
		}
		if (have_cur) {
			if (strcmp(cur.name, "[vsyscall]"))	/* gate area */
				r->vmas++;
			if (have_prev && compatible(&prev, &cur)) {
				struct run *run;

				if (!in_run) {
					run = realloc(r->runs, (r->nr_runs + 1) *
						      sizeof(*run));
					if (!run)
						abort();
					r->runs = run;
					run = &run[r->nr_runs++];
					memset(run, 0, sizeof(*run));
					run->start = prev.start;
					run->vmas = 1;
					in_run = true;
				}
				run = &r->runs[r->nr_runs - 1];
				run->end = cur.end;
				run->vmas++;
				if (prev.pgoff + (prev.end - prev.start) !=
				    cur.pgoff)
					run->pgoff++;
				else
					run->other++;
				r->saved++;
			} else {
				in_run = false;
			}
			prev = cur;
			have_prev = true;
		}
		if (eof)
			break;
		cur = next;
		have_cur = true;
	}
	fclose(f);
	return 0;
}

static void print_json_report(const struct proc_report *r, bool first,
			      long max)
{
	unsigned int i;
	const char *c;

	printf("%s\n    {\"pid\": %d, \"comm\": \"", first ? "" : ",", r->pid);
	for (c = r->comm; *c; c++) {
		if (*c == '"' || *c == '\\')
			printf("\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			printf("\\u%04x", *c);
		else
			putchar(*c);
	}
	printf("\", \"vmas\": %u, \"headroom\": %ld, \"saved\": %u, \"runs\": [",
	       r->vmas, max - (long)r->vmas, r->saved);
	for (i = 0; i < r->nr_runs; i++)
		printf("%s{\"start\": \"%#lx\", \"end\": \"%#lx\", \"vmas\": %u, "
		       "\"pgoff\": %u, \"other\": %u}", i ? ", " : "",
		       r->runs[i].start, r->runs[i].end, r->runs[i].vmas,
		       r->runs[i].pgoff, r->runs[i].other);
	printf("]}");
}

static void print_table_report(const struct proc_report *r, long max,
			       bool runs)
{
	unsigned int i;

	printf("%-8d %-16s %7u %8ld %9ld %6u %6u\n", r->pid, r->comm, r->vmas,
	       max, max - (long)r->vmas, r->nr_runs, r->saved);
	if (!runs)
		return;
	for (i = 0; i < r->nr_runs; i++)
		printf("    %#lx-%#lx  %u VMAs  pgoff %u  other %u\n",
		       r->runs[i].start, r->runs[i].end, r->runs[i].vmas,
		       r->runs[i].pgoff, r->runs[i].other);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Every numeric entry of the proc root, sorted. */
static int *list_pids(size_t *nr)
{
	DIR *d = opendir(proc_root);
	struct dirent *e;
	int *pids = NULL;
	size_t n = 0;

	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || !isdigit((unsigned char)e->d_name[0]))
			continue;
		pids = realloc(pids, (n + 1) * sizeof(*pids));
		if (!pids)
			abort();
		pids[n++] = (int)pid;
	}
	closedir(d);
	if (n)
		qsort(pids, n, sizeof(*pids), cmp_int);
	*nr = n;
	return pids;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "proc", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, verbose = false, all, first = true;
	unsigned int unreadable = 0;
	int *pids, opt, ret = 0;
	char path[PATH_MAX];
	size_t nr = 0, i;
	long max;

	while ((opt = getopt_long(argc, argv, "jvh", opts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'p':
			proc_root = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	all = optind == argc;
	if (all) {
		pids = list_pids(&nr);
		if (!pids && !nr) {
			fprintf(stderr, "anonfrag: cannot list %s: %s\n",
				proc_root, strerror(errno));
			return 1;
		}
	} else {
		nr = argc - optind;
		pids = calloc(nr, sizeof(*pids));
		if (!pids)
			abort();
		for (i = 0; i < nr; i++) {
			char *end;
			long pid = strtol(argv[optind + i], &end, 10);

			if (*end || pid <= 0 || pid > INT_MAX) {
				fprintf(stderr, "anonfrag: '%s' is not a PID\n",
					argv[optind + i]);
				return 2;
			}
			pids[i] = (int)pid;
		}
	}
	snprintf(path, sizeof(path), "%s/sys/vm/max_map_count", proc_root);
	max = read_long_file(path);

	if (json)
		printf("{\"max_map_count\": %ld, \"processes\": [", max);
	else
		printf("%-8s %-16s %7s %8s %9s %6s %6s\n", "PID", "COMM",
		       "VMAS", "MAX", "HEADROOM", "RUNS", "SAVE");
	for (i = 0; i < nr; i++) {
		struct proc_report r;
		int err = scan_pid(pids[i], &r);

		if (err) {
			if (all) {
				/* Gone since we listed it: not an error. */
				if (err == ENOENT || err == ESRCH)
					continue;
				unreadable++;
				if (verbose)
					fprintf(stderr, "anonfrag: %d: %s\n",
						pids[i], strerror(err));
				continue;
			}
			fprintf(stderr, "anonfrag: %d: %s\n", pids[i],
				err == ENOENT || err == ESRCH ?
				"no such process" : strerror(err));
			ret = 1;
			continue;
		}
		/* Kernel threads have no VMAs: nothing to say. */
		if (r.vmas || !all) {
			if (json)
				print_json_report(&r, first, max);
			else
				print_table_report(&r, max, verbose || !all);
			first = false;
		}
		free(r.runs);
	}
	if (json)
		printf("%s]}\n", first ? "" : "\n");
	if (unreadable)
		fprintf(stderr, "anonfrag: %u processes could not be read\n",
			unreadable);
	free(pids);
	return ret;
}
