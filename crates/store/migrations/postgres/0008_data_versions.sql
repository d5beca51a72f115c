-- The data version of each group of tables (parindex_store::version::Tables; grp is the group's
-- bit: 2 users, 3 audit_log, 4 notifications, 5 the plan's document, 6 the plan's work, 7 the
-- rest), one added inside every write transaction that touches the group, so that every process
-- reading the database (the server, a parindex command beside it, a second server) sees when
-- another has written and reads again only what that write touched. Sessions (0) and sign-in
-- throttling (1) are not counted here: they are written on many requests. Neither backed up nor
-- emptied by a restore (a restore adds one to every group, as any write does).
CREATE TABLE data_versions (
    grp BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO data_versions (grp, version) VALUES (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0);
