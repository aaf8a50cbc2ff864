#!/usr/bin/env python3
"""Current ClickHouse (chDB, ClickHouse's engine in-process) behind ClickHouse's HTTP interface,
for tests: `huntbench ingest` and `scan --clickhouse` talk to it exactly as to a server.

    tests/clickhouse/chdb_server.py PORT_FILE [DATA_DIR]

Listens on 127.0.0.1 on a free port, writes the port to PORT_FILE once it accepts
connections, and serves until it gets SIGTERM or its standard input closes (so it dies with
the test that started it). Each request runs in one chDB session, one at a time:
the SQL is the `query` URL parameter followed by the body (an INSERT's rows), or the body;
every other URL parameter except the ones that only make sense for a server
(wait_end_of_query, insert_distributed_sync, user, password) is applied with SET first.
Answers: 200 and the result, or 500 and the exception text (`Code: N. DB::Exception: ...`).
"""
import os
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

try:
    import chdb
    from chdb import session as chs
except ImportError as e:  # the test reports this output and fails
    sys.stderr.write(f"chdb is not installed (pip install chdb): {e}\n")
    sys.exit(3)

SERVER_ONLY = {"wait_end_of_query", "insert_distributed_sync", "user", "password", "query"}
LOCK = threading.Lock()
DATA = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="huntbench-chdb-")
SESSION = chs.Session(DATA)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = body if isinstance(body, bytes) else body.encode("utf-8", "replace")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def run(self, body):
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        query = dict(params).get("query")
        sql = body.decode("utf-8", "replace")
        if query is not None:
            sql = query + "\n" + sql
        if url.path == "/ping":
            return self.answer(200, "Ok.\n")
        with LOCK:
            try:
                for k, v in params:
                    if k not in SERVER_ONLY:
                        SESSION.query(f"SET {k} = '{v}'" if not v.isdigit() else f"SET {k} = {v}")
                res = SESSION.query(sql, "TabSeparated")
                out = res.bytes() if hasattr(res, "bytes") else str(res).encode()
            except Exception as e:  # chDB raises RuntimeError("Code: N. DB::Exception: ...")
                return self.answer(500, str(e))
        self.answer(200, out)

    def do_GET(self):
        self.run(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.run(self.rfile.read(n) if n else b"")


def main():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    tmp = sys.argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, sys.argv[1])

    def watch_stdin():
        try:
            sys.stdin.read()
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
