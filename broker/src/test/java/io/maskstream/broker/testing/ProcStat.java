package io.maskstream.broker.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One Linux {@code /proc/.../stat} line (of a process or of one of its threads), as benchmarks read
 * CPU time: {@code pid (comm) state ... utime stime ...}.
 */
public final class ProcStat {
  private final String comm;
  private final long cpuTicks;

  private ProcStat(String comm, long cpuTicks) {
    this.comm = comm;
    this.cpuTicks = cpuTicks;
  }

  /** Reads a stat file, e.g. {@code /proc/PID/stat} or {@code /proc/self/task/TID/stat}. */
  public static ProcStat read(Path statFile) throws IOException {
    String stat = Files.readString(statFile);
    int close = stat.lastIndexOf(')');
    String[] fields = stat.substring(close + 2).split(" ");
    // fields from the state on: utime and stime are the 14th and 15th of the whole line
    return new ProcStat(
        stat.substring(stat.indexOf('(') + 1, close),
        Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
  }

  /** The process's or thread's name (at most 15 characters). */
  public String comm() {
    return comm;
  }

  /** User plus system CPU time, in clock ticks (USER_HZ, 100 per second on Linux). */
  public long cpuTicks() {
    return cpuTicks;
  }
}
