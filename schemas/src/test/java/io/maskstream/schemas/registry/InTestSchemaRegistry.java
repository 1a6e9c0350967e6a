package io.maskstream.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * The three Confluent Schema Registry endpoints the wire format uses, served by the JDK's HTTP
 * server, with the registry's id and error semantics (ids global, same schema same id, 40401
 * subject not found, 40403 schema not found, 40403 unknown id).
 */
final class InTestSchemaRegistry implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern VERSIONS = Pattern.compile("/subjects/([^/]+)/versions");
  private static final Pattern SUBJECT = Pattern.compile("/subjects/([^/]+)");
  private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(\\d+)");

  private final HttpServer server;
  private final Map<String, Integer> idsByCanonicalSchema = new HashMap<>();
  private final Map<Integer, String> schemasById = new HashMap<>();
  private final Map<String, List<Integer>> subjects = new HashMap<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  volatile String requiredAuthorization;
  volatile boolean failWith500;

  InTestSchemaRegistry() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Registers directly, as another producer would have. */
  synchronized int preRegister(String subject, Schema schema) {
    return register(subject, schema.toString());
  }

  private synchronized int register(String subject, String schemaText) {
    String canonical = new Schema.Parser().parse(schemaText).toString();
    int id =
        idsByCanonicalSchema.computeIfAbsent(
            canonical,
            c -> {
              int next = idsByCanonicalSchema.size() + 1;
              schemasById.put(next, schemaText);
              return next;
            });
    List<Integer> versions = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
    if (!versions.contains(id)) {
      versions.add(id);
    }
    return id;
  }

  private void handle(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    requests.add(method + " " + path);
    try (exchange) {
      if (failWith500) {
        reply(exchange, 500, Map.of("error_code", 50001, "message", "store error"));
        return;
      }
      String auth = requiredAuthorization;
      if (auth != null && !auth.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        reply(exchange, 401, Map.of("error_code", 401, "message", "Unauthorized"));
        return;
      }
      Matcher m;
      if ("POST".equals(method) && (m = VERSIONS.matcher(path)).matches()) {
        String subject = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        reply(exchange, 200, Map.of("id", register(subject, body.get("schema").asText())));
      } else if ("POST".equals(method) && (m = SUBJECT.matcher(path)).matches()) {
        String subject = URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        String canonical = new Schema.Parser().parse(body.get("schema").asText()).toString();
        synchronized (this) {
          List<Integer> versions = subjects.get(subject);
          Integer id = idsByCanonicalSchema.get(canonical);
          if (versions == null) {
            reply(exchange, 404, Map.of("error_code", 40401, "message", "Subject not found."));
          } else if (id == null || !versions.contains(id)) {
            reply(exchange, 404, Map.of("error_code", 40403, "message", "Schema not found"));
          } else {
            reply(
                exchange,
                200,
                Map.of(
                    "subject",
                    subject,
                    "version",
                    versions.indexOf(id) + 1,
                    "id",
                    id,
                    "schema",
                    schemasById.get(id)));
          }
        }
      } else if ("GET".equals(method) && (m = BY_ID.matcher(path)).matches()) {
        String schema;
        synchronized (this) {
          schema = schemasById.get(Integer.parseInt(m.group(1)));
        }
        if (schema == null) {
          reply(exchange, 404, Map.of("error_code", 40403, "message", "Schema not found"));
        } else {
          reply(exchange, 200, Map.of("schema", schema));
        }
      } else {
        reply(exchange, 404, Map.of("error_code", 404, "message", "HTTP 404 Not Found"));
      }
    }
  }

  private static void reply(HttpExchange exchange, int status, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
