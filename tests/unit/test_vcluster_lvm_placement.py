"""The testbed's lvm wrapper places new LVs in the middle of the PV's
largest free range, so that an LV followed by another (a DRBD disk's data
LV and then its meta LV) can still grow in place: the emulation's loop
device stands only for a contiguous LV."""

from ganeti.tools import vcluster_lvm as V

EXTENT = 4 << 20


def test_extents_asked_for():
    assert V.NewLvExtents(["-L128m", "-nx", "-i1", "xenvg"], EXTENT) == 32
    assert V.NewLvExtents(["-L", "1g", "-n", "x", "xenvg"], EXTENT) == 256
    assert V.NewLvExtents(["-L130", "-nx", "xenvg"], EXTENT) == 33   # MiB, rounded up
    assert V.NewLvExtents(["-l", "7", "-nx", "xenvg"], EXTENT) == 7
    assert V.NewLvExtents(["-L128m", "-i2", "-nx", "xenvg"], EXTENT) is None
    assert V.NewLvExtents(["-L128m", "-s", "-nx", "xenvg/y"], EXTENT) is None


def test_new_lvs_go_to_the_middle_of_the_largest_free_range():
    assert V.SpreadPlacement([(0, 6143)], 32) == (3055, 3086)
    # the largest range wins; an LV bigger than half of it starts it
    assert V.SpreadPlacement([(0, 10), (100, 1000)], 30) == (585, 614)
    assert V.SpreadPlacement([(0, 10), (100, 1000)], 600) == (100, 699)
    assert V.SpreadPlacement([(0, 10)], 11) is None
    assert V.SpreadPlacement([], 1) is None
