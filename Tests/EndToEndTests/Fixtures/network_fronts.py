"""Loopback network pieces for kapsoctl's corporate-network tests, on Python's standard library.

    network_fronts.py tls CERT KEY TARGET_PORT   a TLS front: terminates TLS with CERT/KEY and
                                                 forwards the plain bytes to 127.0.0.1:TARGET_PORT
    network_fronts.py proxy                       an HTTP proxy that opens CONNECT tunnels and
                                                 logs each target ("CONNECT host:port") on stdout

Each prints "listening on PORT" first, then serves until killed. Connections counted by the TLS
front are logged as "accepted N".
"""
import socket
import ssl
import sys
import threading


def pump(source, sink):
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def tunnel(a, b):
    threading.Thread(target=pump, args=(a, b), daemon=True).start()
    threading.Thread(target=pump, args=(b, a), daemon=True).start()


def listen():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    print(f"listening on {server.getsockname()[1]}", flush=True)
    return server


def tls_front(cert, key, target):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = listen()
    accepted = 0
    while True:
        client, _ = server.accept()
        accepted += 1
        print(f"accepted {accepted}", flush=True)

        def serve(client=client):
            try:
                secure = context.wrap_socket(client, server_side=True)
            except (ssl.SSLError, OSError):
                client.close()
                return
            upstream = socket.create_connection(("127.0.0.1", target))
            tunnel(secure, upstream)

        threading.Thread(target=serve, daemon=True).start()


def proxy():
    server = listen()
    while True:
        client, _ = server.accept()

        def serve(client=client):
            head = b""
            while b"\r\n\r\n" not in head:
                data = client.recv(4096)
                if not data:
                    client.close()
                    return
                head += data
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            parts = line.split(" ")
            if len(parts) < 2 or parts[0] != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                client.close()
                return
            print(f"CONNECT {parts[1]}", flush=True)
            host, port = parts[1].rsplit(":", 1)
            try:
                upstream = socket.create_connection((host, int(port)))
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                client.close()
                return
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            tunnel(client, upstream)

        threading.Thread(target=serve, daemon=True).start()


if __name__ == "__main__":
    if sys.argv[1] == "tls":
        tls_front(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        proxy()
