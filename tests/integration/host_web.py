"""An HTTP server on the host for guests to fetch from (QEMU's user network shows the host to the guest
as 10.0.2.2): every GET answers "host page for PATH\\n". Importable helper, not a test module."""
from __future__ import annotations

import http.server
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the http.server API)
        body = f"host page for {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def host_web_server() -> Iterator[int]:
    """Serve pages on all the host's addresses while the block runs; yields the port."""
    web = socketserver.TCPServer(("0.0.0.0", 0), Page)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    try:
        yield web.server_address[1]
    finally:
        web.shutdown()
        web.server_close()
