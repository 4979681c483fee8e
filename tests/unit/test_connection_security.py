"""Kafka SASL/TLS and Elasticsearch TLS/API-key options: config validation, environment secrets, what
the clients receive, and real TLS handshakes against a local server with certificates made here."""
from __future__ import annotations

import http.server
import json
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from faust.auth import SASLCredentials, SSLCredentials
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

from pipeline.elastic import _client_options, sync_client
from pipeline.kafka_io import client_options, faust_credentials
from pipeline.tls import ssl_context
from schemas.config import ConfigError, ElasticsearchConfig, KafkaConfig, TlsFilesConfig, load_config


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1 signed by it, and a client certificate (openssl CLI)."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=GuardStream test CA")
    for name, subject, ext in (("server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1"),
                               ("client", "/CN=guardstream", "extendedKeyUsage=clientAuth")):
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", subject)
        (d / f"{name}.ext").write_text(ext + "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
    return {p.stem + p.suffix: p for p in d.iterdir()}


class _EsLikeHandler(http.server.BaseHTTPRequestHandler):
    seen_auth: list[str | None] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        type(self).seen_auth.append(self.headers.get("Authorization"))
        body = json.dumps({"name": "fake", "cluster_name": "t", "version": {"number": "8.13.0"},
                           "tagline": "You Know, for Search"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Elastic-Product", "Elasticsearch")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tls_server(pki):
    """An HTTPS server on 127.0.0.1 answering like Elasticsearch's root endpoint."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EsLikeHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki["server.crt"], pki["server.key"])
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.parametrize("kafka, message", [
    ({"security_protocol": "SASL_SSL"}, "needs a 'sasl' section"),
    ({"sasl": {"username": "u", "password": "p"}}, "'sasl' is set but security_protocol is PLAINTEXT"),
    ({"tls": {"ca_file": "/ca.crt"}}, "'tls' is set but security_protocol is PLAINTEXT"),
    ({"security_protocol": "SSL", "tls": {"cert_file": "/c.crt"}}, "cert_file and key_file go together"),
    ({"security_protocol": "SASL_SSL", "sasl": {"mechanism": "GSSAPI", "username": "u", "password": "p"}},
     "kafka.sasl.mechanism"),
])
def test_inconsistent_kafka_security_is_refused_naming_the_key(tmp_path, kafka, message):
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"kafka": kafka}))
    with pytest.raises(ConfigError, match=message):
        load_config(path, environ={})


def test_elasticsearch_tls_without_https_hosts_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"elasticsearch": {"tls": {"ca_file": "/ca.crt"}}}))
    with pytest.raises(ConfigError, match="no host is https"):
        load_config(path, environ={})


def test_sasl_credentials_come_from_the_environment_and_stay_secret(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(json.dumps({"kafka": {"security_protocol": "SASL_PLAINTEXT",
                                          "sasl": {"mechanism": "SCRAM-SHA-256"}}}))
    cfg = load_config(path, environ={"GUARDSTREAM_KAFKA_SASL_USERNAME": "svc-guardstream",
                                     "GUARDSTREAM_KAFKA_SASL_PASSWORD": "s3cr3t-pw"})
    assert cfg.kafka.sasl.username == "svc-guardstream"
    assert cfg.kafka.sasl.password.get_secret_value() == "s3cr3t-pw"
    assert "s3cr3t-pw" not in repr(cfg) and "s3cr3t-pw" not in cfg.model_dump_json()
    opts = client_options(cfg.kafka)
    assert opts["security_protocol"] == "SASL_PLAINTEXT" and "ssl_context" not in opts
    assert (opts["sasl_mechanism"], opts["sasl_plain_username"], opts["sasl_plain_password"]) == (
        "SCRAM-SHA-256", "svc-guardstream", "s3cr3t-pw")
    # The Faust worker gets the same, through Faust's own mapping to aiokafka.
    auth = credentials_to_aiokafka_auth(faust_credentials(cfg.kafka))
    assert auth["security_protocol"] == "SASL_PLAINTEXT" and auth["sasl_mechanism"] == "SCRAM-SHA-256"
    assert auth["sasl_plain_password"] == "s3cr3t-pw"


def test_sasl_ssl_with_a_ca_gives_both_clients_one_verifying_context(pki):
    cfg = KafkaConfig.model_validate({
        "security_protocol": "SASL_SSL", "tls": {"ca_file": str(pki["ca.crt"])},
        "sasl": {"mechanism": "SCRAM-SHA-512", "username": "u", "password": "p"}})
    opts = client_options(cfg)
    ctx = opts["ssl_context"]
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.cert_store_stats()["x509_ca"] == 1
    creds = faust_credentials(cfg)
    assert isinstance(creds, SASLCredentials)
    auth = credentials_to_aiokafka_auth(creds)
    assert auth["security_protocol"] == "SASL_SSL" and auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert auth["ssl_context"].cert_store_stats()["x509_ca"] == 1

    tls_only = KafkaConfig.model_validate({"security_protocol": "SSL", "tls": {"ca_file": str(pki["ca.crt"])}})
    assert isinstance(faust_credentials(tls_only), SSLCredentials)
    assert credentials_to_aiokafka_auth(faust_credentials(tls_only))["security_protocol"] == "SSL"
    assert faust_credentials(KafkaConfig()) is None
    assert client_options(KafkaConfig())["security_protocol"] == "PLAINTEXT"


def test_the_context_verifies_a_real_tls_server_and_refuses_an_unknown_ca(pki, tls_server):
    def handshake(cfg: TlsFilesConfig) -> None:
        with socket.create_connection(("127.0.0.1", tls_server), timeout=5) as raw:
            with ssl_context(cfg).wrap_socket(raw, server_hostname="127.0.0.1"):
                pass

    handshake(TlsFilesConfig(ca_file=pki["ca.crt"]))
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(TlsFilesConfig())  # the system CAs do not know our test CA
    # A client certificate and key load into the same context (mutual TLS).
    ctx = ssl_context(TlsFilesConfig(ca_file=pki["ca.crt"], cert_file=pki["client.crt"],
                                     key_file=pki["client.key"]))
    assert ctx.verify_mode == ssl.CERT_REQUIRED


def test_elasticsearch_client_speaks_tls_with_our_ca_and_sends_the_api_key(pki, tls_server):
    url = f"https://127.0.0.1:{tls_server}"
    cfg = ElasticsearchConfig.model_validate({"hosts": [url], "api_key": "a2V5OnNlY3JldA==",
                                              "tls": {"ca_file": str(pki["ca.crt"])}})
    _EsLikeHandler.seen_auth.clear()
    assert sync_client(cfg).info()["version"]["number"] == "8.13.0"
    assert _EsLikeHandler.seen_auth == ["ApiKey a2V5OnNlY3JldA=="]

    untrusted = ElasticsearchConfig.model_validate({"hosts": [url], "request_timeout_s": 5})
    from elasticsearch import ConnectionError as EsConnectionError

    with pytest.raises(EsConnectionError):
        sync_client(untrusted).options(retry_on_timeout=False, max_retries=0).info()
    assert "ssl_context" not in _client_options(ElasticsearchConfig())  # plain http stays plain
