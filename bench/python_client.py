#!/usr/bin/env python3
"""A plain Sunsky product sync, as a merchant would write it with the standard library only.

The yardstick scripts/bench measures commerce-syncd against: http.client with one keep-alive
connection, json, sqlite3 (WAL, synchronous=NORMAL, one transaction per page), the documented
T0 loop of product!search.do (shared/platforms/sunsky.md section 6) and the Sunsky signature
(section 3). Each page's rows are upserted by itemNo and the watermark saved with them.

    python_client.py --url http://127.0.0.1:PORT --key K --secret S --db PATH [--page-size 100]

Prints one line of JSON: {"records": N, "requests": R}.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import sqlite3
import sys
import urllib.parse

INITIAL_T0 = "01/01/2000 00:00:00"
TIME_FORMAT = "%m/%d/%Y %H:%M:%S"


def sign(params, secret):
    values = "".join(params[name] for name in sorted(params) if name != "signature")
    return hashlib.md5((values + "@" + secret).encode("utf-8")).hexdigest()


class Sunsky:
    def __init__(self, url, key, secret):
        parsed = urllib.parse.urlsplit(url)
        self.path_prefix = parsed.path.rstrip("/")
        self.connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
        self.key = key
        self.secret = secret
        self.requests = 0

    def call(self, method, params):
        sent = {name: value for name, value in params.items() if value.strip()}
        sent["key"] = self.key
        sent["signature"] = sign(sent, self.secret)
        body = urllib.parse.urlencode(sent)
        self.connection.request(
            "POST",
            self.path_prefix + "/openapi/" + method + ".do",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Accept": "application/json"})
        response = self.connection.getresponse()
        payload = response.read()
        self.requests += 1
        if response.status != 200:
            raise RuntimeError("HTTP %d from %s: %r" % (response.status, method, payload[:200]))
        envelope = json.loads(payload)
        if envelope.get("result") != "success":
            raise RuntimeError("%s failed: %r" % (method, envelope.get("messages")))
        return envelope["data"]


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = NORMAL")
    db.execute("""CREATE TABLE IF NOT EXISTS products (
        item_no TEXT PRIMARY KEY, group_item_no TEXT, name TEXT, price TEXT, stock INTEGER,
        status INTEGER, gmt_modified TEXT, raw_json TEXT NOT NULL)""")
    db.execute("CREATE TABLE IF NOT EXISTS watermark (id INTEGER PRIMARY KEY CHECK (id = 1), t0 TEXT)")
    return db


def load_t0(db):
    row = db.execute("SELECT t0 FROM watermark WHERE id = 1").fetchone()
    return row[0] if row else INITIAL_T0


def sync(api, db, page_size):
    t0 = load_t0(db)
    page = 1
    records = 0
    while True:
        data = api.call("product!search", {"gmtModifiedStart": t0, "page": str(page),
                                           "pageSize": str(page_size)})
        rows = data.get("result") or []
        if not rows:
            break
        newest = max(datetime.datetime.strptime(row["gmtModified"], TIME_FORMAT) for row in rows)
        t = max(newest, datetime.datetime.strptime(t0, TIME_FORMAT)).strftime(TIME_FORMAT)
        db.execute("BEGIN")
        db.executemany(
            """INSERT INTO products (item_no, group_item_no, name, price, stock, status,
                                     gmt_modified, raw_json)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (item_no) DO UPDATE SET group_item_no = excluded.group_item_no,
                 name = excluded.name, price = excluded.price, stock = excluded.stock,
                 status = excluded.status, gmt_modified = excluded.gmt_modified,
                 raw_json = excluded.raw_json""",
            [(row["itemNo"], row.get("groupItemNo"), row.get("name"), str(row.get("price")),
              row.get("stock"), row.get("status"), row["gmtModified"], json.dumps(row))
             for row in rows])
        db.execute("INSERT INTO watermark (id, t0) VALUES (1, ?) "
                   "ON CONFLICT (id) DO UPDATE SET t0 = excluded.t0", (t,))
        db.execute("COMMIT")
        records += len(rows)
        if t == t0:
            page += 1  # the whole page shares T0: move on within it
        else:
            t0 = t
            page = 1
        if page > data.get("pageCount", 0):
            break
    return records


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--forget-watermark", action="store_true",
                        help="delete the saved watermark first: a full re-read")
    args = parser.parse_args()
    db = open_db(args.db)
    if args.forget_watermark:
        db.execute("DELETE FROM watermark")
    api = Sunsky(args.url, args.key, args.secret)
    records = sync(api, db, args.page_size)
    db.close()
    json.dump({"records": records, "requests": api.requests}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
