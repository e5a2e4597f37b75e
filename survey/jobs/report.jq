# Group the records by category and summarise each group, as a report over
# a JSON export does. (No join of all texts: jq 1.6 joins in quadratic time.)
(group_by(.cat) | map({
	cat: .[0].cat,
	n: length,
	score: (map(.score) | add),
	users: (map(.user) | unique | length),
	tags: ([.[].tags[]] | unique | length)
})) as $groups
| {groups: $groups,
   words: ([.[].text | split(" ") | length] | add),
   top: (sort_by(-.score, .id) | .[:20] | map({id, user, score}))}
