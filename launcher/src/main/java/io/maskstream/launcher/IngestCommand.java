package io.maskstream.launcher;

import io.maskstream.schemas.cli.KafkaOptions;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code maskstream ingest}: cameras, streams and files into the frames topic. */
@Command(
    name = "ingest",
    mixinStandardHelpOptions = true,
    description = "Publishes frames from cameras, streams and video files to the frames topic.")
final class IngestCommand implements Callable<Integer> {
  @Option(
      names = "--camera",
      paramLabel = "ID=URL",
      description = "A source: rtsp://, http://, udp://, /dev/videoN, a video file or a folder.")
  Map<String, String> cameras = new LinkedHashMap<>();

  @Option(names = "--config", paramLabel = "cameras.yaml", description = "Cameras from a file.")
  Path config;

  @Option(names = "--fps", paramLabel = "N", description = "Target frames per second per camera.")
  Double fps;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() {
    return Unavailable.command("ingest", "ingest");
  }
}
