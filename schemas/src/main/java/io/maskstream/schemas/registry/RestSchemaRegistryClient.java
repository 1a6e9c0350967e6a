package io.maskstream.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client of the Confluent Schema Registry REST API, limited to the three calls the wire format
 * needs: {@code POST /subjects/S/versions} (register), {@code POST /subjects/S} (look up) and
 * {@code GET /schemas/ids/N} (fetch by id).
 *
 * <p>Written here because Confluent's client jars are not published on Maven Central. It uses the
 * JDK's HTTP client, tries each configured URL in turn, and caches every answer for the life of the
 * instance (registry ids are immutable). Thread-safe; holds no resources that need closing.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> baseUrls;
  private final String authorization;
  private final Duration timeout;
  private final HttpClient http;
  private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  /**
   * A client of the registry at {@code baseUrls} (tried in order).
   *
   * @param userInfo {@code user:password} for basic auth, or empty
   * @param timeoutMs timeout of each request
   */
  public RestSchemaRegistryClient(List<String> baseUrls, String userInfo, int timeoutMs) {
    if (baseUrls.isEmpty()) {
      throw new IllegalArgumentException("schema.registry.url is empty");
    }
    this.baseUrls =
        baseUrls.stream().map(u -> u.endsWith("/") ? u.substring(0, u.length() - 1) : u).toList();
    this.authorization =
        userInfo == null || userInfo.isEmpty()
            ? null
            : "Basic "
                + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    this.timeout = Duration.ofMillis(timeoutMs);
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public int register(String subject, Schema schema) {
    return idsBySubjectAndSchema.computeIfAbsent(
        "register\0" + subject + "\0" + schema,
        k -> {
          JsonNode answer = post("/subjects/" + encode(subject) + "/versions", schema);
          int id = requireId(answer, "register under " + subject);
          schemasById.putIfAbsent(id, schema);
          return id;
        });
  }

  @Override
  public int lookup(String subject, Schema schema) {
    return idsBySubjectAndSchema.computeIfAbsent(
        "lookup\0" + subject + "\0" + schema,
        k -> {
          JsonNode answer = post("/subjects/" + encode(subject), schema);
          int id = requireId(answer, "look up in " + subject);
          schemasById.putIfAbsent(id, schema);
          return id;
        });
  }

  @Override
  public Schema byId(int id) {
    return schemasById.computeIfAbsent(
        id,
        k -> {
          JsonNode answer = send("GET", "/schemas/ids/" + id, null);
          JsonNode text = answer.get("schema");
          if (text == null || !text.isTextual()) {
            throw new SchemaRegistryException(
                "schema registry answered GET /schemas/ids/" + id + " without a schema", -1, null);
          }
          String type = answer.path("schemaType").asText("AVRO");
          if (!"AVRO".equals(type)) {
            throw new SchemaRegistryException(
                "schema id " + id + " is a " + type + " schema, not Avro", -1, null);
          }
          return new Schema.Parser().parse(text.asText());
        });
  }

  private JsonNode post(String path, Schema schema) {
    try {
      String body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
      return send("POST", path, body);
    } catch (IOException e) {
      throw new SchemaRegistryException("cannot write registry request: " + e, -1, e);
    }
  }

  private JsonNode send(String method, String path, String body) {
    SchemaRegistryException last = null;
    for (String base : baseUrls) {
      HttpRequest.Builder request =
          HttpRequest.newBuilder(URI.create(base + path))
              .timeout(timeout)
              .header("Accept", CONTENT_TYPE + ", application/json");
      if (authorization != null) {
        request.header("Authorization", authorization);
      }
      if (body != null) {
        request.header("Content-Type", CONTENT_TYPE);
        request.method(method, HttpRequest.BodyPublishers.ofString(body));
      } else {
        request.method(method, HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> response;
      try {
        response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        last =
            new SchemaRegistryException(
                "schema registry at " + base + " cannot be reached (" + e + ")", -1, e);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException("interrupted calling schema registry", -1, e);
      }
      JsonNode json = parse(response.body());
      if (response.statusCode() / 100 == 2) {
        return json;
      }
      int code = json.path("error_code").asInt(response.statusCode());
      String message = json.path("message").asText(response.body());
      SchemaRegistryException error =
          new SchemaRegistryException(
              "schema registry at "
                  + base
                  + " refused "
                  + method
                  + " "
                  + path
                  + ": "
                  + code
                  + " "
                  + message,
              code,
              null);
      if (response.statusCode() < 500) {
        throw error; // the request itself is wrong; another URL would answer the same
      }
      last = error;
    }
    throw last;
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      return JSON.createObjectNode().put("message", body);
    }
  }

  private static int requireId(JsonNode answer, String what) {
    JsonNode id = answer.get("id");
    if (id == null || !id.canConvertToInt()) {
      throw new SchemaRegistryException(
          "schema registry gave no schema id to " + what + ": " + answer, -1, null);
    }
    return id.intValue();
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
