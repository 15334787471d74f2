"""The master's filter rule methods in process: a LUXI client calling the
real LuxiHandler over a real ConfigWriter (shared by the gnt-filter and
RAPI /2/filters tests)."""

import json
import types

from ganeti import constants
from ganeti import objects
from ganeti import serializer
from ganeti.config import ConfigWriter
from ganeti.server.luxi_handler import LuxiHandler


class FakeQueue:
    """The two job queue calls the filter methods make."""

    def __init__(self):
        self.highest = 41
        self.changed = 0

    def GetHighestJobId(self):
        return self.highest

    def FiltersChanged(self):
        self.changed += 1


class HandlerClient:
    """A LUXI client calling LuxiHandler directly, arguments and answers
    through JSON like on the socket."""

    def __init__(self, tmp_path):
        self.path = tmp_path / "config.data"
        data = objects.ConfigData(
            version=constants.CONFIG_VERSION,
            cluster=objects.Cluster(cluster_name="cluster.example.com",
                                    tags=[]),
            nodes={}, nodegroups={}, instances={}, networks={}, disks={},
            filters={}, serial_no=1)
        self.cfg = ConfigWriter(cfg_file=str(self.path), data=data)
        self.queue = FakeQueue()
        self.handler = LuxiHandler(types.SimpleNamespace(
            cfg=self.cfg, jobqueue=self.queue))
        self.calls = []

    def __getattr__(self, method):
        def call(*args):
            args = serializer.LoadJson(serializer.DumpJson(list(args)))
            self.calls.append((method, args))
            return serializer.LoadJson(serializer.DumpJson(
                self.handler(method, args)))
        return call

    def Close(self):
        pass

    def Stored(self):
        """The filters of the written config.data ({} before any write)."""
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text())["filters"]
