package io.maskstream.detector.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Ed25519 signatures of published models, with the JDK's own implementation: {@code publish --sign
 * KEY} signs what it announces, and a detector given trusted public keys ({@code detect --trust})
 * swaps only to models signed by one of them.
 *
 * <p>What is signed is the model's name and the sha256 of its file ({@link #message}): the file,
 * with the class names and contract in its metadata, is bound by its hash, and the name binds the
 * announcement to the models it may replace. Keys are files in PEM: the private key PKCS#8 ({@code
 * -----BEGIN PRIVATE KEY-----}, written readable by its owner only), the public key X.509 ({@code
 * -----BEGIN PUBLIC KEY-----}), as {@code openssl genpkey -algorithm ed25519} writes them. A key is
 * named by its id: the first 16 hex digits of the sha256 of its encoded public key. Stateless; the
 * {@link Trust} sets are immutable.
 */
public final class ModelSignatures {
  /** The signature algorithm. */
  public static final String ALGORITHM = "Ed25519";

  private ModelSignatures() {}

  /** The bytes that are signed for a model {@code name} whose file has {@code sha256} (hex). */
  public static byte[] message(String name, String sha256) {
    return ("maskstream model\nname=" + name + "\nsha256=" + sha256.toLowerCase(Locale.ROOT) + "\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  /** A new key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " missing from the JDK", e);
    }
  }

  /** The id of a public key: 16 hex digits of the sha256 of its X.509 encoding. */
  public static String keyId(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 missing from the JDK", e);
    }
  }

  /** Signs {@code message} with {@code key}. */
  public static byte[] sign(PrivateKey key, byte[] message) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key: " + e.getMessage(), e);
    }
  }

  /** Whether {@code signature} is {@code key}'s signature of {@code message}. */
  public static boolean verify(PublicKey key, byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false; // a malformed signature verifies nothing
    }
  }

  /** Writes {@code pair} as {@code NAME.key} (owner-only) and {@code NAME.pub} in {@code dir}. */
  public static List<Path> write(KeyPair pair, Path dir, String name) throws IOException {
    Files.createDirectories(dir);
    Path privateFile = dir.resolve(name + ".key");
    Path publicFile = dir.resolve(name + ".pub");
    for (Path p : List.of(privateFile, publicFile)) {
      if (Files.exists(p)) {
        throw new IOException(p + " exists; choose another --name or folder");
      }
    }
    Files.createFile(privateFile);
    try {
      Files.setPosixFilePermissions(privateFile, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the folder's own protection applies
    }
    Files.writeString(privateFile, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
    Files.writeString(publicFile, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    return List.of(privateFile, publicFile);
  }

  /**
   * Reads a private key file.
   *
   * @throws IOException when it cannot be read or is not an Ed25519 private key in PEM
   */
  public static PrivateKey readPrivate(Path file) throws IOException {
    byte[] der = unpem(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " is not an Ed25519 private key (" + e.getMessage() + ")", e);
    }
  }

  /**
   * Reads a public key file.
   *
   * @throws IOException when it cannot be read or is not an Ed25519 public key in PEM
   */
  public static PublicKey readPublic(Path file) throws IOException {
    byte[] der = unpem(file, "PUBLIC KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IOException(file + " is not an Ed25519 public key (" + e.getMessage() + ")", e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static byte[] unpem(Path file, String type) throws IOException {
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int a = text.indexOf(begin);
    int b = text.indexOf(end);
    if (a < 0 || b < a) {
      throw new IOException(file + " is not a PEM " + type.toLowerCase(Locale.ROOT) + " file");
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(a + begin.length(), b));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": bad base64 in the PEM block", e);
    }
  }

  /**
   * The public keys a detector trusts, by key id.
   *
   * @param keys trusted keys by id
   */
  public record Trust(Map<String, PublicKey> keys) {
    /** Copies the map. */
    public Trust {
      keys = Map.copyOf(keys);
    }

    /**
     * The keys in a {@code .pub} file, or in every {@code .pub} file of a folder.
     *
     * @throws IOException when a file cannot be read or is no public key, or the folder has none
     */
    public static Trust load(Path fileOrFolder) throws IOException {
      List<Path> files = new ArrayList<>();
      if (Files.isDirectory(fileOrFolder)) {
        try (Stream<Path> s = Files.list(fileOrFolder)) {
          s.filter(p -> p.getFileName().toString().endsWith(".pub")).sorted().forEach(files::add);
        }
        if (files.isEmpty()) {
          throw new IOException(fileOrFolder + " holds no .pub file");
        }
      } else {
        files.add(fileOrFolder);
      }
      Map<String, PublicKey> keys = new LinkedHashMap<>();
      for (Path f : files) {
        PublicKey key = readPublic(f);
        keys.put(keyId(key), key);
      }
      return new Trust(keys);
    }

    /**
     * Why a model may not serve, or null when {@code signature} by key {@code keyId} is a trusted
     * signature of the model {@code name} with file hash {@code sha256}.
     */
    public String refusal(String name, String sha256, String keyId, byte[] signature) {
      if (signature == null || keyId == null) {
        return "the model is not signed, and this detector trusts only signed models (--trust)";
      }
      PublicKey key = keys.get(keyId);
      if (key == null) {
        return "the model is signed by key " + keyId + ", which this detector does not trust";
      }
      if (!verify(key, message(name, sha256), signature)) {
        return "the signature by key " + keyId + " does not match the model's name and sha256";
      }
      return null;
    }
  }
}
