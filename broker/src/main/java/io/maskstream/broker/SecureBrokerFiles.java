package io.maskstream.broker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The secrets of a secured {@link EmbeddedKafka}, kept in one folder: created on first use, reused
 * afterwards.
 *
 * <ul>
 *   <li>{@value #CA_PEM}: the certificate of the broker's own certificate authority (PEM, for any
 *       client), {@value #TRUSTSTORE}: the same as a PKCS#12 trust store;
 *   <li>{@value #BROKER_KEYSTORE}: the broker's key and certificate (SAN {@code localhost} and
 *       {@code 127.0.0.1}), which it also uses as its own client on the internal listeners;
 *   <li>{@code ROLE.p12}: a client key and certificate per {@link BrokerRole} (CN = its user name),
 *       for the mutual-TLS listener;
 *   <li>{@value #SECRETS}: the store passwords and each role's SCRAM-SHA-512 password;
 *   <li>{@code ROLE.properties}: ready-made client settings per role for {@code --kafka-config},
 *       rewritten on each start with the broker's current address.
 * </ul>
 *
 * The CA's private key is not kept: new certificates need a new folder. Every file is written
 * owner-only ({@code rw-------}) where the file system has POSIX permissions.
 */
public final class SecureBrokerFiles {
  /** The CA certificate, PEM. */
  public static final String CA_PEM = "ca.crt";

  /** The CA certificate as a PKCS#12 trust store. */
  public static final String TRUSTSTORE = "truststore.p12";

  /** The broker's key store. */
  public static final String BROKER_KEYSTORE = "broker.p12";

  /** Passwords: {@code store.password} and {@code user.NAME.password}. */
  public static final String SECRETS = "secrets.properties";

  /** The user (and certificate CN) of the broker itself, a super user. */
  public static final String BROKER_USER = "broker";

  /** The SASL mechanism of the client listener. */
  public static final String SCRAM_MECHANISM = "SCRAM-SHA-512";

  private static final Duration VALIDITY = Duration.ofDays(5 * 366);
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER_ONLY_DIR =
      PosixFilePermissions.fromString("rwx------");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final String storePassword;
  private final Map<BrokerRole, String> passwords;

  private SecureBrokerFiles(Path dir, String storePassword, Map<BrokerRole, String> passwords) {
    this.dir = dir;
    this.storePassword = storePassword;
    this.passwords = passwords;
  }

  /**
   * Loads the secrets in {@code dir}, or creates them all when {@value #SECRETS} is missing.
   *
   * @throws BrokerException when the folder cannot be written or read
   */
  public static SecureBrokerFiles createOrLoad(Path dir) {
    Path folder = dir.toAbsolutePath();
    try {
      if (Files.isRegularFile(folder.resolve(SECRETS))) {
        return load(folder);
      }
      return create(folder);
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new BrokerException(
          "Cannot prepare the broker's secrets in " + folder + ": " + e.getMessage(), e);
    }
  }

  private static SecureBrokerFiles load(Path dir) throws IOException {
    Properties secrets = new Properties();
    try (Reader in = Files.newBufferedReader(dir.resolve(SECRETS))) {
      secrets.load(in);
    }
    String store = required(secrets, "store.password", dir);
    Map<BrokerRole, String> passwords = new EnumMap<>(BrokerRole.class);
    for (BrokerRole role : BrokerRole.values()) {
      passwords.put(role, required(secrets, "user." + role.userName() + ".password", dir));
    }
    for (String file : new String[] {TRUSTSTORE, BROKER_KEYSTORE}) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IOException(file + " is missing; delete " + SECRETS + " to create new secrets");
      }
    }
    return new SecureBrokerFiles(dir, store, passwords);
  }

  private static String required(Properties p, String key, Path dir) throws IOException {
    String value = p.getProperty(key);
    if (value == null || value.isBlank()) {
      throw new IOException(dir.resolve(SECRETS) + " has no " + key);
    }
    return value;
  }

  private static SecureBrokerFiles create(Path dir)
      throws IOException, GeneralSecurityException, OperatorCreationException {
    createPrivateDirectory(dir);
    String store = randomSecret();
    Map<BrokerRole, String> passwords = new EnumMap<>(BrokerRole.class);
    for (BrokerRole role : BrokerRole.values()) {
      passwords.put(role, randomSecret());
    }
    KeyPair caKeys = newKeyPair();
    X509Certificate ca = caCertificate(caKeys);
    writePem(dir.resolve(CA_PEM), ca);
    KeyStore trust = emptyStore();
    trust.setCertificateEntry("maskstream-ca", ca);
    writeStore(dir.resolve(TRUSTSTORE), trust, store);

    KeyPair brokerKeys = newKeyPair();
    X509Certificate broker = leafCertificate(caKeys, ca, brokerKeys, BROKER_USER, true);
    writeKeyStore(dir.resolve(BROKER_KEYSTORE), BROKER_USER, brokerKeys, broker, ca, store);
    for (BrokerRole role : BrokerRole.values()) {
      KeyPair keys = newKeyPair();
      X509Certificate cert = leafCertificate(caKeys, ca, keys, role.userName(), false);
      writeKeyStore(dir.resolve(role.userName() + ".p12"), role.userName(), keys, cert, ca, store);
    }

    Map<String, String> secrets = new LinkedHashMap<>();
    secrets.put("store.password", store);
    passwords.forEach(
        (role, password) -> secrets.put("user." + role.userName() + ".password", password));
    // written last: its presence says that the folder is complete
    writeProperties(
        dir.resolve(SECRETS),
        "Passwords of the maskstream secured broker's key stores and users; keep it private",
        secrets);
    return new SecureBrokerFiles(dir, store, passwords);
  }

  /** The folder. */
  public Path dir() {
    return dir;
  }

  /** The password of every key and trust store in the folder. */
  public String storePassword() {
    return storePassword;
  }

  /** The SCRAM password of {@code role}'s user. */
  public String password(BrokerRole role) {
    return passwords.get(role);
  }

  /** The trust store with the CA certificate. */
  public Path truststore() {
    return dir.resolve(TRUSTSTORE);
  }

  /** The broker's key store. */
  public Path brokerKeystore() {
    return dir.resolve(BROKER_KEYSTORE);
  }

  /** The client key store of {@code role} (certificate CN = its user name). */
  public Path keystore(BrokerRole role) {
    return dir.resolve(role.userName() + ".p12");
  }

  /** The client properties file of {@code role}. */
  public Path clientProperties(BrokerRole role) {
    return dir.resolve(role.userName() + ".properties");
  }

  /** The client properties file of {@code role} for the mutual-TLS listener. */
  public Path mtlsClientProperties(BrokerRole role) {
    return dir.resolve(role.userName() + "-mtls.properties");
  }

  /**
   * The client settings of {@code role} on the SASL_SSL listener at {@code bootstrap}:
   * SCRAM-SHA-512 with its user and password, trusting the CA.
   */
  public Map<String, String> saslClientConfig(BrokerRole role, String bootstrap) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("security.protocol", "SASL_SSL");
    p.put("sasl.mechanism", SCRAM_MECHANISM);
    p.put("sasl.jaas.config", scramJaas(role.userName(), password(role)));
    putTrust(p);
    return p;
  }

  /** The client settings of {@code role} on the mutual-TLS listener at {@code bootstrap}. */
  public Map<String, String> mtlsClientConfig(BrokerRole role, String bootstrap) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("security.protocol", "SSL");
    putTrust(p);
    p.put("ssl.keystore.location", keystore(role).toString());
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.password", storePassword);
    p.put("ssl.key.password", storePassword);
    return p;
  }

  /** The broker's own client settings for its internal mutual-TLS listener at {@code bootstrap}. */
  Map<String, String> brokerClientConfig(String bootstrap) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("bootstrap.servers", bootstrap);
    p.put("security.protocol", "SSL");
    putTrust(p);
    p.put("ssl.keystore.location", brokerKeystore().toString());
    p.put("ssl.keystore.type", "PKCS12");
    p.put("ssl.keystore.password", storePassword);
    p.put("ssl.key.password", storePassword);
    return p;
  }

  /** A SCRAM login line for {@code sasl.jaas.config}. */
  public static String scramJaas(String user, String password) {
    return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\";";
  }

  /**
   * Writes (or rewrites) every role's client properties files for the listeners at {@code
   * saslBootstrap} and {@code mtlsBootstrap}.
   */
  void writeClientProperties(String saslBootstrap, String mtlsBootstrap) {
    try {
      for (BrokerRole role : BrokerRole.values()) {
        writeProperties(
            clientProperties(role),
            "maskstream client settings of user "
                + role.userName()
                + " (SASL_SSL, SCRAM-SHA-512) for --kafka-config; keep it private",
            saslClientConfig(role, saslBootstrap));
        writeProperties(
            mtlsClientProperties(role),
            "maskstream client settings of user "
                + role.userName()
                + " (mutual TLS) for --kafka-config; keep it private",
            mtlsClientConfig(role, mtlsBootstrap));
      }
    } catch (IOException e) {
      throw new BrokerException("Cannot write the client properties in " + dir + ": " + e, e);
    }
  }

  private void putTrust(Map<String, String> p) {
    p.put("ssl.truststore.location", truststore().toString());
    p.put("ssl.truststore.type", "PKCS12");
    p.put("ssl.truststore.password", storePassword);
  }

  // ---------------------------------------------------------------- certificates

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static X509Certificate caCertificate(KeyPair keys)
      throws GeneralSecurityException, OperatorCreationException, CertIOException {
    // a name of its own: a client must not take another folder's CA for this one
    X500Name name =
        new X500Name(
            "CN=maskstream embedded broker CA "
                + Long.toHexString(RANDOM.nextLong())
                + ",O=maskstream");
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            name,
            serial(),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(VALIDITY)),
            name,
            keys.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
    builder.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    builder.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
    return sign(builder, keys.getPrivate());
  }

  private static X509Certificate leafCertificate(
      KeyPair caKeys, X509Certificate ca, KeyPair keys, String commonName, boolean server)
      throws GeneralSecurityException, OperatorCreationException, CertIOException {
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            ca,
            serial(),
            Date.from(now.minus(Duration.ofHours(1))),
            Date.from(now.plus(VALIDITY)),
            new X500Name("CN=" + commonName + ",O=maskstream"),
            keys.getPublic());
    JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    builder.addExtension(
        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
    builder.addExtension(
        Extension.extendedKeyUsage,
        false,
        server
            ? new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth})
            : new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    if (server) {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(
              new GeneralName[] {
                new GeneralName(GeneralName.dNSName, "localhost"),
                new GeneralName(GeneralName.iPAddress, EmbeddedKafka.HOST)
              }));
    }
    builder.addExtension(
        Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(keys.getPublic()));
    builder.addExtension(
        Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
    return sign(builder, caKeys.getPrivate());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException, OperatorCreationException {
    return new JcaX509CertificateConverter()
        .getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private static BigInteger serial() {
    return new BigInteger(63, RANDOM).add(BigInteger.ONE);
  }

  private static String randomSecret() {
    byte[] bytes = new byte[24];
    RANDOM.nextBytes(bytes);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  // ---------------------------------------------------------------- files

  private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    return store;
  }

  private static void writeKeyStore(
      Path file, String alias, KeyPair keys, X509Certificate cert, X509Certificate ca, String pw)
      throws GeneralSecurityException, IOException {
    KeyStore store = emptyStore();
    store.setKeyEntry(alias, keys.getPrivate(), pw.toCharArray(), new Certificate[] {cert, ca});
    writeStore(file, store, pw);
  }

  private static void writeStore(Path file, KeyStore store, String password)
      throws GeneralSecurityException, IOException {
    Path tmp = newPrivateFile(file);
    try (OutputStream out = Files.newOutputStream(tmp)) {
      store.store(out, password.toCharArray());
    }
    moveInto(tmp, file);
  }

  private static void writePem(Path file, X509Certificate cert) throws IOException {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
      pem.writeObject(cert);
    }
    writeText(file, text.toString());
  }

  private static void writeProperties(Path file, String comment, Map<String, String> entries)
      throws IOException {
    Properties p =
        new Properties() {
          private static final long serialVersionUID = 1L;

          // keeps the entries in their order in the file
          @Override
          public Set<Map.Entry<Object, Object>> entrySet() {
            Map<Object, Object> ordered = new LinkedHashMap<>();
            entries.forEach(ordered::put);
            return ordered.entrySet();
          }
        };
    p.putAll(entries);
    StringWriter text = new StringWriter();
    p.store(text, comment);
    writeText(file, text.toString());
  }

  private static void writeText(Path file, String text) throws IOException {
    Path tmp = newPrivateFile(file);
    try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      out.write(text);
    }
    moveInto(tmp, file);
  }

  /** Creates an empty owner-only file beside {@code file}, to be moved onto it once written. */
  private static Path newPrivateFile(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    if (posix()) {
      return Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    }
    return Files.createFile(tmp);
  }

  private static void moveInto(Path tmp, Path file) throws IOException {
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void createPrivateDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      if (posix()) {
        Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
      } else {
        Files.createDirectories(dir);
      }
    }
  }

  private static boolean posix() {
    return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
  }

  @Override
  public String toString() {
    return "SecureBrokerFiles[" + Objects.toString(dir) + "]";
  }
}
