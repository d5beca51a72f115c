"""The DuckDB side of bench/dossiers.sh: the SQL equivalent of
`parindex dossiers stats FILE --by agency,month --csv` on the same number of threads.

Usage: python3 bench/dossiers_duckdb.py FILE AS_OF THREADS [OUT.csv]
"""
import sys
import time

import duckdb

path, as_of, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = sys.argv[4] if len(sys.argv) > 4 else None

SQL = f"""
WITH d AS (
  SELECT agency,
         CAST(timezone('Asia/Ho_Chi_Minh', received_at) AS DATE) AS rday,
         CAST(timezone('Asia/Ho_Chi_Minh', due_at) AS DATE) AS dday,
         CAST(timezone('Asia/Ho_Chi_Minh', closed_at) AS DATE) AS cday
  FROM read_csv('{path}', header = true, delim = ',', quote = '"', columns = {{
    'code': 'VARCHAR', 'agency': 'VARCHAR', 'procedure': 'VARCHAR', 'level': 'VARCHAR',
    'online_level': 'INTEGER', 'received_at': 'TIMESTAMPTZ', 'due_at': 'TIMESTAMPTZ',
    'result_at': 'TIMESTAMPTZ', 'closed_at': 'TIMESTAMPTZ', 'status': 'VARCHAR'}})
)
SELECT agency,
       strftime(rday, '%Y-%m') AS month,
       count(*) AS received,
       count(cday) AS resolved,
       count(*) FILTER (WHERE cday < dday) AS early,
       count(*) FILTER (WHERE cday = dday) AS on_time,
       count(*) FILTER (WHERE cday > dday) AS late,
       count(*) FILTER (WHERE cday IS NULL) AS pending,
       count(*) FILTER (WHERE cday IS NULL AND dday < DATE '{as_of}') AS pending_overdue
FROM d
GROUP BY ALL
ORDER BY agency, month
"""

con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute("SET TimeZone = 'UTC'")
start = time.perf_counter()
rows = con.execute(SQL).fetchall()
elapsed = time.perf_counter() - start
if out:
    with open(out, "w") as f:
        f.write("agency,month,received,resolved,early,on_time,late,pending,pending_overdue\n")
        for r in rows:
            f.write(",".join(str(x) for x in r) + "\n")
print(f"{elapsed:.3f}")
