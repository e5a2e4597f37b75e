# gen.awk: deterministic survey inputs, one kind per run (-v what=KIND).
# Every byte comes from a Park-Minimal-Standard generator (exact in the
# doubles awk computes with), so any awk on any machine writes the same
# files. Run with LC_ALL=C so that length() counts bytes.
#
#   corpus  lines of words, about `mb` MiB            (gawk, perl, sed)
#   json    a JSON array of `n` records               (jq, python3)
#   sql     an SQL dump of `n` rows                   (sqlite3)
#   c       a C translation unit of `n` functions     (cc1)
#   git     a git fast-import stream of `n` commits   (git)

function rnd() {
	seed = (seed * 16807) % 2147483647
	return seed / 2147483647
}

# A word from a vocabulary of V; low indices are much more frequent.
function word(   i, w) {
	i = int(V * rnd() ^ 3)
	w = ""
	do {
		w = w syl[1 + i % NSYL]
		i = int(i / NSYL)
	} while (i > 0)
	return w
}

function words(n,   s, k) {
	s = word()
	for (k = 1; k < n; k++)
		s = s " " word()
	return s
}

function corpus(   bytes, line) {
	bytes = 0
	while (bytes < mb * 1048576) {
		line = words(6 + int(rnd() * 9))
		print line
		bytes += length(line) + 1
	}
}

function json(   i) {
	print "["
	for (i = 0; i < n; i++)
		printf "{\"id\":%d,\"user\":\"%s\",\"cat\":\"c%02d\",\"score\":%d," \
		       "\"tags\":[\"%s\",\"%s\",\"%s\"],\"text\":\"%s\"}%s\n",
		       i, word(), int(rnd() * 40), int(rnd() * 100000),
		       word(), word(), word(), words(8 + int(rnd() * 8)),
		       i < n - 1 ? "," : ""
	print "]"
}

function sql(   i) {
	print "CREATE TABLE doc(id INTEGER PRIMARY KEY, cat INTEGER, " \
	      "author TEXT, score INTEGER, body TEXT);"
	print "BEGIN;"
	for (i = 0; i < n; i++) {
		if (i % 500 == 0)
			printf "INSERT INTO doc VALUES\n"
		printf "(%d,%d,'%s',%d,'%s')%s\n", i, int(rnd() * 50), word(),
		       int(rnd() * 1000000), words(5 + int(rnd() * 20)),
		       i % 500 == 499 || i == n - 1 ? ";" : ","
	}
	print "COMMIT;"
}

# Many mid-sized functions with switches, loops, tables and a call chain:
# work for every -O2 pass and a large GC heap in cc1.
function c_source(   i, j, k) {
	print "struct rec { int a, b; double c; char name[16]; };"
	for (i = 0; i < n; i++) {
		printf "static const int tab%d[32] = {", i
		for (j = 0; j < 32; j++)
			printf "%d,", int(rnd() * 1009)
		print "};"
		printf "int f%d(struct rec *p, int n)\n{\n\tint acc = %d;\n\n", i, i
		print "\tfor (int k = 0; k < n; k++) {"
		print "\t\tswitch ((p[k].a + k) % 16) {"
		for (k = 0; k < 16; k++)
			printf "\t\tcase %d: acc += p[k].b * %d + tab%d[(k + %d) & 31]; " \
			       "p[k].c += acc * %d.5; break;\n", k, int(rnd() * 97),
			       i, k, k
		print "\t\t}"
		print "\t\tif (acc > 100000)\n\t\t\tacc -= p[k].name[k & 15];\n\t}"
		if (i > 0)
			printf "\treturn acc + (n > 2 ? f%d(p + 1, n - 1) : 0);\n}\n", i - 1
		else
			print "\treturn acc;\n}"
	}
}

# A history of n commits over F files: each commit rewrites a few lines of
# two files and appends to them, as source code evolves.
function blob(f,   s, j) {
	s = ""
	for (j = 1; j <= nlines[f]; j++)
		s = s text[f, j] "\n"
	printf "M 100644 inline dir%02d/file%03d.txt\ndata %d\n%s\n",
	       f % 16, f, length(s), s
}

function git_stream(   F, f, j, k, c, m, msg) {
	F = 240
	for (f = 0; f < F; f++) {
		nlines[f] = 40 + int(rnd() * 80)
		for (j = 1; j <= nlines[f]; j++)
			text[f, j] = words(4 + int(rnd() * 8))
	}
	for (c = 1; c <= n; c++) {
		msg = "change " c ": " words(6)
		printf "commit refs/heads/main\nmark :%d\n", c
		printf "author Survey <survey@example.invalid> %d +0000\n", 1700000000 + c * 3600
		printf "committer Survey <survey@example.invalid> %d +0000\n", 1700000000 + c * 3600
		printf "data %d\n%s\n", length(msg), msg
		if (c > 1)
			printf "from :%d\n", c - 1
		if (c == 1) {
			for (f = 0; f < F; f++)
				blob(f)
			continue
		}
		for (m = 0; m < 2; m++) {
			f = int(F * rnd())
			# (the line first: awks differ in which side of an
			# assignment they evaluate first)
			for (j = 0; j < 3; j++) {
				k = 1 + int(rnd() * nlines[f])
				text[f, k] = words(4 + int(rnd() * 8))
			}
			for (j = 0; j < 2; j++)
				text[f, ++nlines[f]] = words(4 + int(rnd() * 8))
			blob(f)
		}
	}
}

BEGIN {
	seed = 20250101
	NSYL = split("ka lo mi ne tu ra si po de gu fa ve zo ha ji wo " \
		     "by ce qu el an ix or um", syl, " ")
	V = 20000
	if (what == "corpus")
		corpus()
	else if (what == "json")
		json()
	else if (what == "sql")
		sql()
	else if (what == "c")
		c_source()
	else if (what == "git")
		git_stream()
	else {
		print "gen.awk: unknown what=" what > "/dev/stderr"
		exit 2
	}
}
