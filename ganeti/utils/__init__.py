"""ganeti.utils package.

The most used helpers are reachable as utils.<Name> (e.g. utils.RunCmd);
they are imported on first use so that importing one utils module (as every
command line program does) stays cheap.
"""

import importlib

_LAZY = {
    "ganeti.utils.io": (
        "CreateBackup", "EnsureDirs", "FileLock", "IsBelowDir", "IsNormAbsPath",
        "ListVisibleFiles", "LockFile", "MakeDirWithPerm", "PathJoin",
        "ReadBinaryFile", "ReadFile", "ReadOneLineFile", "RemoveDir",
        "RemoveFile", "RenameFile", "TailFile", "WriteFile"),
    "ganeti.utils.log": ("SetupLogging",),
    "ganeti.utils.process": (
        "CloseFDs", "Daemonize", "IsProcessAlive", "KillProcess",
        "ReadLockedPidFile", "ReadPidFile", "RemovePidFile", "RunCmd",
        "RunParts", "RunResult", "ShellQuote", "ShellQuoteArgs", "StartDaemon",
        "WritePidFile"),
}
_WHERE = {name: mod for mod, names in _LAZY.items() for name in names}


def __getattr__(name):
    modname = _WHERE.get(name)
    if modname is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    return getattr(importlib.import_module(modname), name)
