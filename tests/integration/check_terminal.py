#!/usr/bin/env python3
"""autohost at a terminal: run with its stderr or stdout on a real pty (os.openpty).

On a terminal an error is a readable sentence, coloured unless NO_COLOR is set (and not
empty) or TERM is dumb; with --json, or when stderr is a pipe, it is the JSON line scripts
parse, byte for byte as before. The exit code is the same in every case.

Tables fit the terminal: with stdout on a pty of some width (or COLUMNS), no line is wider
and long cells end in "..."; piped, nothing is cut. A cell's newline never breaks a row.
"""
import fcntl
import json
import os
import struct
import termios
import pty
import subprocess
import sys
import tempfile

AUTOHOST = sys.argv[1]
PLUGIN_DIR = sys.argv[2]
RED = "\x1b[1;31merror:\x1b[0m "
failures = []


def env_for(home, extra):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
           "AUTOHOST_STATE_DIR": os.path.join(home, "state"),
           "XDG_CONFIG_DIRS": os.path.join(home, "no-system-config"), "TERM": "xterm"}
    env.update(extra)
    return {k: v for k, v in env.items() if v is not None}


def run(args, extra_env=None, tty=True):
    """(exit code, stdout, stderr) with stderr on a pty when `tty`, else on a pipe."""
    with tempfile.TemporaryDirectory() as home:
        env = env_for(home, extra_env or {})
        if not tty:
            p = subprocess.run([AUTOHOST] + args, env=env, capture_output=True, text=True,
                               stdin=subprocess.DEVNULL, timeout=60)
            return p.returncode, p.stdout, p.stderr
        master, slave = pty.openpty()
        p = subprocess.Popen([AUTOHOST] + args, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=slave)
        os.close(slave)
        err = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every writer of the pty has gone
                break
            if not chunk:
                break
            err += chunk
        out = p.stdout.read().decode()
        p.wait(timeout=60)
        os.close(master)
        return p.returncode, out, err.decode().replace("\r\n", "\n")


def check(what, ok, detail):
    if not ok:
        failures.append(f"{what}: {detail!r}")


def json_line(err):
    try:
        return json.loads(err.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


typo = ["stauts"]
sentence = "unknown command 'stauts'; did you mean 'status'? (see: autohost --help)"

code, out, err = run(typo)
check("tty: coloured sentence", code == 2 and out == "" and err == RED + sentence + "\n", err)

for no_colour in [{"NO_COLOR": "1"}, {"NO_COLOR": "yes"}, {"TERM": "dumb"}]:
    code, out, err = run(typo, no_colour)
    check(f"tty with {no_colour}: plain sentence", code == 2 and err == "error: " + sentence + "\n",
          err)

# no-color.org: an empty NO_COLOR does not turn colour off.
code, out, err = run(typo, {"NO_COLOR": ""})
check("tty with NO_COLOR='': coloured", err.startswith(RED), err)

expected_json = {"status": "usage", "code": "usage", "message": sentence}
for args in (["--json"] + typo, typo + ["--json"]):
    code, out, err = run(args)
    check(f"tty with {args}: JSON", code == 2 and json_line(err) == expected_json and
          "\x1b" not in err, err)

# Not a terminal: the JSON line, exactly as scripts have always read it, colour env or not.
code, out, err = run(typo, {"NO_COLOR": None}, tty=False)
check("pipe: JSON line", code == 2 and err == json.dumps(expected_json, separators=(",", ":"))
      + "\n", err)

# A failure that is not a usage error names its status and code in the sentence.
missing = ["--plugin-dir", PLUGIN_DIR, "invoke", "nosuch.post"]
code, out, err = run(missing)
check("tty: not found", code == 4 and out == "" and err.startswith(RED) and
      "no plugin named 'nosuch'" in err and "(not_found, code plugin_not_found)" in err, err)
code, out, err = run(missing, tty=False)
check("pipe: not found", code == 4 and json_line(err) is not None and
      json_line(err)["code"] == "plugin_not_found", err)

# --json still reaches a command's own JSON output (plugins --json prints an array).
code, out, err = run(["--json", "--plugin-dir", PLUGIN_DIR, "plugins"])
check("--json before the command: plugins prints JSON", code == 0 and out.startswith("["), out)



def run_table(home, args, columns=None, extra_env=None):
    """(exit code, stdout lines) with stdout on a pty `columns` wide, or a pipe when None."""
    env = env_for(home, extra_env or {})
    if columns is None:
        p = subprocess.run([AUTOHOST, "--plugin-dir", PLUGIN_DIR] + args, env=env,
                           capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        return p.returncode, p.stdout.splitlines()
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    p = subprocess.Popen([AUTOHOST, "--plugin-dir", PLUGIN_DIR] + args, env=env,
                         stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.DEVNULL)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: every writer of the pty has gone
            break
        if not chunk:
            break
        out += chunk
    p.wait(timeout=60)
    os.close(master)
    return p.returncode, out.decode().replace("\r\n", "\n").splitlines()


def too_wide(lines, width):
    return [line for line in lines if len(line) > width]


long_text = "morning " * 30 + "\nthe end"
with tempfile.TemporaryDirectory() as home:
    code, _ = run_table(home, ["schedule", "add", "threads.post", "--id", "daily", "--cron",
                               "0 9 * * *", "--tz", "Europe/Paris", "--input",
                               json.dumps({"text": long_text})])
    check("schedule add", code == 0, code)
    status = ["status", "--timeout", "5"]

    # Piped: every cell whole, and the row still one line.
    code, lines = run_table(home, status)
    rows = [line for line in lines if "threads.post" in line and "scheduled" in line]
    check("pipe: the status row is whole and one line", code == 0 and len(rows) == 1 and
          long_text.replace("\n", " ") in rows[0], lines)

    # (pty width, environment, width to fit, whether the long cell gets some room)
    cases = [(130, {}, 130, True), (200, {"COLUMNS": "120"}, 120, True),
             (125, {"COLUMNS": "not a number"}, 125, True), (80, {}, 80, False),
             (200, {"COLUMNS": "60"}, 60, False)]
    for width, env, fit, roomy in cases:
        code, lines = run_table(home, status, width, env)
        # The tables' lines: the report's first line ("now ...") is a sentence, not a row.
        table = [line for line in lines if not line.startswith("now ")]
        upcoming = [line for line in lines if line.startswith("20") and "scheduled" in line]
        check(f"pty {width} {env}: status fits {fit}, a row a line", code == 0 and
              not too_wide(table, fit) and len(upcoming) == 1 and
              "the end" not in "".join(lines) and "..." in upcoming[0], lines)
        if roomy:
            # The long cell is cut; the columns before it keep their whole cells.
            check(f"pty {width} {env}: text cut, ids and times whole", "daily" in upcoming[0]
                  and "+01:00" in upcoming[0] and "morning" in upcoming[0], upcoming)

    # schedule list on a narrow terminal: cut, never wrapped.
    code, lines = run_table(home, ["schedule", "list"], 40)
    check("pty 40: schedule list fits", code == 0 and len(lines) == 2 and
          not too_wide(lines, 40) and lines[1].startswith("daily"), lines)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("terminal errors and tables: all cases passed")
