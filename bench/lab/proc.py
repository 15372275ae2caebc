"""What a process costs, read from /proc: peak and current resident memory, CPU time."""
import os

_TICKS = os.sysconf("SC_CLK_TCK")


def memory_kib(pid):
    """{'VmHWM': peak resident KiB, 'VmRSS': resident KiB now}."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0])
    return out


def cpu_seconds(pid):
    """User + system CPU time the process has used so far (its own threads, not children)."""
    with open(f"/proc/{pid}/stat") as f:
        # The command name (field 2) may hold spaces: split after its closing parenthesis.
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15)
