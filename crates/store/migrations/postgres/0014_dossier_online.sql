-- Dossiers received online (issue 13 point 1): per agency × month, the dossiers whose online
-- level is 3 or 4 ("hồ sơ trực tuyến mức độ 3, 4"), counted from the export's online-level
-- column. NULL = not known: a cell stored before this count was kept shows "—", not 0 %.
ALTER TABLE dossier_stats ADD COLUMN online BIGINT;
