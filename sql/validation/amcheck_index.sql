-- amcheck: the B-tree's structure is sound and every heap tuple has its index entry (heapallindexed).
SELECT bt_index_check(index => @index_oid::oid::regclass, heapallindexed => true);
