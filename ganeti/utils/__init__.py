"""ganeti.utils package."""

# Re-exports of the most used helpers, so callers can write utils.RunCmd.
from ganeti.utils.io import (  # noqa: F401
    CreateBackup, EnsureDirs, FileLock, IsBelowDir, IsNormAbsPath,
    ListVisibleFiles, LockFile, MakeDirWithPerm, PathJoin, ReadBinaryFile,
    ReadFile, ReadOneLineFile, RemoveDir, RemoveFile, RenameFile, TailFile,
    WriteFile)
from ganeti.utils.log import SetupLogging  # noqa: F401
from ganeti.utils.process import (  # noqa: F401
    CloseFDs, Daemonize, IsProcessAlive, KillProcess, ReadLockedPidFile,
    ReadPidFile, RemovePidFile, RunCmd, RunParts, RunResult, ShellQuote,
    ShellQuoteArgs, StartDaemon, WritePidFile)
