-- The statistics' counters of rows inserted, updated and deleted per table of this database (rolled-back writes
-- included): taken on live when the restore beside it begins and again after the swap, their difference is what
-- was written to live meanwhile and stays in the previous copy.
SELECT format('%I.%I', schemaname, relname), n_tup_ins, n_tup_upd, n_tup_del, current_setting('track_counts')::boolean
FROM pg_stat_user_tables
ORDER BY 1;
