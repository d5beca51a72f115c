-- The civil date (Asia/Ho_Chi_Minh) a report was reviewed on, by the application's clock (the
-- day `--as-of` names in the demo), as `submitted_on` is the day it was submitted on: the
-- Chairman's report counts a report accepted in a month in that month, whatever its period.
-- Reports reviewed before this column existed keep it empty (their review day is unknown).
ALTER TABLE reports ADD COLUMN reviewed_on TEXT;
