// SPDX-License-Identifier: GPL-2.0-or-later
/* exit_with: print the arguments, one per line, and exit with the first. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		printf("arg%d=%s\n", i, argv[i]);
	return argc > 1 ? atoi(argv[1]) : 0;
}
