package io.maskstream.ingest;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal RTSP server in the role of an IP camera, for RTP interleaved over TCP only: it answers
 * OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER and TEARDOWN, describes the stream with the SDP
 * that ffmpeg's RTP muxer wrote, and forwards the RTP packets ffmpeg sends to a local UDP port to
 * every playing client as {@code $}-framed data on channel 0. A SETUP that asks for UDP is refused
 * with 461, so a client can only play over TCP.
 *
 * <p>The media comes from a real encoder ({@link FfmpegSender#rtp}); the signalling is this small
 * server's, since Debian's ffmpeg cannot serve RTSP to a player.
 */
final class RtspTcpServer implements AutoCloseable {
  private final Path sdpFile;
  private final ServerSocket server;
  private final DatagramSocket rtp;
  private final DatagramSocket rtcp;
  private final List<Session> playing = new CopyOnWriteArrayList<>();
  private final AtomicInteger plays = new AtomicInteger();
  private final AtomicInteger refusedUdp = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean open = true;

  private static final class Session {
    final OutputStream out;

    Session(OutputStream out) {
      this.out = out;
    }

    synchronized void write(byte[] bytes, int length) throws IOException {
      out.write(bytes, 0, length);
      out.flush();
    }
  }

  /**
   * Serves RTSP on {@code rtspPort}, describing the stream with {@code sdpFile} and relaying the
   * RTP packets that arrive at {@link #rtpPort()}.
   */
  RtspTcpServer(int rtspPort, Path sdpFile) throws IOException {
    this.sdpFile = sdpFile;
    DatagramSocket[] pair = udpPair();
    this.rtp = pair[0];
    this.rtcp = pair[1];
    this.server = new ServerSocket(rtspPort, 8, InetAddress.getLoopbackAddress());
    daemon(this::relay, "rtsp-relay");
    daemon(this::accept, "rtsp-accept");
  }

  /** Two UDP sockets on consecutive ports, as RTP and RTCP want. */
  private static DatagramSocket[] udpPair() throws IOException {
    for (int attempt = 0; attempt < 50; attempt++) {
      DatagramSocket first = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
      int port = first.getLocalPort();
      if (port % 2 == 0 && port < 65535) {
        try {
          return new DatagramSocket[] {
            first, new DatagramSocket(new InetSocketAddress("127.0.0.1", port + 1))
          };
        } catch (IOException taken) {
          // try another pair
        }
      }
      first.close();
    }
    throw new IOException("no free pair of UDP ports");
  }

  /** Where ffmpeg sends RTP (RTCP goes to the next port). */
  int rtpPort() {
    return rtp.getLocalPort();
  }

  /** PLAY requests answered so far. */
  int plays() {
    return plays.get();
  }

  /** SETUP requests refused because they asked for UDP. */
  int refusedUdp() {
    return refusedUdp.get();
  }

  private void daemon(Runnable task, String name) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    threads.add(thread);
    thread.start();
  }

  private void relay() {
    byte[] buffer = new byte[65536];
    DatagramPacket packet = new DatagramPacket(buffer, 4, buffer.length - 4);
    while (open) {
      try {
        packet.setData(buffer, 4, buffer.length - 4);
        rtp.receive(packet);
        int length = packet.getLength();
        buffer[0] = '$';
        buffer[1] = 0;
        buffer[2] = (byte) (length >> 8);
        buffer[3] = (byte) length;
        for (Session session : playing) {
          try {
            session.write(buffer, length + 4);
          } catch (IOException gone) {
            playing.remove(session);
          }
        }
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void accept() {
    while (open) {
      try {
        Socket client = server.accept();
        daemon(() -> serve(client), "rtsp-client");
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket) {
    Session session = null;
    try (socket;
        DataInputStream in =
            new DataInputStream(new BufferedInputStream(socket.getInputStream()))) {
      OutputStream out = socket.getOutputStream();
      session = new Session(out);
      while (open) {
        int first = in.read();
        if (first < 0) {
          return;
        }
        if (first == '$') {
          // interleaved data from the client (RTCP receiver reports): skip it
          in.readUnsignedByte();
          in.skipNBytes(in.readUnsignedShort());
          continue;
        }
        List<String> lines = readHead(in, (char) first);
        if (lines.isEmpty()) {
          continue;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            headers.put(
                line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                line.substring(colon + 1).trim());
          }
        }
        int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
        in.skipNBytes(length);
        String[] request = lines.get(0).split(" ");
        String method = request[0];
        String url = request.length > 1 ? request[1] : "";
        String cseq = headers.getOrDefault("cseq", "0");
        switch (method) {
          case "OPTIONS" ->
              respond(
                  session,
                  cseq,
                  "200 OK",
                  "Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN\r\n",
                  null);
          case "DESCRIBE" -> {
            String sdp = describe();
            if (sdp == null) {
              respond(session, cseq, "404 Not Found", "", null);
            } else {
              respond(
                  session,
                  cseq,
                  "200 OK",
                  "Content-Base: " + url + "/\r\nContent-Type: application/sdp\r\n",
                  sdp);
            }
          }
          case "SETUP" -> {
            String transport = headers.getOrDefault("transport", "");
            if (!transport.contains("RTP/AVP/TCP")) {
              refusedUdp.incrementAndGet();
              respond(session, cseq, "461 Unsupported Transport", "", null);
            } else {
              respond(
                  session,
                  cseq,
                  "200 OK",
                  "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n"
                      + "Session: 4711;timeout=60\r\n",
                  null);
            }
          }
          case "PLAY" -> {
            respond(session, cseq, "200 OK", "Session: 4711\r\nRange: npt=0.000-\r\n", null);
            plays.incrementAndGet();
            playing.add(session);
          }
          case "TEARDOWN" -> {
            respond(session, cseq, "200 OK", "Session: 4711\r\n", null);
            return;
          }
          default -> respond(session, cseq, "200 OK", "", null);
        }
      }
    } catch (IOException e) {
      // the client went away
    } finally {
      if (session != null) {
        playing.remove(session);
      }
    }
  }

  /** The request line and headers, up to the empty line. */
  private static List<String> readHead(DataInputStream in, char first) throws IOException {
    List<String> lines = new ArrayList<>();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    line.write(first);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed");
      }
      if (b == '\n') {
        String text = line.toString(StandardCharsets.US_ASCII).strip();
        line.reset();
        if (text.isEmpty()) {
          return lines;
        }
        lines.add(text);
      } else {
        line.write(b);
      }
    }
  }

  /** ffmpeg's SDP as a server describes it: no address, no port, one control URL. */
  private String describe() throws IOException {
    if (!Files.isRegularFile(sdpFile)) {
      return null;
    }
    StringBuilder sdp = new StringBuilder();
    for (String line : Files.readAllLines(sdpFile, StandardCharsets.US_ASCII)) {
      if (line.startsWith("c=")) {
        sdp.append("c=IN IP4 0.0.0.0\r\n");
      } else if (line.startsWith("m=video")) {
        String[] parts = line.split(" ");
        parts[1] = "0";
        sdp.append(String.join(" ", parts)).append("\r\n");
        sdp.append("a=control:trackID=0\r\n");
      } else if (!line.isBlank()) {
        sdp.append(line).append("\r\n");
      }
    }
    return sdp.toString();
  }

  private static void respond(
      Session session, String cseq, String status, String headers, String body) throws IOException {
    byte[] content = body == null ? new byte[0] : body.getBytes(StandardCharsets.US_ASCII);
    String head =
        "RTSP/1.0 "
            + status
            + "\r\nCSeq: "
            + cseq
            + "\r\n"
            + headers
            + (content.length > 0 ? "Content-Length: " + content.length + "\r\n" : "")
            + "\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[headBytes.length + content.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(content, 0, all, headBytes.length, content.length);
    session.write(all, all.length);
  }

  @Override
  public void close() throws IOException {
    open = false;
    server.close();
    rtp.close();
    rtcp.close();
  }
}
