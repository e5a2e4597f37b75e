-- Load a dump into an in-memory database, index it and report on it.
.read dump.sql
CREATE INDEX doc_cat ON doc(cat, score);
CREATE TABLE author AS
	SELECT author, count(*) AS n, sum(score) AS total FROM doc GROUP BY author;
SELECT cat, count(*), sum(score), max(length(body)) FROM doc GROUP BY cat ORDER BY cat;
SELECT a.author, a.n, a.total FROM author a ORDER BY a.n DESC, a.author LIMIT 50;
SELECT count(*) FROM doc d JOIN author a ON a.author = d.author WHERE d.score > a.total / a.n;
-- One large string built by group_concat, as exports do.
SELECT length(group_concat(body, ' ')), length(group_concat(author || ':' || score, ',')) FROM doc;
SELECT cat, substr(group_concat(author, ','), 1, 60) FROM (SELECT * FROM doc ORDER BY id) GROUP BY cat ORDER BY cat LIMIT 5;
