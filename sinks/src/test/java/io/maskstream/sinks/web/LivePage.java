package io.maskstream.sinks.web;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The live page open in a real headless Chromium (Debian's chromium and chromedriver), for
 * integration tests: what its tiles show, read from the page itself.
 */
public final class LivePage implements AutoCloseable {
  static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Paths.get("/usr/bin/chromedriver");

  private static final String TILE =
      "const t = [...document.querySelectorAll('.tile')]"
          + ".find(t => t.dataset.camera === arguments[0]);";

  private final ChromeDriver driver;

  private LivePage(ChromeDriver driver) {
    this.driver = driver;
  }

  /** Whether Debian's chromium and chromium-driver are installed. */
  public static boolean available() {
    return Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
  }

  /**
   * Opens {@code url} in a new browser whose profile is {@code profile} and waits until the page is
   * connected to its update stream.
   */
  public static LivePage open(String url, Path profile) {
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new File(CHROMEDRIVER.toString()))
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1200,800",
        "--user-data-dir=" + profile);
    LivePage page = new LivePage(new ChromeDriver(service, options));
    try {
      page.driver.get(url);
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  "live".equals(page.js("return document.getElementById('status').textContent;")));
    } catch (RuntimeException e) {
      page.close();
      throw e;
    }
    return page;
  }

  /** Runs {@code script} in the page. */
  public Object js(String script, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(script, args);
  }

  /** The RGBA pixel at ({@code x}, {@code y}) of {@code camera}'s canvas. */
  @SuppressWarnings("unchecked")
  public int[] pixel(String camera, int x, int y) {
    List<Number> rgba =
        (List<Number>)
            js(
                TILE
                    + "return Array.from(t.querySelector('canvas').getContext('2d')"
                    + ".getImageData(arguments[1], arguments[2], 1, 1).data);",
                camera,
                x,
                y);
    return rgba.stream().mapToInt(Number::intValue).toArray();
  }

  /** A data attribute of {@code camera}'s tile (sequence, detections), or null. */
  public String tileData(String camera, String key) {
    Object v = js(TILE + "return t ? (t.dataset[arguments[1]] || null) : null;", camera, key);
    return v == null ? null : v.toString();
  }

  /** The text of an element of {@code camera}'s tile, e.g. {@code h3} or {@code .stats}. */
  public String tileText(String camera, String selector) {
    return (String)
        js(TILE + "return t ? t.querySelector(arguments[1]).textContent : null;", camera, selector);
  }

  /** Whether the cameras panel is shown. */
  public boolean cameraPanelShown() {
    return Boolean.TRUE.equals(js("return !document.getElementById('camera-panel').hidden;"));
  }

  /** The camera ids of the cameras panel's rows, in their order. */
  @SuppressWarnings("unchecked")
  public List<String> cameraRows() {
    return (List<String>)
        js(
            "return [...document.querySelectorAll('#camera-rows tr')]"
                + ".map(r => r.dataset.camera);");
  }

  /**
   * What the cameras panel shows of {@code camera}, or null when it does not list it: {@code
   * condition} (as its badge says it), the text of its cells {@code name}, {@code labels}, {@code
   * fps}, {@code lastFrame}, {@code reconnects}, {@code owner}, {@code summary}, {@code url} (null
   * when absent), and the badge's colour {@code badgeColor} ({@code rgb(r, g, b)}).
   */
  @SuppressWarnings("unchecked")
  public Map<String, String> cameraRow(String camera) {
    return (Map<String, String>)
        js(
            "const r = [...document.querySelectorAll('#camera-rows tr')]"
                + ".find(r => r.dataset.camera === arguments[0]);"
                + "if (!r) return null;"
                + "const t = s => { const e = r.querySelector(s); return e ? e.textContent : null; };"
                + "return {condition: t('.badge'), name: t('.name'), labels: t('.labels'),"
                + " fps: t('.fps'), lastFrame: t('.last-frame'), reconnects: t('.reconnects'),"
                + " owner: t('.owner'), summary: t('.summary'), url: t('.url'),"
                + " badgeColor: getComputedStyle(r.querySelector('.badge')).backgroundColor};",
            camera);
  }

  /** The number of camera tiles. */
  public int tiles() {
    return ((Number) js("return document.querySelectorAll('.tile').length;")).intValue();
  }

  /** Saves a screenshot of the page as {@code target}. */
  public void screenshot(Path target) throws Exception {
    Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
    Files.createDirectories(target.toAbsolutePath().getParent());
    Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
  }

  @Override
  public void close() {
    driver.quit();
  }
}
