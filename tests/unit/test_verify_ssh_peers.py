"""Which nodes check which by SSH during cluster verify."""

from ganeti.cmdlib import verify


def test_small_groups_are_all_to_all():
    names = ["n%d" % i for i in range(verify.SSH_CHECK_PEERS + 1)]
    peers = verify._SshPeers(names, [])
    for name in names:
        assert sorted(peers[name]) == sorted(set(names) - {name})


def test_large_group_ring_checks_every_node_k_times():
    names = ["node%d" % i for i in range(1, 41)]
    peers = verify._SshPeers(names, ["other-group-node"])
    checked_by = {name: 0 for name in names}
    for name, targets in peers.items():
        assert name not in targets
        assert targets[-1] == "other-group-node"
        assert len(targets) == verify.SSH_CHECK_PEERS + 1
        for target in targets[:-1]:
            checked_by[target] += 1
    assert set(checked_by.values()) == {verify.SSH_CHECK_PEERS}


def test_single_node():
    assert verify._SshPeers(["only"], []) == {"only": []}
