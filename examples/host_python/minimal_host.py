#!/usr/bin/env python3
"""A third-party autohost host in Python (ctypes, standard library only), written from
api/autohost/abi.h alone: it loads a plugin, checks its ABI, reads the manifest, offers the
host services from Python (an in-memory secret store with compare-and-set) and calls actions.

    python3 minimal_host.py PLUGIN.so [ACTION [INPUT_JSON]] [--config JSON]

Used as a module by run_against_sandbox.py (the test the suite runs).
"""
import ctypes as C
import json
import re
import sys
import threading
import time

# --- abi.h, transcribed ------------------------------------------------------------------
ABI_MAJOR, ABI_MINOR = 1, 5
VERSION_ANY = 2**64 - 1
OK, INVALID_INPUT, NOT_FOUND, AUTH_REQUIRED, RETRY_LATER, RATE_LIMITED, CONFLICT, \
    CANCELLED, INTERNAL = range(9)
STATUS_NAMES = ["ok", "invalid_input", "not_found", "auth_required", "retry_later",
                "rate_limited", "conflict", "cancelled", "internal"]
LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR = range(4)


class Str(C.Structure):
    _fields_ = [("ptr", C.c_void_p), ("len", C.c_size_t)]


SinkWrite = C.CFUNCTYPE(None, C.c_void_p, C.c_void_p, C.c_size_t)


class Sink(C.Structure):
    _fields_ = [("ctx", C.c_void_p), ("write", SinkWrite)]


class SecretWrite(C.Structure):
    _fields_ = [("key", Str), ("value", Str), ("expected_version", C.c_uint64),
                ("status", C.c_int32), ("new_version", C.c_uint64)]


class SecretRead(C.Structure):
    _fields_ = [("key", Str), ("value", Sink), ("version", C.c_uint64), ("status", C.c_int32),
                ("reserved", C.c_uint32)]


LogFn = C.CFUNCTYPE(None, C.c_void_p, C.c_int, Str, Str)
GetFn = C.CFUNCTYPE(C.c_int, C.c_void_p, Str, C.POINTER(Sink), C.POINTER(C.c_uint64))
PutFn = C.CFUNCTYPE(C.c_int, C.c_void_p, Str, Str, C.c_uint64, C.POINTER(C.c_uint64),
                    C.POINTER(Sink))
ListFn = C.CFUNCTYPE(C.c_int, C.c_void_p, Str, C.POINTER(Sink))
DeleteFn = C.CFUNCTYPE(C.c_int, C.c_void_p, Str, C.c_uint64, C.POINTER(Sink))
NowFn = C.CFUNCTYPE(C.c_int64, C.c_void_p)
PutManyFn = C.CFUNCTYPE(C.c_int, C.c_void_p, C.POINTER(SecretWrite), C.c_size_t,
                        C.POINTER(Sink))
CountFn = C.CFUNCTYPE(None, C.c_void_p, Str, Str, C.c_uint64)
VersionFn = C.CFUNCTYPE(C.c_int, C.c_void_p, Str, C.POINTER(C.c_uint64), C.POINTER(Sink))
GetManyFn = C.CFUNCTYPE(C.c_int, C.c_void_p, C.POINTER(SecretRead), C.c_size_t,
                        C.POINTER(Sink))


class HostServices(C.Structure):
    _fields_ = [("struct_size", C.c_uint32), ("abi_minor", C.c_uint32), ("host", C.c_void_p),
                ("log", LogFn), ("secret_get", GetFn), ("secret_put", PutFn),
                ("secret_list", ListFn), ("secret_delete", DeleteFn), ("now_ms", NowFn),
                ("secret_put_many", PutManyFn), ("log_level", C.c_int32),
                ("reserved_1_2", C.c_uint32), ("count", CountFn),
                ("secret_version", VersionFn), ("secret_get_many", GetManyFn)]


class CallContext(C.Structure):
    _fields_ = [("struct_size", C.c_uint32), ("reserved", C.c_uint32),
                ("idempotency_key", Str), ("account", Str), ("deadline_ms", C.c_int64),
                ("is_cancelled", C.CFUNCTYPE(C.c_int, C.c_void_p)), ("cancel_ctx", C.c_void_p),
                ("progress", Sink)]


class PluginHead(C.Structure):  # what a host may read before it knows the table's size
    _fields_ = [("struct_size", C.c_uint32), ("abi_major", C.c_uint16),
                ("abi_minor", C.c_uint16)]


class Plugin(C.Structure):
    _fields_ = PluginHead._fields_ + [
        ("host_services_size", C.c_uint32), ("call_context_size", C.c_uint32),
        ("name", C.c_char_p), ("version", C.c_char_p), ("manifest_json", C.c_char_p),
        ("create", C.CFUNCTYPE(C.c_int, C.POINTER(HostServices), Str, C.POINTER(C.c_void_p),
                               C.POINTER(Sink))),
        ("invoke", C.CFUNCTYPE(C.c_int, C.c_void_p, Str, Str, C.POINTER(CallContext),
                               C.POINTER(Sink))),
        ("run_job", C.CFUNCTYPE(C.c_int, C.c_void_p, Str, C.POINTER(CallContext),
                                C.POINTER(Sink))),
        ("destroy", C.CFUNCTYPE(None, C.c_void_p))]


# --- helpers ------------------------------------------------------------------------------
def text(s):
    return C.string_at(s.ptr, s.len) if s.len else b""


class Buffer:
    """A sink the plugin writes into; thread-safe, since abi.h lets any plugin thread write."""

    def __init__(self):
        self.parts, self.lock = [], threading.Lock()
        self._write = SinkWrite(self._append)  # kept alive as long as the buffer
        self.sink = Sink(None, self._write)

    def _append(self, _ctx, data, size):
        with self.lock:
            self.parts.append(C.string_at(data, size))

    def value(self):
        return b"".join(self.parts).decode()


def borrowed(data):
    """A Str over `data` (bytes), which the caller keeps alive for the call."""
    return Str(C.cast(C.c_char_p(data), C.c_void_p), len(data)) if data else Str(None, 0)


def write(sink, data):
    if sink and sink.contents.write and data:
        sink.contents.write(sink.contents.ctx, C.cast(C.c_char_p(data), C.c_void_p), len(data))


def error_body(code, message):
    return json.dumps({"code": code, "message": message}).encode()


KEY = re.compile(rb"[A-Za-z0-9._:/@+-]{1,256}")


def guarded(fn):
    """Nothing may unwind into the plugin: a Python exception becomes AH_INTERNAL."""
    def call(*args):
        try:
            return fn(*args)
        except Exception as e:  # noqa: BLE001 - the seam must not see it
            print(f"host error in {fn.__name__}: {e!r}", file=sys.stderr)
            return INTERNAL
    return call


# --- the host services: an in-memory store with abi.h's version rules ---------------------
class Services:
    def __init__(self, plugin_name, log_level=LOG_INFO):
        self.plugin_name, self.log_level = plugin_name, log_level
        # abi.h: a name that cannot be a namespace gets none (no valid key starts with NUL).
        named = re.fullmatch(r"[A-Za-z0-9_-]{1,64}", plugin_name)
        self.namespace = (plugin_name + "/").encode() if named else b"\0"
        self.secrets = {}  # key -> [value or None (deleted, the counter stays), version]
        self.lock = threading.Lock()
        self.table = HostServices(
            C.sizeof(HostServices), ABI_MINOR, None, LogFn(self.log), GetFn(self.get),
            PutFn(self.put), ListFn(self.list), DeleteFn(self.delete), NowFn(self.now),
            PutManyFn(self.put_many), log_level, 0,
            CountFn(),  # NULL: this host keeps no counters
            VersionFn(self.probe_version), GetManyFn(self.get_many))

    def log(self, _host, level, message, fields):
        if level >= self.log_level:
            print(json.dumps({"level": ["debug", "info", "warn", "error"][level],
                              "source": self.plugin_name, "msg": text(message).decode(),
                              "fields": text(fields).decode()}), file=sys.stderr)

    def bad_key(self, key):
        """The error body for a key this plugin may not use, or None (abi.h: secret keys
        and namespaces; this host grants no other namespace)."""
        shown = key.decode(errors="replace")
        if not KEY.fullmatch(key) or key.startswith(b"/"):
            return error_body("invalid_key", f"secret key '{shown}' must be 1-256 bytes of "
                              "letters, digits and . _ : / @ + -, not starting with /")
        if not key.startswith(self.namespace):
            return error_body("outside_namespace", f"plugin '{self.plugin_name}' may not use "
                              f"secret '{shown}': its keys are under '{self.plugin_name}/'")
        return None

    def refused(self, key, sink):
        """INVALID_INPUT, with the reason written to `sink`, for a key bad_key refuses;
        None for a usable one."""
        if (why := self.bad_key(key)) is None:
            return None
        write(sink, why)
        return INVALID_INPUT

    def version(self, key):
        entry = self.secrets.get(key)
        return entry[1] if entry and entry[0] is not None else 0

    def put_locked(self, key, value, expected):
        """(status, version, error body) of one compare-and-set; the lock is held."""
        if (why := self.bad_key(key)) is not None:
            return INVALID_INPUT, 0, why
        current = self.version(key)
        if expected not in (VERSION_ANY, current):
            return CONFLICT, current, error_body(
                "conflict", f"secret '{key.decode()}' is at version {current}, not {expected}")
        entry = self.secrets.setdefault(key, [None, 0])
        entry[0], entry[1] = value, entry[1] + 1  # the counter survives deletes
        return OK, entry[1], b""

    @guarded
    def get(self, _host, key, sink, version):
        key = text(key)
        if (status := self.refused(key, sink)) is not None:
            return status
        with self.lock:
            entry = self.secrets.get(key)
            if not entry or entry[0] is None:
                return NOT_FOUND
            value, ver = entry
        write(sink, value)
        if version:
            version[0] = ver
        return OK

    @guarded
    def get_many(self, _host, reads, count, _error):
        # Each item is one get (abi.h allows it: every value reflects every write that
        # finished before the call began).
        for i in range(count):
            read = reads[i]  # shares the plugin's array
            version = (C.c_uint64 * 1)()
            read.status = self.get(None, read.key, C.pointer(read.value), version)
            read.version = version[0] if read.status == OK else 0
        return OK

    @guarded
    def probe_version(self, _host, key, version, error):
        key = text(key)
        if (status := self.refused(key, error)) is not None:
            return status
        with self.lock:
            current = self.version(key)
        if version:
            version[0] = current
        return OK if current else NOT_FOUND

    @guarded
    def put(self, _host, key, value, expected, new_version, error):
        with self.lock:
            status, ver, why = self.put_locked(text(key), text(value), expected)
        if new_version:
            new_version[0] = ver
        write(error, why)
        return status

    @guarded
    def put_many(self, _host, writes, count, _error):
        with self.lock:  # all or nothing: nothing here can fail half-way
            for i in range(count):
                w = writes[i]
                w.status, w.new_version, _ = self.put_locked(text(w.key), text(w.value),
                                                             w.expected_version)
        return OK

    @guarded
    def list(self, _host, prefix, out):
        prefix = text(prefix)
        with self.lock:
            items = [{"key": k.decode(), "version": v} for k, (value, v) in
                     sorted(self.secrets.items()) if value is not None and k.startswith(prefix)
                     and k.startswith(self.namespace)]
        write(out, json.dumps(items).encode())
        return OK

    @guarded
    def delete(self, _host, key, expected, error):
        key = text(key)
        if (status := self.refused(key, error)) is not None:
            return status
        with self.lock:
            current = self.version(key)
            if current == 0:
                return NOT_FOUND
            if expected not in (VERSION_ANY, current):
                write(error, error_body("conflict", f"secret '{key.decode()}' is at version "
                                        f"{current}, not {expected}"))
                return CONFLICT
            self.secrets[key] = [None, current + 1]
        return OK

    def now(self, _host):
        return int(time.time() * 1000)


# --- loading and calling ------------------------------------------------------------------
class PluginError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{STATUS_NAMES[status] if 0 <= status < 9 else status}: {body}")
        self.status, self.body = status, body


class LoadedPlugin:
    def __init__(self, path):
        self.lib = C.CDLL(path, mode=C.RTLD_LOCAL)  # kept until every instance is gone
        entry = self.lib.autohost_plugin_entry
        entry.restype = C.c_void_p
        address = entry()
        if not address:
            raise RuntimeError(f"{path}: the entry returned no table")
        head = PluginHead.from_address(address)
        if head.abi_major != ABI_MAJOR:
            raise RuntimeError(f"{path} speaks ABI {head.abi_major}.{head.abi_minor}, "
                               f"this host {ABI_MAJOR}.{ABI_MINOR}")
        if head.struct_size < C.sizeof(Plugin):  # every 1.x table is this size
            raise RuntimeError(f"{path}: the table is too small ({head.struct_size} bytes)")
        self.table = Plugin.from_address(address)
        self.name = self.table.name.decode()
        self.manifest = json.loads(self.table.manifest_json)

    def start(self, services, config=b""):
        out, error = C.c_void_p(), Buffer()
        status = self.table.create(C.byref(services.table), borrowed(config), C.byref(out),
                                   C.byref(error.sink))
        if status != OK:
            raise PluginError(status, error.value())
        return Instance(self, services, out)


class Instance:
    def __init__(self, plugin, services, handle):
        self.plugin, self.services, self.handle = plugin, services, handle  # services outlive it

    def invoke(self, action, input_json="{}", account="", idempotency_key="", deadline_ms=0):
        data = [a.encode() for a in (action, input_json, account, idempotency_key)]
        out = Buffer()
        ctx = CallContext(C.sizeof(CallContext), 0, borrowed(data[3]), borrowed(data[2]),
                          deadline_ms)  # is_cancelled NULL: never cancelled (abi.h allows it)
        status = self.plugin.table.invoke(self.handle, borrowed(data[0]), borrowed(data[1]),
                                          C.byref(ctx), C.byref(out.sink))
        if status != OK:
            raise PluginError(status, out.value())
        return json.loads(out.value())

    def close(self):
        if self.handle:
            self.plugin.table.destroy(self.handle)
            self.handle = None


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    config = argv[argv.index("--config") + 1] if "--config" in argv else ""
    args = [a for i, a in enumerate(argv) if a != "--config" and argv[i - 1] != "--config"]
    plugin = LoadedPlugin(args[1])
    print(f"{plugin.name} {plugin.table.version.decode()} (ABI {plugin.table.abi_major}."
          f"{plugin.table.abi_minor}): " + ", ".join(a["name"] for a in plugin.manifest["actions"]))
    services = Services(plugin.name)
    instance = plugin.start(services, config.encode())
    try:
        if len(args) > 2:
            print(json.dumps(instance.invoke(args[2], args[3] if len(args) > 3 else "{}")))
    except PluginError as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        instance.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
