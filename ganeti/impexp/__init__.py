"""The import/export daemon: one process per disk transfer.

An export reads a disk (a file, a raw device or an OS export script),
optionally compresses it and sends it over TLS (socat) to the import of
the receiving node, which checks the transfer's magic header, decompresses
and writes the data.  Both ends authenticate with X.509 certificates: the
cluster certificate for transfers inside a cluster, per-transfer ones
(x509_cert_create) between clusters.  Each daemon reports in a JSON status
file (listen port, connection, progress, exit status) read by impexp_status.
"""

from ganeti import constants as C

# Status file keys (impexp_status answers these as written).
ST_CTIME = "ctime"
ST_MTIME = "mtime"
ST_RECENT_OUTPUT = "recent_output"
ST_LISTEN_PORT = "listen_port"
ST_CONNECTED = "connected"
ST_PROGRESS_MBYTES = "progress_mbytes"
ST_PROGRESS_THROUGHPUT = "progress_throughput"
ST_PROGRESS_ETA = "progress_eta"
ST_PROGRESS_PERCENT = "progress_percent"
ST_EXIT_STATUS = "exit_status"
ST_ERROR_MESSAGE = "error_message"

# (compress command, decompress command) per transport compression.
COMPRESSION_COMMANDS = {
    C.IEC_GZIP: ("gzip -c", "gzip -d -c"),
    C.IEC_GZIP_FAST: ("gzip -1 -c", "gzip -d -c"),
    C.IEC_GZIP_SLOW: ("gzip -9 -c", "gzip -d -c"),
    C.IEC_LZOP: ("lzop -c", "lzop -d -c"),
}

# The first line of every transfer: this prefix and the transfer's magic.
MAGIC_PREFIX = b"GANETI-IMPEXP "
MAX_MAGIC_LEN = 256
