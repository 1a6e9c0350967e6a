package io.maskstream.broker.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What Linux's {@code /proc/PID/status} says of a process's memory and threads, as soaks and memory
 * benchmarks sample them.
 *
 * @param rssKb resident set size now ({@code VmRSS}), KiB
 * @param peakRssKb the highest resident set size so far ({@code VmHWM}), KiB
 * @param threads threads now ({@code Threads})
 * @param rssAnonKb the anonymous part of the resident set ({@code RssAnon}: heaps, stacks), KiB; -1
 *     where the kernel does not say
 * @param rssFileKb the file-backed part ({@code RssFile}: mapped jars, libraries, index files),
 *     KiB; -1 where the kernel does not say
 */
public record ProcStatus(long rssKb, long peakRssKb, int threads, long rssAnonKb, long rssFileKb) {

  /**
   * Reads the status of process {@code pid}.
   *
   * @throws IOException when the process is gone or the file lacks a field
   */
  public static ProcStatus read(long pid) throws IOException {
    long rss = -1;
    long peak = -1;
    int threads = -1;
    long anon = -1;
    long file = -1;
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
      if (line.startsWith("VmRSS:")) {
        rss = kib(line);
      } else if (line.startsWith("VmHWM:")) {
        peak = kib(line);
      } else if (line.startsWith("RssAnon:")) {
        anon = kib(line);
      } else if (line.startsWith("RssFile:")) {
        file = kib(line);
      } else if (line.startsWith("Threads:")) {
        threads = Integer.parseInt(line.substring("Threads:".length()).trim());
      }
    }
    if (rss < 0 || peak < 0 || threads < 0) {
      throw new IOException("/proc/" + pid + "/status has no VmRSS, VmHWM or Threads line");
    }
    return new ProcStatus(rss, peak, threads, anon, file);
  }

  private static long kib(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]", ""));
  }
}
