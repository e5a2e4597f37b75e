# Word statistics of a text corpus, the way Perl one-off reports are
# written: slurp, split, count in a hash, build the report in a string.
use strict;
use warnings;

local $/;
my $text = <STDIN>;
my %count;
my $longest = "";
$count{$_}++ for split /\s+/, $text;

# An upper-cased copy and an index of line starts, built by appending.
(my $upper = $text) =~ tr/a-z/A-Z/;
my @starts = (0);
while ($text =~ /\n/g) {
	push @starts, pos($text);
}
my $report = "";
for my $w (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count) {
	$report .= sprintf "%-12s %d\n", $w, $count{$w};
	$longest = $w if length $w > length $longest;
}
print scalar(keys %count), " words, ", scalar(@starts), " lines, ",
      length($upper), " bytes, longest $longest\n";
print substr($report, 0, 20000);
