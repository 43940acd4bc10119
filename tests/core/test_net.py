"""The ways out: the SSRF guard, and connections pinned to the address the guard approved.

Three ways out fetch URLs someone else chose: the crawler (tests/core/test_competitors.py),
the content studio's image download and the monitoring webhook (here). Each is tried
with a DNS-rebinding resolver (public to the check, 127.0.0.1 afterwards) against a
local server that counts connections: it must receive nothing.
"""

from __future__ import annotations

import ipaddress
import json

import httpcore
import pytest

from core import net
from core.config import Settings
from core.content_studio import ServiceError, download_image
from tests.net_fakes import PUBLIC_IP, CountingServer, RebindingResolver, RecordingConnector, StaticResolver


@pytest.mark.parametrize("addr, form", [
    ("2002:7f00:1::", "6to4 address embedding 127.0.0.1"),
    ("2002:a00:1::", "6to4 address embedding 10.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo client address embedding 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 address embedding 169.254.169.254"),
    ("64:ff9b:1::c0a8:1", "NAT64 address embedding 192.168.0.1"),
    ("::ffff:127.0.0.1", "IPv4-mapped address embedding 127.0.0.1"),
    ("::ffff:0:a00:1", "IPv4-translated address embedding 10.0.0.1"),
    ("::127.0.0.1", "IPv4-compatible address embedding 127.0.0.1"),
    ("2606:4700::5efe:7f00:1", "ISATAP address embedding 127.0.0.1"),
])
def test_ipv6_forms_embedding_a_private_ipv4_are_refused(addr, form):
    assert form in net.blocked_reason(ipaddress.ip_address(addr))
    with pytest.raises(net.UnsafeURLError, match="embedding"):
        net.check_url("http://victim.test/", resolver=StaticResolver(addr))
    with pytest.raises(net.UnsafeURLError):
        net.check_url(f"http://[{addr}]/")  # an address literal goes through the same check


@pytest.mark.parametrize("addr", ["2002:5db8:d822::", "2606:4700::1111", PUBLIC_IP])
def test_public_addresses_pass_including_6to4_of_a_public_ipv4(addr):
    assert net.blocked_reason(ipaddress.ip_address(addr)) is None
    assert net.check_url("https://shop.test/", resolver=StaticResolver(addr))


def test_one_private_address_among_public_ones_refuses_the_host():
    with pytest.raises(net.UnsafeURLError, match="127.0.0.1"):
        net.check_url("http://shop.test/", resolver=StaticResolver(PUBLIC_IP, "127.0.0.1"))


def test_pinned_client_dials_the_checked_address_and_keeps_the_host_header():
    hosts = []
    with CountingServer() as server:
        conn = RecordingConnector(public_to=server.port)
        client = net.pinned_client(resolver=StaticResolver(PUBLIC_IP), connector=conn, timeout_s=2)
        original = server.server.RequestHandlerClass.do_GET

        def spy(handler):
            hosts.append(handler.headers["Host"])
            return original(handler)

        server.server.RequestHandlerClass.do_GET = spy
        with client:
            assert client.get(f"http://shop.test:{server.port}/logo.png").status_code == 200
    assert conn.dialled == [(PUBLIC_IP, server.port)] and hosts == [f"shop.test:{server.port}"]


class _TLSProbe:
    """A stream that records the name TLS was started for, then stops the connection."""

    def __init__(self, seen):
        self.seen = seen

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        self.seen.append(server_hostname)
        raise httpcore.ConnectError("stopped after the TLS start in the test")

    def close(self):
        pass


def test_tls_is_started_for_the_original_host_not_the_ip():
    seen, dialled = [], []

    def connector(ip, port, timeout=None, local_address=None, socket_options=None):
        dialled.append((ip, port))
        return _TLSProbe(seen)

    with pytest.raises(net.UnreachableError):
        net.fetch_bytes("https://shop.test/logo.png", resolver=StaticResolver(PUBLIC_IP), connector=connector)
    assert dialled == [(PUBLIC_IP, 443)] and seen == ["shop.test"]  # SNI and certificate name: the host


def test_proxies_from_the_environment_are_ignored(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    with CountingServer() as server:
        conn = RecordingConnector(public_to=server.port)
        body = net.fetch_bytes(f"http://shop.test:{server.port}/x", resolver=StaticResolver(PUBLIC_IP),
                               connector=conn)
    assert body.startswith(b"\x89PNG") and conn.dialled == [(PUBLIC_IP, server.port)]


def test_unreachable_reads_as_words_not_an_errno():
    with pytest.raises(net.UnreachableError) as err:
        net.fetch_bytes("http://shop.test/x", resolver=StaticResolver(PUBLIC_IP), connector=RecordingConnector())
    assert err.value.message == "cannot reach the site shop.test: the network is unreachable."
    assert "Errno" not in err.value.message


# ------------------------------------------------------------------ the ways out, rebinding


@pytest.mark.parametrize("public_answers", [1, 2])
def test_image_download_refuses_dns_rebinding_before_any_byte_is_sent(public_answers, tmp_path):
    settings = Settings(openai_api_key="sk-test", openai_base_url="https://ai.example.com/v1")
    with CountingServer() as server:
        conn = RecordingConnector()
        with pytest.raises(ServiceError):
            download_image(f"http://localhost:{server.port}/img.png", settings,
                           resolver=RebindingResolver(public_answers), connector=conn)
    assert server.connections == 0 and server.bytes_received == 0
    assert all(ip == PUBLIC_IP for ip, _ in conn.dialled)


def test_image_download_refuses_a_private_link_but_trusts_the_configured_service():
    with CountingServer() as server:
        other = Settings(openai_api_key="sk-test", openai_base_url="https://ai.example.com/v1")
        with pytest.raises(ServiceError, match="link was refused.*loopback"):
            download_image(f"http://127.0.0.1:{server.port}/img.png", other)
        assert server.connections == 0
        own = Settings(openai_api_key="sk-test", openai_base_url=f"http://127.0.0.1:{server.port}/v1")
        assert download_image(f"http://127.0.0.1:{server.port}/img.png", own).startswith(b"\x89PNG")
    assert server.connections == 1


def test_image_download_refuses_other_schemes():
    with pytest.raises(ServiceError, match="not http"):
        download_image("file:///etc/passwd", Settings(openai_api_key="sk-test"))


@pytest.mark.parametrize("public_answers", [1, 2])
def test_webhook_post_refuses_dns_rebinding_before_any_byte_is_sent(public_answers):
    with CountingServer() as server:
        conn = RecordingConnector()
        with pytest.raises((net.UnsafeURLError, net.UnreachableError)):
            net.post_json(f"http://localhost:{server.port}/hook", json.dumps({"text": "hi"}).encode(),
                          resolver=RebindingResolver(public_answers), connector=conn, timeout_s=2)
    assert server.connections == 0 and server.bytes_received == 0
    assert all(ip == PUBLIC_IP for ip, _ in conn.dialled)


def test_monitoring_webhook_refuses_dns_rebinding_before_any_byte_is_sent():
    from core.monitoring import post_webhook
    from core.errors import ConfigError

    with CountingServer() as server:
        conn = RecordingConnector()
        with pytest.raises(ConfigError, match="refused.*127.0.0.1 .loopback"):
            post_webhook(f"http://localhost:{server.port}/hook", {"text": "hi"}, retries=2, sleep=lambda s: None,
                         resolver=RebindingResolver(public_answers=1), connector=conn)  # rebinds on the retry
        with pytest.raises(Exception, match="could not be reached"):  # public for good: dialled there only
            post_webhook(f"http://localhost:{server.port}/hook", {"text": "hi"}, retries=1, sleep=lambda s: None,
                         resolver=RebindingResolver(public_answers=99), connector=conn)
    assert server.connections == 0 and server.bytes_received == 0
    assert conn.dialled and all(ip == PUBLIC_IP for ip, _ in conn.dialled)


def test_monitoring_webhook_reaches_an_address_written_in_its_url():
    from core.monitoring import post_webhook

    with CountingServer() as server:
        assert post_webhook(f"http://127.0.0.1:{server.port}/hook", {"text": "hi"}, retries=0) == 200
        with pytest.raises(Exception, match="refused"):  # a name that resolves to loopback is not the same
            post_webhook(f"http://localhost:{server.port}/hook", {"text": "hi"}, retries=0)
    assert server.requests == ["POST /hook"]



def test_an_unknown_host_reads_as_cannot_reach_the_site():
    def no_such_host(host, port, *args, **kwargs):
        raise __import__("socket").gaierror(-2, "Name or service not known")

    with pytest.raises(net.UnsafeURLError) as err:
        net.check_url("https://no-such-clinic.test/", resolver=no_such_host)
    assert err.value.message == ("Cannot reach the site no-such-clinic.test: the name does not resolve "
                                 "(check the spelling).") and "Errno" not in err.value.message
