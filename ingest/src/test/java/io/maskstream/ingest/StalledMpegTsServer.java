package io.maskstream.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP server whose MPEG-TS never completes FFmpeg's stream probe: it sends the program tables
 * of a real clip (PAT and PMT announce a video stream) but null packets instead of the video, at a
 * steady rate, for as long as the client reads. FFmpeg's read timeouts never fire because bytes
 * keep arriving, so only a wall-clock limit on opening ends the attempt.
 */
final class StalledMpegTsServer implements AutoCloseable {
  private static final int PACKET = 188;

  private final byte[] stream;
  private final ServerSocket server;
  private final Thread thread;
  private final AtomicInteger connections = new AtomicInteger();
  private volatile boolean open = true;

  /** Serves on {@code port} the tables of {@code tsClip} (an MPEG-TS file) without its video. */
  StalledMpegTsServer(Path tsClip, int port) throws IOException {
    this.stream = tablesOnly(Files.readAllBytes(tsClip));
    this.server = new ServerSocket(port, 8, InetAddress.getLoopbackAddress());
    this.thread = new Thread(this::serve, "stalled-mpegts-server");
    thread.setDaemon(true);
    thread.start();
  }

  /** Clients that connected so far. */
  int connections() {
    return connections.get();
  }

  /** PAT, PMT and SDT kept, every other packet replaced by a null packet. */
  static byte[] tablesOnly(byte[] ts) {
    byte[] out = ts.clone();
    int tables = 0;
    for (int at = 0; at + PACKET <= out.length; at += PACKET) {
      if (out[at] != 0x47) {
        throw new IllegalArgumentException("not MPEG-TS at byte " + at);
      }
      int pid = ((out[at + 1] & 0x1F) << 8) | (out[at + 2] & 0xFF);
      // ffmpeg's muxer: PAT 0, SDT 0x11, PMT 0x1000
      if (pid == 0 || pid == 0x11 || pid == 0x1000) {
        tables++;
        continue;
      }
      out[at + 1] = 0x1F;
      out[at + 2] = (byte) 0xFF;
      out[at + 3] = 0x10;
      java.util.Arrays.fill(out, at + 4, at + PACKET, (byte) 0xFF);
    }
    if (tables == 0) {
      throw new IllegalArgumentException("no program tables in the clip");
    }
    return out;
  }

  private void serve() {
    while (open) {
      try {
        Socket client = server.accept();
        connections.incrementAndGet();
        Thread t = new Thread(() -> send(client), "stalled-mpegts-client");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void send(Socket client) {
    try (client;
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream()) {
      // the request ends with an empty line
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          return;
        }
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      out.write(
          "HTTP/1.1 200 OK\r\nContent-Type: video/mp2t\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      // about 190 kB/s: 10 packets every 10 ms
      int at = 0;
      while (open) {
        int n = Math.min(10 * PACKET, stream.length - at);
        out.write(stream, at, n);
        out.flush();
        at = (at + n) % stream.length;
        Thread.sleep(10);
      }
    } catch (IOException | InterruptedException e) {
      // the client went away
    }
  }

  @Override
  public void close() throws IOException {
    open = false;
    server.close();
  }
}
