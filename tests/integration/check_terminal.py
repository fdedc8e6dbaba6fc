#!/usr/bin/env python3
"""Errors at a terminal: autohost run with its stderr on a real pty (os.openpty).

On a terminal an error is a readable sentence, coloured unless NO_COLOR is set (and not
empty) or TERM is dumb; with --json, or when stderr is a pipe, it is the JSON line scripts
parse, byte for byte as before. The exit code is the same in every case.
"""
import json
import os
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

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("terminal errors: all cases passed")
