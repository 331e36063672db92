"""The Python SDK over a socketpair (no sandbox): the interface a handler
sees (Context, errors with codes, return types, Cancel, deadline), the
bounds (pool size, frame limit) and the ways serve() ends.
    python3 sdk_test.py SDK_DIR   (the build's sdk/python: stockade_sdk and stockade)"""

import os
import sys
import tempfile
import textwrap
import threading
import unittest

SDK_DIR = os.path.abspath(sys.argv.pop(1)) if len(sys.argv) > 1 else None
sys.path.insert(0, SDK_DIR)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wire_host as host  # noqa: E402

from stockade_sdk import Code  # noqa: E402

# One plugin for every test: its methods exercise one SDK feature each.
PLUGIN = textwrap.dedent("""
    import sys, threading, time
    sys.path.insert(0, %r)
    import stockade_sdk as sdk

    running, peak, lock = 0, 0, threading.Lock()

    class Probe(sdk.Plugin):
        def info(self):
            return sdk.Info(name="probe", version="2.0", methods=["many"], metadata={"k": "v"})

        def health(self):
            return False

        def execute(self, ctx, payload):
            global running, peak
            if ctx.method == "fail":
                raise sdk.Error(sdk.Code.UNAVAILABLE, "backend down", retryable=True)
            if ctx.method == "crash":
                raise KeyError("oops")
            if ctx.method == "text":
                return "héllo"
            if ctx.method == "none":
                return None
            if ctx.method == "wrong":
                return 42
            if ctx.method == "alloc":
                # A blocked call that allocates, so that every worker thread
                # runs (and mallocs) at once.
                for _ in range(10):
                    chunk = bytes(200000)
                    time.sleep(0.02)
                return str(len(chunk))
            if ctx.method == "huge":
                return b"x" * (2 << 20)
            if ctx.method == "context":
                return f"{ctx.id} {ctx.method} {ctx.attempt} {ctx.deadline is not None} {ctx.remaining() is not None}"
            if ctx.method == "wait":
                while not ctx.cancelled:
                    time.sleep(0.01)
                return "cancel_requested" if ctx.cancel_requested else "deadline"
            if ctx.method == "peak":
                with lock:
                    running += 1
                    peak = max(peak, running)
                # Waits for a second call to run beside it (not for a time).
                until = time.monotonic() + 10
                while running < 2 and time.monotonic() < until:
                    time.sleep(0.01)
                time.sleep(0.05)
                with lock:
                    running -= 1
                return str(peak)
            return payload

        def close(self):
            sys.stderr.write("close() called\\n")

    sys.exit(sdk.serve(Probe()))
""")


class SdkTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        cls.script = os.path.join(cls.dir.name, "probe.py")
        with open(cls.script, "w") as f:
            f.write(PLUGIN % SDK_DIR)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def start(self, max_concurrency=4, max_frame=1 << 20, memfd_threshold=0, max_payload=0,
              address_space=0):
        plugin = host.Plugin(self.script, address_space=address_space)
        hello = plugin.next()
        self.assertEqual(hello.type, host.Body.Hello)
        self.assertEqual((hello.name, hello.cookie, hello.versions), ("probe", "test-cookie", [1]))
        self.assertTrue(hello.memfd_payloads)
        plugin.send(host.hello_ack(max_frame=max_frame, max_concurrency=max_concurrency,
                                   memfd_threshold=memfd_threshold, max_payload=max_payload))
        return plugin

    def close(self, plugin):
        """Close: no reply, close() called, exit 0."""
        plugin.send(host.close(2000))
        self.assertIsNone(plugin.next())
        code, err = plugin.wait()
        self.assertEqual(code, 0, err)
        self.assertIn("close() called", err)

    def test_errors_keep_their_code_message_and_retryable(self):
        plugin = self.start()
        plugin.send(host.execute(1, "fail"), host.execute(2, "crash"), host.execute(3, "wrong"))
        got = plugin.answers(3)
        self.assertEqual(got[1].error, (Code.UNAVAILABLE, "backend down", True))
        self.assertEqual(got[2].error, (Code.INTERNAL, "execute() raised KeyError: 'oops'", False))
        self.assertEqual(got[3].error[0], Code.INTERNAL)
        self.close(plugin)

    def test_return_types(self):
        plugin = self.start()
        plugin.send(host.execute(1, "text"), host.execute(2, "none"), host.execute(3, "echo", bytes(range(256))))
        got = plugin.answers(3)
        self.assertEqual(got[1].payload, "héllo".encode())
        self.assertEqual((got[2].payload, got[2].error), (b"", None))
        self.assertEqual(got[3].payload, bytes(range(256)))
        self.close(plugin)

    def test_context_cancel_and_deadline_reach_the_handler(self):
        plugin = self.start()
        plugin.send(host.execute(1, "context", deadline_ms=5000), host.execute(2, "wait"),
                    host.execute(3, "wait", deadline_ms=200))
        first = plugin.next()
        self.assertEqual(first.id, 1)
        self.assertEqual(first.payload, b"1 context 1 True True")
        self.assertEqual(plugin.next().payload, b"deadline")  # id 3, at its deadline
        plugin.send(host.cancel(2))
        self.assertEqual(plugin.next().payload, b"cancel_requested")
        self.close(plugin)

    def test_the_pool_is_bounded_by_max_concurrency(self):
        plugin = self.start(max_concurrency=2)
        plugin.send(*(host.execute(i, "peak") for i in range(1, 7)))
        peaks = {int(a.payload) for a in plugin.answers(6).values()}
        self.assertEqual(max(peaks), 2)
        self.close(plugin)

    def test_sixty_four_blocked_calls_fit_the_sandboxs_address_space(self):
        # RLIMIT_AS of a 64 MiB plugin: without the SDK's cap on glibc's
        # malloc arenas (64 MiB of address space each), about 46 threads fit
        # and the handlers meet MemoryError.
        plugin = self.start(max_concurrency=64, address_space=128 << 20)
        plugin.send(*(host.execute(i, "alloc") for i in range(1, 65)))
        answers = plugin.answers(64)
        self.assertEqual(sorted(answers), list(range(1, 65)))
        for answer in answers.values():
            self.assertIsNone(answer.error, answer.error)
            self.assertEqual(answer.payload, b"200000")
        self.close(plugin)

    def test_arenas_reserve_at_most_a_quarter_of_the_address_space(self):
        from stockade_sdk.malloc_arenas import arenas_for
        self.assertEqual(arenas_for(0), 0)
        self.assertEqual([arenas_for(mib << 20) for mib in (64, 128, 511, 1024)], [1, 1, 1, 4])
        self.assertEqual(arenas_for(64 << 30), 8)

    def test_a_response_beyond_max_frame_becomes_resource_exhausted(self):
        plugin = self.start(max_frame=1 << 20)
        plugin.send(host.execute(1, "huge"))
        self.assertEqual(plugin.next().error[0], Code.RESOURCE_EXHAUSTED)
        self.close(plugin)

    def test_large_payloads_travel_in_sealed_memfds_both_ways(self):
        plugin = self.start(memfd_threshold=64 << 10, max_payload=16 << 20)
        large = bytes(range(256)) * (12 << 12)  # 3 MiB: beyond the 1 MiB frame
        fd = host.memfd_with(large)
        try:
            plugin.send_with_fd(host.execute_memfd(1, "echo", len(large)), fd)
        finally:
            os.close(fd)
        answer = plugin.next()
        self.assertEqual((answer.id, answer.error), (1, None))
        self.assertEqual(answer.payload_memfd, len(large))
        self.assertEqual(plugin.memfd_payload(answer), large)
        plugin.send(host.execute(2, "echo", b"small"))  # below the threshold: inline
        small = plugin.next()
        self.assertEqual((small.payload, small.payload_memfd), (b"small", 0))
        self.close(plugin)

    def test_an_answer_over_the_granted_payload_is_resource_exhausted(self):
        plugin = self.start(memfd_threshold=64 << 10, max_payload=1 << 20)
        plugin.send(host.execute(1, "huge"))  # 2 MiB
        answer = plugin.next()
        self.assertEqual(answer.error[0], Code.RESOURCE_EXHAUSTED)
        self.assertIn("execute.max_payload_mb", answer.error[1])
        self.close(plugin)

    def test_an_unsealed_memfd_is_a_protocol_error(self):
        plugin = self.start(memfd_threshold=64 << 10, max_payload=1 << 20)
        fd = host.memfd_with(b"0123456789", seal=False)
        try:
            plugin.send_with_fd(host.execute_memfd(1, "echo", 10), fd)
        finally:
            os.close(fd)
        code, err = plugin.wait()
        self.assertEqual(code, 1, err)
        self.assertIn("not sealed against writes", err)

    def test_a_memfd_announced_without_its_descriptor_is_a_protocol_error(self):
        plugin = self.start(memfd_threshold=64 << 10, max_payload=1 << 20)
        plugin.send(host.execute_memfd(1, "echo", 10))
        code, err = plugin.wait()
        self.assertEqual(code, 1, err)
        self.assertIn("no descriptor came with it", err)

    def test_health_and_info(self):
        plugin = self.start()
        plugin.send(host.health(1), host.info(2))
        got = plugin.answers(2)
        self.assertFalse(got[1].serving)
        self.assertEqual((got[2].name, got[2].methods), ("probe", ["many"]))
        self.close(plugin)

    def test_close_drains_calls_in_flight_and_refuses_new_ones(self):
        plugin = self.start()
        plugin.send(host.execute(1, "wait", deadline_ms=500), host.close(5000), host.execute(2, "echo", b"late"))
        got = plugin.answers(2)
        self.assertEqual(got[1].payload, b"deadline")
        self.assertEqual(got[2].error, (Code.UNAVAILABLE, "closing: the plugin is shutting down", True))
        self.assertIsNone(plugin.next())
        code, err = plugin.wait()
        self.assertEqual(code, 0, err)

    def test_an_oversized_frame_is_a_protocol_error(self):
        plugin = self.start(max_frame=4096)
        plugin.send(b"\x01\x10\x00\x00")  # 4097
        self.assertIsNone(plugin.next())
        code, err = plugin.wait()
        self.assertEqual(code, 1)
        self.assertIn("protocol error from the host: a frame of 4097 bytes (1..4096 allowed)", err)

    def test_a_duplicate_id_in_flight_is_a_protocol_error(self):
        plugin = self.start()
        plugin.send(host.execute(1, "wait"), host.execute(1, "wait"))
        self.assertEqual(plugin.next().payload, b"cancel_requested")  # cancelled by the abandon
        code, err = plugin.wait()
        self.assertEqual(code, 1)
        self.assertIn("ExecuteRequest with id 1 already in flight", err)

    def test_a_refused_handshake_ends_with_1_and_says_why(self):
        plugin = host.Plugin(self.script)
        plugin.next()
        plugin.send(host.refusal(Code.INVALID_ARGUMENT, "wrong cookie"))
        code, err = plugin.wait()
        self.assertEqual(code, 1)
        self.assertIn("probe: handshake failed: the supervisor refused the handshake: INVALID_ARGUMENT: wrong cookie", err)

    def test_a_version_not_offered_ends_with_1(self):
        plugin = host.Plugin(self.script)
        plugin.next()
        plugin.send(host.hello_ack(version=2))
        code, err = plugin.wait()
        self.assertEqual(code, 1)
        self.assertIn("the host chose protocol version 2", err)

    def test_started_by_hand(self):
        plugin = host.Plugin(self.script, cookie=None)
        code, err = plugin.wait()
        self.assertEqual(code, 1)
        self.assertEqual(err, "probe: this is a stockade plugin; it is started by the stockade supervisor "
                              "(see `stockade call --help`), not by hand. (STOCKADE_PLUGIN_COOKIE is not set)\n")


if __name__ == "__main__":
    unittest.main()
