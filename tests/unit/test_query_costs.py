"""What answering a query must not cost: no process spawned for
QueryClusterInfo (RAPI /2/info), whatever the number of calls."""

import platform
import subprocess

from ganeti.cmdlib import cluster as cmdlib_cluster
from instance_fakes import MakeConfig


def test_cluster_info_spawns_no_process(tmp_path, monkeypatch):
    cfg = MakeConfig(str(tmp_path / "config.data"))
    spawned = []

    def no_spawn(*args, **kwargs):
        spawned.append(args)
        raise OSError("no process may be started")
    monkeypatch.setattr(subprocess, "Popen", no_spawn)
    for _ in range(3):
        info = cmdlib_cluster.ClusterInfo(cfg)
    assert spawned == []
    assert info["architecture"] == [
        "64bits" if platform.architecture()[0] == "64bit" else "32bits",
        platform.machine()]


def test_bulk_lists_use_plain_values_of_the_same_query(tmp_path):
    """RAPI bulk lists ask LUXI for plain values (QueryInstances & co.: no
    [status, value] pair per value to encode and decode); the answer is the
    same as from Query's rows."""
    import email.message
    import json as json_mod

    from ganeti.cmdlib import query as cmdlib_query
    from ganeti.rapi import connector, rlib2, users
    from instance_fakes import Context, FakeNodes, MASTER
    from ganeti import objects

    cfg = MakeConfig(str(tmp_path / "config.data"))
    ctx = Context(cfg, FakeNodes())
    for i, state in enumerate(["up", "down"]):
        cfg.AddInstance(objects.Instance(
            name="inst%d.example.com" % i, uuid="inst-uuid-%d" % i,
            primary_node="node-uuid-1", os="debootstrap+default",
            hypervisor="fake", admin_state=state, admin_state_source="admin",
            nics=[objects.NIC(mac="aa:00:00:00:00:0%d" % i,
                              uuid="nic-uuid-%d" % i, nicparams={})],
            disks=[], disk_template="diskless", beparams={}, hvparams={},
            osparams={}, tags=[], ctime=1.0, mtime=1.0, serial_no=1), [])
    ctx.fake.nodes[MASTER].running["inst0.example.com"] = 128
    calls = []

    class Luxi:
        def QueryInstances(self, names, fields, use_locking):
            calls.append(("QueryInstances", names, fields))
            return cmdlib_query.RunOldStyleQuery(ctx, "instance", names,
                                                 fields)

        def Close(self):
            pass
    (tmp_path / "users").write_text("")
    conn = connector.RapiConnector(users.UsersFile(str(tmp_path / "users")),
                                   client_factory=Luxi)
    status, _, body = conn("GET", "/2/instances?bulk=1",
                           email.message.Message(), b"")
    assert status == 200
    assert calls == [("QueryInstances", [], rlib2.I_FIELDS)]
    answer = cmdlib_query.RunQuery(ctx, "instance", rlib2.I_FIELDS, None)
    expected = [dict(zip(rlib2.I_FIELDS, row)) for row in
                rlib2._Rows(json_mod.loads(json_mod.dumps(answer)))]
    for row in expected:
        rlib2._FixInstance(row)
    assert json_mod.loads(body) == json_mod.loads(json_mod.dumps(expected))
    assert [row["status"] for row in json_mod.loads(body)] == \
        ["running", "ADMIN_down"]
