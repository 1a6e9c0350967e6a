package io.maskstream.schemas.registry;

import org.apache.avro.Schema;

/** The few schema registry operations the Confluent wire format needs. Implementations cache. */
public interface SchemaRegistryClient {
  /**
   * Registers {@code schema} under {@code subject} (or finds it already there).
   *
   * @return the registry's global id of the schema
   * @throws SchemaRegistryException when the registry refuses or cannot be reached
   */
  int register(String subject, Schema schema);

  /**
   * Looks up the id of {@code schema}, which must already be registered under {@code subject}.
   *
   * @throws SchemaRegistryException when it is not registered or the registry cannot be reached
   */
  int lookup(String subject, Schema schema);

  /**
   * The schema with global id {@code id}.
   *
   * @throws SchemaRegistryException when there is none or the registry cannot be reached
   */
  Schema byId(int id);
}
