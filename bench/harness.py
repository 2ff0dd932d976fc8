"""Running the real app for browser tests and benchmarks: `streamlit run` on loopback, and Chromium.

Only 127.0.0.1 is ever used; Chromium is Debian's (`/usr/bin/chromium`), never a downloaded one.
"""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port():
    """A free loopback port: the first free one of $AESTUDIO_PORTS (a range such as 8610-8619) when set, else any."""
    first, _, last = os.environ.get("AESTUDIO_PORTS", "0").partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in AESTUDIO_PORTS={os.environ['AESTUDIO_PORTS']}")


@contextlib.contextmanager
def running_app(log_path, start_timeout=90, root=ROOT, **environment):
    """`streamlit run app.py` of the checkout at `root` on a free loopback port; yields `(url, process)` once it
    answers."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true"]
    with open(log_path, "w") as output:
        process = subprocess.Popen(command, cwd=root, env={**os.environ, **environment}, stdout=output,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + start_timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                pass
            if time.time() > deadline or process.poll() is not None:
                raise RuntimeError(f"streamlit did not start:\n{Path(log_path).read_text()[-3000:]}")
            time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def memory_mb(pid):
    """Current and peak resident memory of a process in MB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


TICKS = os.sysconf("SC_CLK_TCK")


def stat_fields(path):
    """A /proc process or thread folder's `stat`: its name, and the fields after it (from the state on)."""
    stat = (path / "stat").read_text()
    return stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()


def thread_seconds(pid):
    """CPU seconds of each live thread of `pid` so far, by thread id."""
    used = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat_fields(task)[1]
            used[task.name] = (int(fields[11]) + int(fields[12])) / TICKS
    return used


def cpu_seconds(server_pid):
    """CPU seconds used so far, by kind: the server (its threads of lower priority apart), Chromium, the rest.

    Read from /proc. A process's own time counts its ended threads too (a page's script runs on a thread
    that ends with the run), and its children's once they are reaped (a closed tab's renderer), so
    differences of two readings say where the CPU went while something ran. The server's big-decode
    threads (nice 10 by default, above the server's own) are told apart by their nice value.
    """
    used = {}

    def add(kind, seconds):
        used[kind] = used.get(kind, 0.0) + seconds

    for process in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            name, fields = stat_fields(process)
            own, reaped = (int(fields[11]) + int(fields[12])) / TICKS, (int(fields[13]) + int(fields[14])) / TICKS
            if int(process.name) == server_pid:
                niced = 0.0
                for task in (process / "task").glob("*"):
                    with contextlib.suppress(OSError, ValueError, IndexError):
                        _, thread = stat_fields(task)
                        if int(thread[16]) > int(fields[16]):  # below the server's own priority
                            seconds = (int(thread[11]) + int(thread[12])) / TICKS
                            add(f"server's threads at nice {thread[16]}", seconds)
                            niced += seconds
                add("server, the rest", own + reaped - niced)
            else:
                add("chromium" if "chrom" in name else "other", own + reaped)
    return used


def cpu_used_between(before, after):
    """`cpu_seconds` readings' differences, as "kind 1.2 s" text, busiest first."""
    spent = {kind: after.get(kind, 0.0) - before.get(kind, 0.0) for kind in after}
    return ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in sorted(spent.items(), key=lambda item: -item[1])
                     if seconds >= 0.05)


IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def print_table(header, rows):
    """Print `rows` (sequences of strings) under `header` as a Markdown table."""
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
