"""resize_disk on KVM: QMP block_resize of a running qemu's drive (real
qemu, TCG, paused), and the refusals around it."""

import os

import pytest

from ganeti import errors
from ganeti.backend import instance as bi
from ganeti import hypervisor
from ganeti.hypervisor import hv_kvm
from ganeti.hypervisor import hv_kvm_qmp as qmp

from test_hv_kvm import (_disk, _free_port, _qemu_instance, needs_qemu,
                         short_root)  # noqa: F401 (fixture)

MIB = 1024 * 1024


def _drive_size(paths, drive_id):
    for block in qmp.Run(paths.qmp, "query-block"):
        if block.get("qdev", "").endswith(drive_id) or \
                block.get("device") == drive_id:
            return block["inserted"]["image"]["virtual-size"]
    raise AssertionError("no drive %s" % drive_id)


@needs_qemu
def test_real_qemu_resize_disk(short_root, monkeypatch):  # noqa: F811
    root, started = short_root
    kvm = hv_kvm.KVMHypervisor(run_dir=os.path.join(root, "kvm"))
    started.append(kvm)
    inst = _qemu_instance(_free_port())
    disk = _disk(0)
    image = os.path.join(root, "disk0.img")
    with open(image, "wb") as handle:
        handle.truncate(2 * MIB)
    with pytest.raises(errors.HypervisorError, match="is not running"):
        kvm.ResizeDisk(inst, disk, 4)
    kvm.StartInstance(inst, [[disk, image, None]], True)
    paths = kvm._Paths(inst.name)
    assert _drive_size(paths, "disk-00000000-2573-4112") == 2 * MIB
    with open(image, "r+b") as handle:     # the volume grew underneath
        handle.truncate(4 * MIB)
    monkeypatch.setattr(hypervisor, "GetHypervisor", lambda name: kvm)
    idict = inst.ToDict()
    assert bi.ResizeDisk(idict, disk, 4) is None
    assert _drive_size(paths, "disk-00000000-2573-4112") == 4 * MIB
    other = dict(disk, uuid="99999999-2573-4112-82d0-0d3d2aa90d8f")
    with pytest.raises(bi.RPCFail, match="Failed to resize disk: Disk"
                       " 99999999-2573-4112-82d0-0d3d2aa90d8f is not"
                       " attached to instance inst1"):
        bi.ResizeDisk(idict, other, 4)
    kvm.StopInstance(inst, force=True)
