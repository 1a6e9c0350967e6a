package io.maskstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CameraUrlsTest {
  @Test
  void passwordsAreMaskedInUrlsAndInText() {
    assertThat(CameraUrls.mask("rtsp://admin:s3cret@10.0.0.7:554/stream1"))
        .isEqualTo("rtsp://admin:***@10.0.0.7:554/stream1");
    assertThat(CameraUrls.mask("cannot read http://u:p%40ss@cam/x.mjpg: refused (rtsp://a:b@c/)"))
        .isEqualTo("cannot read http://u:***@cam/x.mjpg: refused (rtsp://a:***@c/)");
    assertThat(CameraUrls.mask("rtsp://viewer@10.0.0.7/s")).isEqualTo("rtsp://viewer@10.0.0.7/s");
    assertThat(CameraUrls.mask("/data/clip.mp4")).isEqualTo("/data/clip.mp4");
    assertThat(CameraUrls.mask("rtsp://viewer:${env:GATE_PW}@10.0.0.7/s"))
        .isEqualTo("rtsp://viewer:${env:GATE_PW}@10.0.0.7/s");
  }

  @Test
  void secretsInQueryParametersAreMaskedToo() {
    assertThat(
            CameraUrls.mask(
                "http://10.0.0.8/cgi-bin/mjpg/video.cgi?channel=1&user=admin&password=s3cret&x=1"))
        .isEqualTo("http://10.0.0.8/cgi-bin/mjpg/video.cgi?channel=1&user=admin&password=***&x=1");
    assertThat(CameraUrls.mask("rtsp://cam/live?Token=abc.def;Api_Key=k1#frag"))
        .isEqualTo("rtsp://cam/live?Token=***;Api_Key=***#frag");
    assertThat(CameraUrls.mask("cannot read https://gw/s.m3u8?sig=A%2FB&expires=9: 403"))
        .isEqualTo("cannot read https://gw/s.m3u8?sig=***&expires=9: 403");
    // names that merely contain a secret word, references and empty values stay
    assertThat(CameraUrls.mask("http://cam/v?keyframe=1&monkey=2&pass=&pwd=${env:CAM_PW}"))
        .isEqualTo("http://cam/v?keyframe=1&monkey=2&pass=&pwd=${env:CAM_PW}");
    assertThat(CameraUrls.mask("cannot read rtsp://cam/s?token=abc: cannot open: refused"))
        .isEqualTo("cannot read rtsp://cam/s?token=***: cannot open: refused");
    assertThat(CameraUrls.mask("http://cam/s?token=a:b")).isEqualTo("http://cam/s?token=***");
    assertThat(CameraUrls.mask("rtsp://a:b@cam/s?password=c"))
        .isEqualTo("rtsp://a:***@cam/s?password=***");
  }

  @Test
  void urlsParseOrSayHowToWriteThem() {
    assertThatCode(() -> CameraUrls.check("rtsp://viewer:${env:GATE_PW}@10.0.0.7/s1"))
        .doesNotThrowAnyException();
    assertThatCode(() -> CameraUrls.check("/dev/video0")).doesNotThrowAnyException();
    assertThatCode(() -> CameraUrls.check("file:///data/clip.mp4")).doesNotThrowAnyException();
    assertThatThrownBy(() -> CameraUrls.check("rtsp://a:pw@[bad/stream"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("url 'rtsp://a:***@[bad/stream' is not a valid URL")
        .hasMessageContaining("write it as scheme://[user:password@]host[:port]/path");
    assertThatThrownBy(() -> CameraUrls.check("http:///x.mjpg")).hasMessageContaining("no host");
    assertThatThrownBy(() -> CameraUrls.check(" ")).hasMessageStartingWith("the url is empty");
  }
}
