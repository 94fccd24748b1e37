-- Reads every row and every column of one table (rendering a row as text detoasts all of it), so a
-- damaged page or TOAST chunk anywhere in the table fails here. {0} is the quoted, qualified table.
SELECT count(*), coalesce(sum(length(t::text)), 0) FROM {0} t;
