#!/usr/bin/env python3
"""A real SMTP server for the `unanswered` integration tests, with fault injection.

Built on aiosmtpd (tested with 1.4.3 - Debian's python3-aiosmtpd - and 1.4.6).
Only the public `aiosmtpd.smtp.SMTP` class, its handler hooks and the
`authenticator` callback are used; the server runs on an asyncio loop created
here (no `Controller`), so port 0 and implicit TLS need no workarounds.

Protocol with the test that starts it:
  * after the socket listens, exactly one line `LISTENING <port>` is printed to
    stdout and flushed; nothing else is ever written to stdout;
  * diagnostics go to stderr (quiet unless -v);
  * SIGTERM / SIGINT: stop listening, drop open connections, exit 0.

See README.md next to this file, or --help.
"""

import argparse
import asyncio
import email.parser
import email.policy
import json
import logging
import os
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import warnings
import weakref

from aiosmtpd.smtp import SMTP, AuthResult

log = logging.getLogger("smtp-test-server")


# --------------------------------------------------------------------------
# shared state (single-threaded: everything runs on the event loop)

class State:
    def __init__(self):
        self.connections = 0     # TCP connections accepted so far
        self.data_txns = 0       # DATA transactions whose data was received
        self.accepted = 0        # messages answered with 250
        self.live = weakref.WeakSet()  # open protocol instances


def _clean(text):
    """Make a str safe for JSON consumers that reject lone surrogates."""
    if text is None:
        return None
    return str(text).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _headers(raw):
    """(message_id, subject) from the message header, None where absent."""
    try:
        msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(
            raw, headersonly=True)
        mid, subj = msg.get("Message-ID"), msg.get("Subject")
    except Exception:  # malformed header: fall back to the raw values
        msg = email.parser.BytesParser().parsebytes(raw, headersonly=True)
        mid, subj = msg.get("Message-ID"), msg.get("Subject")
    mid = None if mid is None else _clean(mid).strip()
    subj = None if subj is None else _clean(subj).strip()
    return mid, subj


async def _hang():
    """Wait until the connection is torn down (connection_lost cancels us)."""
    await asyncio.get_running_loop().create_future()


# --------------------------------------------------------------------------
# SMTP protocol + handler

class TestSMTP(SMTP):
    """aiosmtpd SMTP with a connection number."""

    def __init__(self, handler, *, conn_id, reply_delay=0.0, **kwargs):
        super().__init__(handler, **kwargs)
        self.conn_id = conn_id
        self.reply_delay = reply_delay

    async def push(self, status):
        # --reply-delay-ms: a slow server, every reply (the greeting too) comes late
        if self.reply_delay:
            await asyncio.sleep(self.reply_delay)
        await super().push(status)


class Refuse421(asyncio.Protocol):
    """Greets with 421 and closes (used once --max-messages is reached)."""

    def __init__(self, hostname):
        self.hostname = hostname

    def connection_made(self, transport):
        transport.write(
            f"421 4.3.2 {self.hostname} Service not available, "
            "closing transmission channel\r\n".encode("ascii"))
        transport.close()


class Handler:
    def __init__(self, opts, state, record):
        self.opts = opts
        self.state = state
        self.record = record

    # -- helpers
    def _limit_reached(self):
        m = self.opts.max_messages
        return m is not None and self.state.accepted >= m

    async def _close_421(self, server):
        await server.push(
            f"421 4.3.2 {server.hostname} Service not available, "
            "closing transmission channel")
        server.transport.close()
        await _hang()

    @staticmethod
    def _drop(server):
        """Abort the connection without an answer (RST where possible)."""
        transport = server.transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
            except OSError:
                pass
        transport.abort()

    async def handle_exception(self, error):
        # Called by aiosmtpd for exceptions while handling a command.  A failed
        # STARTTLS handshake (client rejecting the certificate, ...) lands here
        # too; keep that quiet, but report anything else.
        cause = error.__cause__ or error
        if isinstance(cause, (ssl.SSLError, ConnectionError)) or \
                type(error).__name__ == "TLSSetupException":
            log.info("TLS/connection error: %r", cause)
        else:
            log.warning("exception in SMTP session: %r", error,
                        exc_info=log.isEnabledFor(logging.INFO))
        return f"500 Error: ({type(error).__name__}) {error}"

    # -- hooks (same signatures in aiosmtpd 1.4.x)
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self._limit_reached():
            await self._close_421(server)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self._limit_reached():
            await self._close_421(server)
        for needle in self.opts.reject_rcpt:
            if needle in address:
                return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.state.data_txns += 1
        n = self.state.data_txns
        if self.opts.delay_ms:
            await asyncio.sleep(self.opts.delay_ms / 1000.0)
        if self.opts.drop_in_data is not None and n == self.opts.drop_in_data:
            log.info("DATA #%d: dropping connection %d", n, server.conn_id)
            self._drop(server)
            await _hang()
        if n <= self.opts.tempfail_first:
            log.info("DATA #%d: 451", n)
            return "451 4.3.0 Try again later"
        if self._limit_reached():
            await self._close_421(server)

        raw = envelope.original_content or b""
        if self.record is not None:
            mid, subj = _headers(raw)
            auth = getattr(session, "auth_data", None)
            login = getattr(auth, "login", None)
            rec = {
                "mail_from": _clean(envelope.mail_from),
                "rcpt_tos": [_clean(r) for r in envelope.rcpt_tos],
                "message_id": mid,
                "subject": subj,
                "size": len(raw),
                "time": time.time(),
                "session": server.conn_id,
                "tls": session.ssl is not None or self.opts.tls == "implicit",
                "auth_user": (login.decode("utf-8", "replace")
                              if isinstance(login, bytes) else None),
            }
            if self.opts.record_content:
                rec["content"] = raw.decode("utf-8", "replace")
            self.record.write(json.dumps(rec) + "\n")
            self.record.flush()
            os.fsync(self.record.fileno())
        self.state.accepted += 1
        log.info("DATA #%d: accepted message %d", n, self.state.accepted)
        return f"250 2.0.0 OK queued as {self.state.accepted}"


def make_authenticator(user, password, event):
    user_b, pass_b = user.encode("utf-8"), password.encode("utf-8")

    # authenticator(server, session, envelope, mechanism, auth_data); for the
    # built-in PLAIN and LOGIN mechanisms auth_data is a LoginPassword.
    def authenticator(server, session, envelope, mechanism, auth_data):
        login = getattr(auth_data, "login", None)
        secret = getattr(auth_data, "password", None)
        ok = login == user_b and secret == pass_b
        event({"event": "auth", "session": server.conn_id, "ok": ok})
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticator


# --------------------------------------------------------------------------
# main

def parse_args(argv):
    p = argparse.ArgumentParser(
        description="SMTP server with fault injection for integration tests.")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--hostname", default="localhost",
                   help="name used in the greeting/EHLO (default localhost)")
    p.add_argument("--tls", choices=("none", "starttls", "implicit"), default="none")
    p.add_argument("--cert", help="server certificate (PEM)")
    p.add_argument("--key", help="server private key (PEM)")
    p.add_argument("--require-tls", action="store_true",
                   help="starttls: refuse everything but EHLO/NOOP/QUIT before STARTTLS")
    p.add_argument("--auth", metavar="USER:PASS",
                   help="require AUTH PLAIN/LOGIN with these credentials before MAIL")
    p.add_argument("--record", metavar="FILE",
                   help="append one JSON line per accepted message (fsync'ed before 250)")
    p.add_argument("--record-content", action="store_true",
                   help='also store the whole message as "content" in the record')
    p.add_argument("--tempfail-first", type=int, default=0, metavar="N",
                   help="451 for the first N DATA transactions (across connections)")
    p.add_argument("--reject-rcpt", action="append", default=[], metavar="SUBSTR",
                   help="550 for RCPT TO addresses containing SUBSTR (repeatable)")
    p.add_argument("--drop-in-data", type=int, metavar="N",
                   help="abort the connection, unanswered, on the N-th DATA (1-based)")
    p.add_argument("--delay-ms", type=int, default=0, metavar="MS",
                   help="sleep MS before answering each DATA")
    p.add_argument("--max-messages", type=int, metavar="N",
                   help="after N accepted messages answer 421 and close")
    p.add_argument("--events", metavar="FILE",
                   help="append one JSON line per connection and per AUTH attempt")
    p.add_argument("--reply-delay-ms", type=int, default=0, metavar="MS",
                   help="answer every command (and greet) only after MS milliseconds")
    p.add_argument("--no-auth-offer", action="store_true",
                   help="offer no AUTH mechanism in the EHLO reply")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="exit when stdin is closed (parent died)")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="log to stderr (-v: server events, -vv: SMTP dialogue)")
    opts = p.parse_args(argv)

    if opts.tls != "none" and not (opts.cert and opts.key):
        p.error("--tls starttls/implicit needs --cert and --key")
    if opts.require_tls and opts.tls == "none":
        p.error("--require-tls needs --tls starttls or implicit")
    if opts.auth is not None and ":" not in opts.auth:
        p.error("--auth wants USER:PASS")
    if opts.drop_in_data is not None and opts.drop_in_data < 1:
        p.error("--drop-in-data is 1-based")
    return opts


def setup_logging(verbose):
    # aiosmtpd warns once per connection when AUTH is required without
    # STARTTLS; that is intended here (plain or implicit TLS).
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s",
                        level=logging.WARNING)
    if verbose >= 1:
        log.setLevel(logging.INFO)
        logging.getLogger("mail.log").setLevel(
            logging.DEBUG if verbose >= 2 else logging.INFO)
    else:
        warnings.simplefilter("ignore")
        log.setLevel(logging.WARNING)
        # aiosmtpd warns about deprecated login_data on every AUTH, asyncio
        # about every client that disappears mid-TLS: not interesting here.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        logging.getLogger("asyncio").setLevel(logging.CRITICAL)


def listen_socket(host, port):
    """One listening socket (port 0 on a name with several addresses would
    otherwise give several sockets on different ports)."""
    family, stype, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, stype, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(addr)
    sock.setblocking(False)
    return sock


async def serve(opts):
    loop = asyncio.get_running_loop()
    state = State()

    tls_context = None
    if opts.tls != "none":
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(opts.cert, opts.key)

    record = None
    if opts.record:
        record = open(opts.record, "a", encoding="utf-8")

    handler = Handler(opts, state, record)
    events = open(opts.events, "a", encoding="utf-8") if opts.events else None

    def event(rec):
        if events is not None:
            events.write(json.dumps(rec) + "\n")
            events.flush()
    smtp_kwargs = dict(
        hostname=opts.hostname,
        ident="unanswered test SMTP",
        enable_SMTPUTF8=True,
        loop=loop,
    )
    if opts.tls == "starttls":
        smtp_kwargs.update(tls_context=tls_context,
                           require_starttls=opts.require_tls,
                           auth_require_tls=True)
    elif opts.tls == "implicit":
        # Already encrypted from the first byte: aiosmtpd only knows about
        # STARTTLS, so tell it not to wait for one before offering AUTH.
        smtp_kwargs.update(auth_require_tls=False)
    else:
        smtp_kwargs.update(auth_require_tls=False)
    if opts.auth is not None:
        user, _, password = opts.auth.partition(":")
        smtp_kwargs.update(auth_required=True,
                           authenticator=make_authenticator(user, password, event))
    if opts.no_auth_offer:
        smtp_kwargs.update(auth_exclude_mechanism=["LOGIN", "PLAIN"])

    def factory():
        state.connections += 1
        if opts.max_messages is not None and state.accepted >= opts.max_messages:
            return Refuse421(opts.hostname)
        event({"event": "connect", "session": state.connections})
        proto = TestSMTP(handler, conn_id=state.connections,
                         reply_delay=opts.reply_delay_ms / 1000.0, **smtp_kwargs)
        state.live.add(proto)
        return proto

    sock = listen_socket(opts.host, opts.port)
    server = await loop.create_server(
        factory, sock=sock, backlog=512,
        ssl=tls_context if opts.tls == "implicit" else None)
    port = server.sockets[0].getsockname()[1]

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if opts.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while os.read(0, 4096):
                    pass
            except OSError:
                pass
            loop.call_soon_threadsafe(stop.set)
        threading.Thread(target=watch_stdin, daemon=True).start()

    sys.stdout.write(f"LISTENING {port}\n")
    sys.stdout.flush()
    sys.stdout = sys.stderr  # nothing else may reach the real stdout
    log.info("listening on %s:%d (tls=%s)", opts.host, port, opts.tls)

    try:
        await stop.wait()
    finally:
        log.info("shutting down: %d connections, %d DATA, %d accepted",
                 state.connections, state.data_txns, state.accepted)
        server.close()
        for proto in list(state.live):
            transport = proto.transport
            if transport is not None:
                transport.abort()
        await asyncio.sleep(0.05)
        if record is not None:
            record.close()


def main(argv=None):
    opts = parse_args(sys.argv[1:] if argv is None else argv)
    setup_logging(opts.verbose)
    try:
        asyncio.run(serve(opts))
    except KeyboardInterrupt:
        pass
    except (OSError, ssl.SSLError) as e:  # port in use, unreadable cert/key, ...
        print(f"server.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
