package io.maskstream.detector.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSignaturesTest {
  private static final String SHA =
      "3f2a9c01b7de00000000000000000000000000000000000000000000000000aa";

  @Test
  void aSignatureVerifiesForItsNameAndHashOnly(@TempDir Path dir) throws Exception {
    List<Path> files = ModelSignatures.write(ModelSignatures.generate(), dir, "publisher");
    assertThat(Files.getPosixFilePermissions(files.get(0)))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    byte[] signature =
        ModelSignatures.sign(
            ModelSignatures.readPrivate(files.get(0)), ModelSignatures.message("shapes", SHA));
    ModelSignatures.Trust trust = ModelSignatures.Trust.load(files.get(1));
    String id = trust.keys().keySet().iterator().next();
    assertThat(id).hasSize(16).matches("[0-9a-f]+");

    assertThat(trust.refusal("shapes", SHA, id, signature)).isNull();
    assertThat(trust.refusal("shapes", SHA.toUpperCase(), id, signature)).isNull();
    assertThat(trust.refusal("shapes", SHA.replace('a', 'b'), id, signature))
        .contains("does not match");
    assertThat(trust.refusal("people", SHA, id, signature)).contains("does not match");
    byte[] tampered = signature.clone();
    tampered[5] ^= 1;
    assertThat(trust.refusal("shapes", SHA, id, tampered)).contains("does not match");
    assertThat(trust.refusal("shapes", SHA, id, new byte[3])).contains("does not match");
    assertThat(trust.refusal("shapes", SHA, null, null)).contains("not signed");
    assertThat(trust.refusal("shapes", SHA, "0000000000000000", signature))
        .contains("key 0000000000000000, which this detector does not trust");
  }

  @Test
  void aFolderOfPublicKeysTrustsEachAndAnotherKeyIsNotTrusted(@TempDir Path dir) throws Exception {
    Path trusted = Files.createDirectories(dir.resolve("trusted"));
    KeyPair a = ModelSignatures.generate();
    KeyPair b = ModelSignatures.generate();
    KeyPair stranger = ModelSignatures.generate();
    ModelSignatures.write(a, trusted, "a");
    ModelSignatures.write(b, trusted, "b");
    Files.delete(trusted.resolve("a.key"));
    Files.delete(trusted.resolve("b.key"));
    ModelSignatures.Trust trust = ModelSignatures.Trust.load(trusted);
    assertThat(trust.keys()).hasSize(2);
    byte[] message = ModelSignatures.message("shapes", SHA);
    assertThat(
            trust.refusal(
                "shapes",
                SHA,
                ModelSignatures.keyId(b.getPublic()),
                ModelSignatures.sign(b.getPrivate(), message)))
        .isNull();
    // a stranger's signature claiming a trusted key's id does not verify
    assertThat(
            trust.refusal(
                "shapes",
                SHA,
                ModelSignatures.keyId(a.getPublic()),
                ModelSignatures.sign(stranger.getPrivate(), message)))
        .contains("does not match");
  }

  @Test
  void badKeyFilesAreRefusedWithTheirName(@TempDir Path dir) throws Exception {
    Path garbage = Files.writeString(dir.resolve("x.pub"), "not a key");
    assertThatThrownBy(() -> ModelSignatures.readPublic(garbage))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("x.pub is not a PEM public key file");
    List<Path> files = ModelSignatures.write(ModelSignatures.generate(), dir, "k");
    assertThatThrownBy(() -> ModelSignatures.readPublic(files.get(0)))
        .isInstanceOf(IOException.class);
    assertThatThrownBy(() -> ModelSignatures.write(ModelSignatures.generate(), dir, "k"))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exists");
    Path empty = Files.createDirectories(dir.resolve("empty"));
    assertThatThrownBy(() -> ModelSignatures.Trust.load(empty))
        .hasMessageContaining("holds no .pub file");
  }
}
