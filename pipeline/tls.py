"""One ``ssl.SSLContext`` from a ``tls`` config section, shared by the Kafka and Elasticsearch clients.

Building the context ourselves (instead of passing file names to each client library) means kafka-python,
aiokafka (Faust) and the Elasticsearch clients verify servers exactly the same way.
"""
from __future__ import annotations

import ssl

from schemas.config import TlsFilesConfig


def ssl_context(cfg: TlsFilesConfig) -> ssl.SSLContext:
    """A client-side TLS context: verifies the server against ``ca_file`` (else the system CAs), checks
    its host name unless told not to, and presents a client certificate when one is configured."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                     cafile=str(cfg.ca_file) if cfg.ca_file else None)
    ctx.check_hostname = cfg.check_hostname
    if cfg.cert_file is not None and cfg.key_file is not None:
        password = cfg.key_password.get_secret_value() if cfg.key_password else None
        ctx.load_cert_chain(str(cfg.cert_file), str(cfg.key_file), password=password)
    return ctx
