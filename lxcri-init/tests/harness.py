#!/usr/bin/env python3
"""Drive the static lxcri-init through its protocol without liblxc (root only).

Usage: harness.py INIT_BINARY
Simulates `lxcri create`/`start`: a private dir with init.json, the fifos and a listening
socket, bind-mounted read-only on /.lxcri in a private mount namespace (unshare -m).
"""
import array, json, os, socket, subprocess, sys, tempfile

INIT = sys.argv[1]

def process(args, **extra):
    p = {"cwd": "/", "user": {"uid": 1000, "gid": 1000}, "args": args,
         "env": ["PATH=/usr/bin:/bin"]}
    p.update(extra)
    return p

def run_case(name, config, expect_code, expect_exec, expect_out=None, terminal=False):
    if ONLY and ONLY not in name:
        return True
    d = tempfile.mkdtemp(prefix="lxcri-init-test-")
    with open(os.path.join(d, "init.json"), "w") as f:
        json.dump(config, f)
    os.mkfifo(os.path.join(d, "start"))
    os.mkfifo(os.path.join(d, "exec"))
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    srv.bind(os.path.join(d, "init.sock"))
    srv.listen(1)
    os.makedirs("/.lxcri", exist_ok=True)
    out_r, out_w = os.pipe()
    child = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private"] + (["strace", "-f", "-o", "/tmp/init.strace"] if os.environ.get("STRACE") else []) + ["sh", "-c",
         'mount --bind "$0" /.lxcri && mount -o remount,bind,ro /.lxcri && exec "$1"', d, INIT],
        stdout=out_w, stderr=out_w, stdin=subprocess.DEVNULL)
    os.close(out_w)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(65536, socket.CMSG_SPACE(4 * fds.itemsize) + socket.CMSG_SPACE(12))
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - (len(data) % fds.itemsize)])
    message = json.loads(msg)
    exec_text = None
    if message == "Ready":
        assert (len(fds) == 1) == terminal, (name, list(fds))
        exec_fd = os.open(os.path.join(d, "exec"), os.O_RDONLY | os.O_NONBLOCK)
        start_fd = os.open(os.path.join(d, "start"), os.O_WRONLY | os.O_NONBLOCK)
        os.write(start_fd, b"x")
        os.close(start_fd)
        # A fifo nobody has opened for writing yet reads as EOF but does not poll as POLLHUP:
        # poll first (as `lxcri start` must), then read to EOF.
        import select
        chunks = []
        while True:
            select.poll().register(exec_fd, select.POLLIN)
            pl = select.poll()
            pl.register(exec_fd, select.POLLIN)
            pl.poll()
            try:
                b = os.read(exec_fd, 4096)
            except BlockingIOError:
                continue
            if not b:
                break
            chunks.append(b)
        exec_text = b"".join(chunks).decode()
    out = b""
    if terminal and len(fds) == 1:
        while True:
            try:
                b = os.read(fds[0], 4096)
            except OSError:
                break
            if not b:
                break
            out += b
    code = child.wait()
    with os.fdopen(out_r, "rb") as f:
        out += f.read()
    out = out.decode()
    ok = code == expect_code and (expect_exec is None or expect_exec(exec_text, message)) \
        and (expect_out is None or expect_out(out))
    print(("ok  " if ok else "FAIL"), name, "code", code, "message", message,
          "exec", repr(exec_text), "out", repr(out))
    subprocess.run(["rm", "-rf", d])
    return ok

ONLY = os.environ.get('ONLY')
results = [
    run_case("runs the process, hides /.lxcri",
             {"process": process(["sh", "-c", "echo hello; id -u; ls -A /.lxcri; tty || true"])},
             0, lambda t, m: t == "",
             lambda o: o.splitlines() == ["hello", "1000", "not a tty"]),
    run_case("missing binary",
             {"process": process(["nonexistent-binary"])},
             127, lambda t, m: t == 'exec: "nonexistent-binary": executable file not found in $PATH'),
    run_case("not executable",
             {"process": process(["/etc/hostname"])},
             126, lambda t, m: t.startswith('exec "/etc/hostname"')),
    run_case("bad init.json", {"nope": 1}, 1,
             lambda t, m: isinstance(m, dict) and "init.json" in m["Error"]),
    run_case("failing startContainer hook",
             {"process": process(["true"]),
              "start_container_hooks": [{"path": "/bin/sh", "args": ["sh", "-c", "cat >&2; exit 3"]}],
              "state_json": "{\"id\":\"x\"}"},
             1, lambda t, m: "exit status: 3" in t and '{"id":"x"}' in t),
    run_case("hook timeout",
             {"process": process(["true"]),
              "start_container_hooks": [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]},
             1, lambda t, m: "timed out" in t),
    run_case("terminal",
             {"process": process(["sh", "-c", "tty; stty size"], terminal=True,
                                 consoleSize={"height": 30, "width": 100})},
             0, lambda t, m: t == "",
             terminal=True, expect_out=lambda o: o.replace("\r", "").splitlines() == ["/dev/pts/0", "30 100"] or
                       ("/dev/pts/" in o and "30 100" in o)),
]
os.rmdir("/.lxcri") if not os.listdir("/.lxcri") else None
sys.exit(0 if all(results) else 1)
