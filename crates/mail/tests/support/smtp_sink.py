"""A recording SMTP server for the mail crate's tests, built on aiosmtpd.

Usage: python3 smtp_sink.py DIR [starttls|tls CERT KEY]. Listens on 127.0.0.1 at a free port, prints the
port on the first line of standard output, and stores each accepted message as
DIR/NNNN.eml (the DATA bytes exactly as received) with DIR/NNNN.json (envelope and
the authenticated user). AUTH PLAIN/LOGIN accepts the user "fax-user" with the
password "s3cret" and is allowed without TLS because the test runs on loopback.
With "starttls" the server offers STARTTLS and requires it before MAIL; with "tls"
it speaks TLS from the first byte (implicit TLS). Recipients whose local part is "busy" get 451 (transient), "nobody" gets 550.
"""

import asyncio
import json
import os
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0]
        if local == "busy":
            return "451 4.3.0 try again later"
        if local == "nobody":
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        with open(base + ".json", "w") as f:
            json.dump(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "user": session.auth_data if session.authenticated else None,
                },
                f,
            )
        with open(base + ".eml.part", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".eml.part", base + ".eml")
        return "250 OK stored"


def authenticate(server, session, envelope, mechanism, auth_data):
    if isinstance(auth_data, LoginPassword) and auth_data.login == b"fax-user" and auth_data.password == b"s3cret":
        return AuthResult(success=True, auth_data="fax-user")
    return AuthResult(success=False, handled=False)


async def main(directory, mode=None, cert=None, key=None):
    handler = Store(directory)
    context = None
    if mode is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

    def protocol():
        if mode == "starttls":
            return SMTP(
                handler,
                hostname="sink.test",
                authenticator=authenticate,
                tls_context=context,
                require_starttls=True,
            )
        return SMTP(handler, hostname="sink.test", authenticator=authenticate, auth_require_tls=False)

    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, "127.0.0.1", 0, ssl=context if mode == "tls" else None)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


asyncio.run(main(*sys.argv[1:]))
