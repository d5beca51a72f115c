-- A published result may carry a rank without a total (issue 13 point 5): `total` becomes
-- nullable, and a row keeps at least one of the two.
ALTER TABLE results ALTER COLUMN total DROP NOT NULL;
ALTER TABLE results ADD CONSTRAINT results_total_or_rank CHECK (total IS NOT NULL OR rank IS NOT NULL);
