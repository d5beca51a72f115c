-- A criterion may be marked as a sample on its own (issue 13 point 5): its points or rule are
-- illustrative, and it is labelled "MẪU" wherever it is shown.
ALTER TABLE criteria ADD COLUMN sample INTEGER NOT NULL DEFAULT 0;
