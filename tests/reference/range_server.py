#!/usr/bin/python3
"""A loopback HTTP server for the download tests (127.0.0.1 only).

usage: range_server.py ROOT PORTFILE

Serves files under ROOT and writes the chosen port to PORTFILE once listening. Paths:
  /file/NAME     normal; honours "Range: bytes=N-" with 206 + Content-Range, 416 past the end
  /drop/NAME     a request without Range gets the headers for the whole file, half the body,
                 then the connection is closed (an interrupted transfer); with Range: normal
  /norange/NAME  ignores Range and always answers 200 with the whole file
  /redirect/NAME 302 to /file/NAME
  anything else  404
Every request is logged to ROOT/requests.log as "METHOD PATH RANGE".
"""
import http.server
import os
import re
import socketserver
import sys

ROOT = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        rng = self.headers.get("Range", "")
        with open(os.path.join(ROOT, "requests.log"), "a") as log:
            log.write(f"GET {self.path} {rng}\n")
        m = re.fullmatch(r"/(file|drop|norange|redirect)/([A-Za-z0-9._-]+)", self.path)
        path = m and os.path.join(ROOT, m.group(2))
        if not m or not os.path.isfile(path):
            body = b"not found\n"
            self.send_response(404)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        mode = m.group(1)
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "/file/" + m.group(2))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data = open(path, "rb").read()
        start = 0
        r = re.fullmatch(r"bytes=(\d+)-", rng)
        if r and mode != "norange":
            start = int(r.group(1))
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        body = data[start:]
        if mode == "drop" and not r:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # clients hanging up mid-transfer are part of the tests


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
