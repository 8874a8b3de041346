"""The long-lived Python worker of @lolpop/python-bridge: JSON-RPC 2.0 over stdio with binary buffers.

Started by PythonWorker (Node). It:
- moves the protocol to private file descriptors and points fd 0 at /dev/null and fd 1 at stderr, so
  stray prints (Python or native libraries) never corrupt the protocol stream;
- dies with its parent: PR_SET_PDEATHSIG on Linux, a watchdog on the parent pid, and end of input;
- reads requests on a reader thread and runs them one at a time on the main thread;
- cancels the running request when it receives {"method": "$/cancel", "params": {"id": ...}}
  (a KeyboardInterrupt is raised in the main thread, which native code that checks for signals,
  such as CatBoost's training loop, honours);
- answers errors with the exception type, message and traceback.

Handler modules are loaded with the "lolpop.load" method: every public function defined in the module
becomes the method "<name>.<function>" and is called as function(params, call).
"""

import os
import sys
import threading

_here = os.path.dirname(os.path.abspath(__file__))
if _here not in sys.path:
    sys.path.insert(0, _here)

import lolpop_bridge  # noqa: E402  (needs the path above)

CANCELLED = -32800
METHOD_NOT_FOUND = -32601
INVALID_REQUEST = -32600
SERVER_ERROR = -32000


class Cancelled(BaseException):
    """Raised in the main thread when the running request is cancelled."""


class StderrTee(object):
    """sys.stderr (and sys.stdout) of the worker: writes through to fd 2 and keeps the text written
    during the current call, so an error answer carries it (the pipe may deliver it later)."""

    def __init__(self, stream, limit=16384):
        self._stream = stream
        self._limit = limit
        self._parts = []
        self._size = 0

    def write(self, text):
        n = self._stream.write(text)
        self._parts.append(text)
        self._size += len(text)
        while self._size > self._limit and len(self._parts) > 1:
            self._size -= len(self._parts.pop(0))
        return n

    def flush(self):
        self._stream.flush()

    def reset(self):
        self._parts = []
        self._size = 0

    def captured(self):
        return "".join(self._parts)[-self._limit :]

    def __getattr__(self, name):
        return getattr(self._stream, name)


class Call(object):
    """What a handler gets besides its params: the request id and a way to send notifications."""

    def __init__(self, worker, request_id, method):
        self._worker = worker
        self.id = request_id
        self.method = method

    def notify(self, method, params=None):
        """Sends a JSON-RPC notification to Node (e.g. progress), delivered to the call's onNotification."""
        self._worker.send({"jsonrpc": "2.0", "method": method, "params": {"id": self.id, "data": params}})


class Worker(object):
    def __init__(self, proto_in, proto_out_fd):
        self.proto_in = proto_in
        self.proto_out_fd = proto_out_fd
        self.write_lock = threading.Lock()
        self.queue = []
        self.queue_cv = threading.Condition(threading.Lock())
        self.current_id = None
        self.cancel_id = None
        self.methods = {
            "lolpop.hello": lambda params, call: self.hello(),
            "lolpop.ping": lambda params, call: "pong",
            "lolpop.versions": lambda params, call: self.versions(params),
            "lolpop.load": lambda params, call: self.load(params),
        }

    # ------------------------------------------------------------------ output

    def _write(self, data):
        view = memoryview(data)
        while len(view):
            n = os.write(self.proto_out_fd, view)
            view = view[n:]

    def send(self, message):
        with self.write_lock:
            lolpop_bridge.write_frame(self._write, message)

    # ------------------------------------------------------------------ built-in methods

    def hello(self):
        import platform

        return {
            "protocol": lolpop_bridge.PROTOCOL_VERSION,
            "pid": os.getpid(),
            "python_version": platform.python_version(),
            "executable": sys.executable,
            "platform": sys.platform,
        }

    def versions(self, params):
        try:
            from importlib import metadata
        except ImportError:  # Python < 3.8
            metadata = None
        out = {}
        for name in params.get("distributions", []):
            try:
                out[name] = metadata.version(name) if metadata else None
            except Exception:
                out[name] = None
        return out

    def load(self, params):
        import importlib.util

        name = params["name"]
        path = params["path"]
        folder = os.path.dirname(os.path.abspath(path))
        if folder not in sys.path:
            sys.path.insert(0, folder)
        module_name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError("cannot load handler module from %s" % path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        found = []
        for attr in dir(module):
            fn = getattr(module, attr)
            if attr.startswith("_") or not callable(fn) or getattr(fn, "__module__", None) != module_name:
                continue
            if isinstance(fn, type):
                continue
            self.methods["%s.%s" % (name, attr)] = fn
            found.append(attr)
        return {"methods": sorted(found)}

    # ------------------------------------------------------------------ input

    def reader(self):
        try:
            while True:
                frame = lolpop_bridge.read_frame(self.proto_in)
                if frame is None:
                    break
                message, buffers = frame
                if message.get("method") == "$/cancel":
                    self.cancel((message.get("params") or {}).get("id"))
                    continue
                with self.queue_cv:
                    self.queue.append((message, buffers))
                    self.queue_cv.notify()
        except lolpop_bridge.ProtocolError as e:
            sys.stderr.write("lolpop worker: protocol error: %s\n" % e)
            sys.stderr.flush()
            os._exit(3)
        except BaseException as e:  # the parent went away or the pipe broke
            sys.stderr.write("lolpop worker: input failed: %r\n" % (e,))
            sys.stderr.flush()
        # End of input: the parent closed the pipe or died. Nothing is left to answer to.
        os._exit(0)

    def cancel(self, request_id):
        import _thread

        # Plain attribute reads and writes (atomic under the GIL); ids are unique, so a late cancel
        # never matches a later request.
        if request_id is not None and request_id == self.current_id:
            self.cancel_id = request_id
            _thread.interrupt_main()

    def on_sigint(self, signum, frame):
        # Only a cancel of the running request interrupts it; any other SIGINT is ignored
        # (the parent controls the worker's life through its pipe and SIGTERM/SIGKILL).
        if self.cancel_id is not None and self.cancel_id == self.current_id:
            raise Cancelled()

    # ------------------------------------------------------------------ dispatch

    def next_request(self):
        with self.queue_cv:
            while not self.queue:
                self.queue_cv.wait()
            return self.queue.pop(0)

    def handle(self, message, buffers):
        import traceback

        request_id = message.get("id")
        method = message.get("method")
        if isinstance(sys.stderr, StderrTee):
            sys.stderr.reset()
        self.cancel_id = None
        self.current_id = request_id
        try:
            try:
                fn = self.methods.get(method)
                if fn is None:
                    return {
                        "code": METHOD_NOT_FOUND,
                        "message": "unknown method %r (known: %s)" % (method, ", ".join(sorted(self.methods))),
                    }, None
                params = lolpop_bridge.decode(message.get("params") or {}, buffers)
                result = fn(params, Call(self, request_id, method))
            finally:
                # After this store a pending interrupt is ignored (see on_sigint).
                self.current_id = None
            return None, result
        except BaseException as e:
            self.current_id = None
            if self.cancel_id == request_id:
                return {"code": CANCELLED, "message": "cancelled"}, None
            return self.error_of(e, traceback), None

    def run(self):
        import signal
        import traceback

        signal.signal(signal.SIGINT, self.on_sigint)
        self.send({"jsonrpc": "2.0", "method": "lolpop.ready", "params": self.hello()})
        while True:
            message, buffers = self.next_request()
            request_id = message.get("id")
            error, result = self.handle(message, buffers)
            del buffers
            response = {"jsonrpc": "2.0", "id": request_id}
            if error is not None:
                response["error"] = error
            else:
                response["result"] = result
            try:
                self.send(response)
            except (ValueError, TypeError) as e:  # the result is not JSON-able
                self.send(
                    {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "error": {
                            "code": SERVER_ERROR,
                            "message": "the result of %s cannot be sent: %s" % (message.get("method"), e),
                            "data": {"type": type(e).__name__, "traceback": traceback.format_exc()},
                        },
                    }
                )

    @staticmethod
    def error_of(e, traceback):
        data = {
            "type": type(e).__name__,
            "module": type(e).__module__,
            "traceback": "".join(traceback.format_exception(type(e), e, e.__traceback__)),
        }
        if isinstance(sys.stderr, StderrTee):
            sys.stderr.flush()
            data["stderr"] = sys.stderr.captured()
        return {"code": SERVER_ERROR, "message": str(e) or type(e).__name__, "data": data}


def _die_with_parent():
    """Makes the kernel kill this process when the parent dies (Linux), and watches the parent pid elsewhere."""
    expected = os.environ.get("LOLPOP_PARENT_PID")
    expected = int(expected) if expected and expected.isdigit() else os.getppid()
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except Exception as e:  # pragma: no cover - depends on the platform
            sys.stderr.write("lolpop worker: PR_SET_PDEATHSIG unavailable (%r); relying on the watchdog\n" % (e,))
    if os.getppid() != expected:  # the parent died before we got here
        os._exit(0)

    def watchdog():
        import time

        while True:
            time.sleep(1.0)
            if os.getppid() != expected:
                os._exit(0)

    threading.Thread(target=watchdog, name="lolpop-parent-watchdog", daemon=True).start()


def main():
    # Keep the protocol on private descriptors; stdout and stdin of this process become harmless.
    proto_in_fd = os.dup(0)
    proto_out_fd = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    sys.stderr = StderrTee(sys.stderr)
    sys.stdout = sys.stderr
    proto_in = os.fdopen(proto_in_fd, "rb", buffering=1 << 16)
    _die_with_parent()
    worker = Worker(proto_in, proto_out_fd)
    threading.Thread(target=worker.reader, name="lolpop-reader", daemon=True).start()
    worker.run()


if __name__ == "__main__":
    main()
