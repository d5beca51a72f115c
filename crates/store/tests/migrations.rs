//! The two backends' migrations are hand-written (their DDL differs: `INTEGER PRIMARY KEY
//! AUTOINCREMENT` against `BIGSERIAL`), so this test holds them to one description: the same
//! migration files, and — applied to a fresh database of each backend — the same tables, columns
//! (name, type family, nullability, primary key), foreign keys and named indexes. A column added
//! on one backend only, a forgotten `NOT NULL` or index fails here, naming the table and column.
//! The PostgreSQL half needs `TEST_DATABASE_URL` (otherwise only the file lists are compared).

use parindex_store::testing::TestDb;
use sqlx::{Connection, Row};
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// One column as both backends can state it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Column {
    name: String,
    family: &'static str,
    not_null: bool,
    primary_key: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    columns: Vec<Column>,
    /// (column, referenced table, referenced column)
    foreign_keys: BTreeSet<(String, String, String)>,
    /// Indexes created by `CREATE [UNIQUE] INDEX name`: (name, unique)
    indexes: BTreeSet<(String, bool)>,
}

type Schema = BTreeMap<String, Table>;

/// The type family of a declared type: what a value of it can hold, as the queries see it.
fn family(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real") || t.contains("double") || t.contains("float") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else if t.contains("bool") {
        "boolean"
    } else {
        "other"
    }
}

fn migration_files(backend: &str) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/").to_string() + backend;
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn sqlite_schema(url: &str) -> Schema {
    let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    let mut schema = Schema::new();
    for t in tables {
        let mut table = Table::default();
        for r in sqlx::query("SELECT name, type, \"notnull\", pk FROM pragma_table_info(?)")
            .bind(&t)
            .fetch_all(&mut c)
            .await
            .unwrap()
        {
            let pk: i64 = r.get(3);
            let not_null: i64 = r.get(2);
            table.columns.push(Column {
                name: r.get(0),
                family: family(r.get::<&str, _>(1)),
                // A primary key column is never null on either backend.
                not_null: not_null != 0 || pk != 0,
                primary_key: pk != 0,
            });
        }
        for r in sqlx::query("SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?)")
            .bind(&t)
            .fetch_all(&mut c)
            .await
            .unwrap()
        {
            table.foreign_keys.insert((r.get(0), r.get(1), r.get(2)));
        }
        for r in sqlx::query("SELECT name, \"unique\" FROM pragma_index_list(?) WHERE origin = 'c'")
            .bind(&t)
            .fetch_all(&mut c)
            .await
            .unwrap()
        {
            let unique: i64 = r.get(1);
            table.indexes.insert((r.get(0), unique != 0));
        }
        table.columns.sort();
        schema.insert(t, table);
    }
    c.close().await.unwrap();
    schema
}

async fn postgres_schema(url: &str) -> Schema {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    let mut schema = Schema::new();
    let columns = sqlx::query(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text, \
                EXISTS (SELECT 1 FROM information_schema.table_constraints tc \
                        JOIN information_schema.key_column_usage k \
                          ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name \
                        WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public' \
                          AND tc.table_name = c.table_name AND k.column_name = c.column_name) \
         FROM information_schema.columns c \
         WHERE c.table_schema = 'public' AND c.table_name NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in columns {
        let table: String = r.get(0);
        let nullable: String = r.get(3);
        let pk: bool = r.get(4);
        schema.entry(table).or_default().columns.push(Column {
            name: r.get(1),
            family: family(r.get::<&str, _>(2)),
            not_null: nullable == "NO",
            primary_key: pk,
        });
    }
    let fks = sqlx::query(
        "SELECT cl.relname::text, a.attname::text, rt.relname::text, ra.attname::text \
         FROM pg_constraint co \
         JOIN pg_class cl ON cl.oid = co.conrelid \
         JOIN pg_class rt ON rt.oid = co.confrelid \
         JOIN pg_namespace n ON n.oid = cl.relnamespace AND n.nspname = 'public' \
         CROSS JOIN LATERAL unnest(co.conkey, co.confkey) AS k(col, rcol) \
         JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = k.col \
         JOIN pg_attribute ra ON ra.attrelid = co.confrelid AND ra.attnum = k.rcol \
         WHERE co.contype = 'f'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in fks {
        let table: String = r.get(0);
        schema
            .entry(table)
            .or_default()
            .foreign_keys
            .insert((r.get(1), r.get(2), r.get(3)));
    }
    // Indexes that do not back a constraint (primary key, UNIQUE) are the CREATE INDEX ones.
    let indexes = sqlx::query(
        "SELECT t.relname::text, i.relname::text, x.indisunique \
         FROM pg_index x \
         JOIN pg_class i ON i.oid = x.indexrelid \
         JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         WHERE NOT EXISTS (SELECT 1 FROM pg_constraint co WHERE co.conindid = x.indexrelid) \
           AND t.relname NOT LIKE '\\_sqlx%'",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    for r in indexes {
        let table: String = r.get(0);
        schema
            .entry(table)
            .or_default()
            .indexes
            .insert((r.get(1), r.get(2)));
    }
    for t in schema.values_mut() {
        t.columns.sort();
    }
    c.close().await.unwrap();
    schema
}

/// Every difference, one line each, naming the table and what differs.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    let names: BTreeSet<&String> = sqlite.keys().chain(postgres.keys()).collect();
    for name in names {
        let (Some(s), Some(p)) = (sqlite.get(name), postgres.get(name)) else {
            let only = if sqlite.contains_key(name) {
                "SQLite"
            } else {
                "PostgreSQL"
            };
            out.push(format!("table {name}: only on {only}"));
            continue;
        };
        let cols = |t: &Table| -> BTreeMap<String, Column> {
            t.columns
                .iter()
                .map(|c| (c.name.clone(), c.clone()))
                .collect()
        };
        let (sc, pc) = (cols(s), cols(p));
        for col in sc.keys().chain(pc.keys()).collect::<BTreeSet<_>>() {
            match (sc.get(col), pc.get(col)) {
                (Some(a), Some(b)) if a != b => {
                    out.push(format!("{name}.{col}: SQLite {a:?}, PostgreSQL {b:?}"))
                }
                (Some(_), None) => out.push(format!("{name}.{col}: only on SQLite")),
                (None, Some(_)) => out.push(format!("{name}.{col}: only on PostgreSQL")),
                _ => {}
            }
        }
        if s.foreign_keys != p.foreign_keys {
            out.push(format!(
                "{name}: foreign keys differ: SQLite {:?}, PostgreSQL {:?}",
                s.foreign_keys, p.foreign_keys
            ));
        }
        if s.indexes != p.indexes {
            out.push(format!(
                "{name}: indexes differ: SQLite {:?}, PostgreSQL {:?}",
                s.indexes, p.indexes
            ));
        }
    }
    out
}

#[test]
fn both_backends_have_the_same_migration_files() {
    let (s, p) = (migration_files("sqlite"), migration_files("postgres"));
    assert!(!s.is_empty());
    assert_eq!(
        s, p,
        "migrations/sqlite and migrations/postgres must pair up"
    );
}

#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let sqlite = TestDb::sqlite().await.unwrap();
    let s = sqlite_schema(&sqlite.url()).await;
    sqlite.cleanup().await;
    assert!(s.len() > 20, "the SQLite schema was read: {:?}", s.keys());
    assert!(
        s.values().any(|t| !t.foreign_keys.is_empty()) && s.values().any(|t| !t.indexes.is_empty()),
        "foreign keys and indexes were read"
    );
    let Some(pg) = TestDb::postgres().await.unwrap() else {
        eprintln!("PostgreSQL: skipped (TEST_DATABASE_URL is not set)");
        return;
    };
    let p = postgres_schema(&pg.url()).await;
    pg.cleanup().await;
    let diff = differences(&s, &p);
    assert!(
        diff.is_empty(),
        "the backends' schemas differ:\n{}",
        diff.join("\n")
    );
}

#[test]
fn a_difference_is_named() {
    let col = |name: &str, not_null| Column {
        name: name.into(),
        family: "text",
        not_null,
        primary_key: false,
    };
    let mut a = Schema::new();
    a.insert(
        "units".into(),
        Table {
            columns: vec![col("slug", true), col("name", true)],
            ..Table::default()
        },
    );
    let mut b = Schema::new();
    b.insert(
        "units".into(),
        Table {
            columns: vec![col("slug", true), col("name", false)],
            ..Table::default()
        },
    );
    b.insert("extra".into(), Table::default());
    let d = differences(&a, &b);
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d[0].starts_with("table extra: only on PostgreSQL"));
    assert!(d[1].starts_with("units.name: "));
}
