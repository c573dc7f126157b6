"""A TCP forwarder in a process of its own, to stand between the app and PostgreSQL or Redis in fault tests.

    with Forwarder(("127.0.0.1", 5432)) as forwarder:   # listens on 127.0.0.1:forwarder.port
        ...                                             # point the app at forwarder.port
        forwarder.pause()    # SIGSTOP: a hung server. The kernel still completes handshakes (up to the
                             # listen backlog) and acknowledges data, so the client's sockets look healthy
                             # and simply never get an answer: TCP keepalives and tcp_user_timeout never fire.
        forwarder.resume()   # SIGCONT: everything it buffered goes through, as after a long stall.
        forwarder.kill()     # SIGKILL: a crashed server. Open connections are closed by the kernel, new
                             # ones refused at once.
        forwarder.start()    # after kill(): the server is back, on the same port.

Being a process (not a thread of the test) is the point: pausing it stops exactly what a stopped server
stops, and nothing of the test. Run as a script it forwards until killed:

    python tests/forwarders.py UPSTREAM_HOST UPSTREAM_PORT [LISTEN_PORT]

and prints `listening PORT` once ready, then one `accepted` line per connection, flushed, so the owner
can count how many connections the app holds open through it (`connections_accepted()`).
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

LISTEN_BACKLOG = 64


# --- The forwarder itself (runs in its own process) ---------------------------------------------------


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


def serve(upstream: tuple[str, int], listen_port: int = 0) -> None:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", listen_port))
    listener.listen(LISTEN_BACKLOG)
    print(f"listening {listener.getsockname()[1]}", flush=True)
    while True:
        client, _address = listener.accept()
        try:
            server = socket.create_connection(upstream, timeout=5)
        except OSError:
            client.close()
            continue
        server.settimeout(None)
        print("accepted", flush=True)
        for source, target in ((client, server), (server, client)):
            threading.Thread(target=_pump, args=(source, target), daemon=True).start()


# --- Its controller (used by the tests) -------------------------------------------------------------------


class Forwarder:
    """Starts `tests/forwarders.py` as a subprocess forwarding 127.0.0.1:`port` to `upstream`."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.host = "127.0.0.1"
        self.port = 0  # chosen by the first start, kept by later ones
        self.process: subprocess.Popen | None = None
        self._log = tempfile.NamedTemporaryFile("w+", prefix="forwarder-", suffix=".log")  # noqa: SIM115

    def start(self) -> "Forwarder":
        command = [sys.executable, str(Path(__file__).resolve()), *map(str, self.upstream), str(self.port)]
        self._log.seek(0)
        self._log.truncate()
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while not (first_line := Path(self._log.name).read_text().partition("\n")[0]).startswith("listening"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the forwarder did not start: {Path(self._log.name).read_text()}")
            time.sleep(0.02)
        self.port = int(first_line.split()[1])
        return self

    def connections_accepted(self) -> int:
        """Connections forwarded since the last start."""
        return Path(self._log.name).read_text().count("\naccepted")

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)
        self._wait_for_state(stopped=True)  # the signal is delivered asynchronously

    def resume(self) -> None:
        if not self.is_running():
            return
        self.process.send_signal(signal.SIGCONT)
        self._wait_for_state(stopped=False)

    def _wait_for_state(self, *, stopped: bool) -> None:
        stat = Path(f"/proc/{self.process.pid}/stat")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            # The state letter follows the command name in parentheses: T when stopped by a signal.
            if (stat.read_text().rpartition(")")[2].split()[0] == "T") == stopped:
                return
            time.sleep(0.005)
        raise RuntimeError(f"the forwarder did not {'stop' if stopped else 'continue'}")

    def kill(self) -> None:
        if self.is_running():
            self.process.kill()
            self.process.wait(timeout=10)

    def close(self) -> None:
        self.kill()
        self._log.close()

    def __enter__(self) -> "Forwarder":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()


if __name__ == "__main__":
    upstream_host, upstream_port, *rest = sys.argv[1:]
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    serve((upstream_host, int(upstream_port)), int(rest[0]) if rest else 0)
