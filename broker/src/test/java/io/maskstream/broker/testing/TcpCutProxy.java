package io.maskstream.broker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a server that can be cut - its listener and every connection
 * through it closed at once, so clients see their connections reset and new ones refused, as when a
 * database host goes away - and restored on the same port.
 *
 * <p>Hand-written on the JDK: Toxiproxy needs a server of its own, and the one Java library that
 * does this in-process (NetCrusher) has had no release for years; two threads per connection
 * copying bytes are all a soak needs. Thread-safe; close it to stop listening and drop every
 * connection.
 */
public final class TcpCutProxy implements AutoCloseable {
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final int port;
  private volatile ServerSocket server;

  /** Starts listening on a free port of 127.0.0.1, forwarding to {@code host:targetPort}. */
  public TcpCutProxy(String host, int targetPort) throws IOException {
    this.target = new InetSocketAddress(host, targetPort);
    ServerSocket first = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.port = first.getLocalPort();
    listen(first);
  }

  /** The port clients connect to; the same across cuts. */
  public int port() {
    return port;
  }

  /** Connections accepted since start. */
  public int connections() {
    return connections.get();
  }

  /** Whether the proxy is cut. */
  public boolean isCut() {
    return server == null;
  }

  /** Closes the listener and every connection through the proxy; no-op when already cut. */
  public synchronized void cut() {
    ServerSocket s = server;
    server = null;
    if (s != null) {
      closeQuietly(s);
    }
    for (Socket socket : sockets) {
      try {
        socket.setSoLinger(true, 0); // a reset, as from a host that went away, not a clean close
      } catch (SocketException e) {
        // already closed
      }
      closeQuietly(socket);
    }
    sockets.clear();
  }

  /** Listens again on the same port; no-op when not cut. */
  public synchronized void restore() throws IOException {
    if (server != null) {
      return;
    }
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    listen(s);
  }

  private void listen(ServerSocket s) {
    server = s;
    Thread acceptor = new Thread(() -> accept(s), "proxy-accept-" + port);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void accept(ServerSocket s) {
    while (!s.isClosed()) {
      Socket client;
      try {
        client = s.accept();
      } catch (IOException e) {
        return; // cut or closed
      }
      connections.incrementAndGet();
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 5000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      if (server != s) { // cut while connecting
        closeQuietly(client);
        closeQuietly(upstream);
        return;
      }
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                  out.write(buffer, 0, n);
                }
              } catch (SocketException e) {
                // closed by a cut or by the peer
              } catch (IOException e) {
                // the same: the other direction's pump closes its sockets too
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "proxy-pump-" + port);
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // closing is all that is asked
    }
  }

  @Override
  public void close() {
    cut();
  }
}
