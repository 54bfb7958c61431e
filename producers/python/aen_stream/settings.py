"""Kafka client settings: the Java properties file aen's --command-config takes, for librdkafka."""
import re
import sys

# Java client settings librdkafka takes under the same name and meaning.
_SAME_KEYS = {"security.protocol", "sasl.mechanism", "client.id", "ssl.endpoint.identification.algorithm",
              "socket.connection.setup.timeout.ms", "metadata.max.age.ms", "retry.backoff.ms",
              "reconnect.backoff.ms", "reconnect.backoff.max.ms"}
_JAAS_VALUE = r'{}\s*=\s*"((?:[^"\\]|\\.)*)"'


def _unescape(text):
    """Undoes Java properties escapes: \\t, \\n, \\r, \\f, \\uXXXX, and a backslash before anything else."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c != "\\" or i + 1 == len(text):
            out.append(c)
            i += 1
            continue
        n = text[i + 1]
        if n == "u" and i + 6 <= len(text):
            out.append(chr(int(text[i + 2:i + 6], 16)))
            i += 6
            continue
        out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(n, n))
        i += 2
    return "".join(out)


def read_java_properties(path):
    """Reads a Java properties file as java.util.Properties does: key=value, key: value or key value lines,
    # and ! comments, backslash continuations and escapes."""
    props, pending = {}, ""
    with open(path, encoding="utf-8") as f:
        for raw in f:
            part = raw.rstrip("\r\n").lstrip()
            if not pending and (not part or part[0] in "#!"):
                continue
            line, pending = pending + part, ""
            trailing = len(line) - len(line.rstrip("\\"))
            if trailing % 2 == 1:
                pending = line[:-1]
                continue
            m = re.match(r"((?:\\.|[^=:\s\\])+)\s*[=:]?\s*(.*)", line)
            if m:
                props[_unescape(m.group(1))] = _unescape(m.group(2)).strip()
    return props


# librdkafka before this version fails SCRAM against Kafka 4 brokers ("invalid credentials" with the right
# password); PLAIN inside TLS works with every version.
SCRAM_SINCE = (2, 6, 1)


def _librdkafka_version():
    try:
        import confluent_kafka
    except ImportError:
        return None
    text = confluent_kafka.libversion()[0]
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3]), text


def check_mechanism(settings, version=None):
    """Refuses SCRAM with a librdkafka that cannot do it against this Kafka, naming the version and the fix."""
    mechanism = settings.get("sasl.mechanism", "")
    found = version if version is not None else _librdkafka_version()
    if not mechanism.upper().startswith("SCRAM") or found is None:
        return
    numbers, text = found
    if numbers < SCRAM_SINCE:
        raise ValueError(
            f"sasl.mechanism={mechanism} does not work with librdkafka {text} against Kafka 4 brokers (SCRAM needs"
            f" librdkafka {'.'.join(map(str, SCRAM_SINCE))} or later); use the same login over PLAIN inside TLS:"
            " `aen broker --secure` writes NAME-plain.properties beside NAME.properties, or set"
            " sasl.mechanism=PLAIN with a PlainLoginModule sasl.jaas.config on a listener that enables PLAIN")


def client_config(java_properties):
    """librdkafka settings for the Java client settings of aen's --command-config file.

    Translates what a secured cluster needs (SASL username and password from sasl.jaas.config, a PEM trust
    store to ssl.ca.location, a PEM client key and certificate); refuses what it cannot translate, naming the
    key, never the value.
    """
    out = {}
    for key, value in java_properties.items():
        if key in _SAME_KEYS:
            out[key] = value
        elif key == "sasl.jaas.config":
            for field, target in (("username", "sasl.username"), ("password", "sasl.password")):
                m = re.search(_JAAS_VALUE.format(field), value)
                if m:
                    out[target] = m.group(1).replace('\\"', '"')
        elif key == "ssl.truststore.location":
            if java_properties.get("ssl.truststore.type", "").upper() != "PEM":
                raise ValueError("ssl.truststore.location: the Python producer takes a PEM trust store only"
                                 " (ssl.truststore.type=PEM)")
            out["ssl.ca.location"] = value
        elif key == "ssl.keystore.location":
            if java_properties.get("ssl.keystore.type", "").upper() != "PEM":
                raise ValueError("ssl.keystore.location: the Python producer takes a PEM key store only")
            out["ssl.certificate.location"] = value
            out["ssl.key.location"] = value
        elif key in ("ssl.truststore.type", "ssl.keystore.type", "bootstrap.servers"):
            continue
        elif key in ("ssl.key.password", "ssl.keystore.password"):
            out["ssl.key.password"] = value
        else:
            print(f"aen_stream: ignoring Java-only client setting {key}", file=sys.stderr)
    check_mechanism(out)
    return out
