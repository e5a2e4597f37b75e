"""Load a JSON array of records and turn it into sorted columns, as a data
tool does before writing CSV. Prints the table as CSV (deterministic)."""
import csv
import json
import sys

with open(sys.argv[1], encoding="utf-8") as f:
    records = json.load(f)

# Column store: one list per field, then a sort by (cat, score, id).
fields = ("id", "user", "cat", "score", "tags", "text")
cols = {name: [] for name in fields}
for rec in records:
    for name in fields:
        cols[name].append(rec[name])
order = sorted(range(len(records)),
               key=lambda i: (cols["cat"][i], -cols["score"][i], cols["id"][i]))

out = csv.writer(sys.stdout, lineterminator="\n")
out.writerow(fields)
for i in order:
    out.writerow([cols["id"][i], cols["user"][i], cols["cat"][i],
                  cols["score"][i], "|".join(cols["tags"][i]), cols["text"][i]])
