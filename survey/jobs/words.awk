# Word statistics of a text corpus with gawk: count words, and keep the
# whole text in one string (the usual "slurp" idiom) to edit it at the end.
{
	for (i = 1; i <= NF; i++)
		count[$i]++
	all = all $0 "\n"
}
END {
	n = gsub(/ka/, "KA", all)
	PROCINFO["sorted_in"] = "@val_num_desc"
	printed = 0
	for (w in count) {
		if (printed++ < 500)
			printf "%-12s %d\n", w, count[w]
	}
	print length(count), "words,", NR, "lines,", length(all), "bytes,", n, "edits"
}
