-- Refreshes the subject fact tables for the documents in the temporary table touched_documents only (those a
-- load writes, retires or re-extracts: warehouse/io.py merge_staged_load): their rows are deleted, and what
-- the definitions (the views *_computed, migration 009) select of them is inserted. Every other row of a
-- subject table comes from a figure the load leaves as it was. Run inside the load transaction.

DELETE FROM fact_gdp WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_gdp SELECT * FROM fact_gdp_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;

DELETE FROM fact_revenue WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_revenue SELECT * FROM fact_revenue_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;

DELETE FROM fact_certification_count WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_certification_count SELECT * FROM fact_certification_count_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;

DELETE FROM fact_standard_count WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_standard_count SELECT * FROM fact_standard_count_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;

DELETE FROM fact_brand_count WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_brand_count SELECT * FROM fact_brand_count_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;

DELETE FROM fact_award_count WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_award_count SELECT * FROM fact_award_count_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;

DELETE FROM fact_rate WHERE doc_id IN (SELECT doc_id FROM touched_documents);
INSERT INTO fact_rate SELECT * FROM fact_rate_computed WHERE doc_id IN (SELECT doc_id FROM touched_documents)
ORDER BY figure_id;
