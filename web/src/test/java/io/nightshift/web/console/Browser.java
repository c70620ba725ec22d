package io.nightshift.web.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.nightshift.scheduler.TempFolders;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;
import org.awaitility.pollinterval.IterativePollInterval;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * A real headless Chromium (Debian's {@code chromium} through {@code chromedriver}, installed by
 * {@code scripts/services.sh}; nothing is downloaded) pointed at a console. It collects what the
 * page logs to its console so tests can assert that nothing went wrong there (a CSP violation is
 * such an error), and saves screenshots under {@code target/screenshots/}.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("target", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(30);

  private final ChromeDriver driver;
  private final String base;
  private final Path profile;
  private final List<String> expectedErrors = new ArrayList<>();

  private Browser(ChromeDriver driver, String base, Path profile) {
    this.driver = driver;
    this.base = base;
    this.profile = profile;
  }

  /** Starts Chromium; fails (never skips) when it is not installed. */
  static Browser open(int port) {
    assertThat(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER))
        .as(
            "browser tests need Debian's chromium and chromium-driver (%s, %s):"
                + " run scripts/services.sh as root",
            CHROMIUM, CHROMEDRIVER)
        .isTrue();
    Path profile = TempFolders.create("nightshift-chromium-");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--user-data-dir=" + profile,
        "--window-size=1280,900");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver driver = new ChromeDriver(service, options);
    // Past WAIT: a wait in the page (waitFor) answers null at WAIT itself.
    driver.manage().timeouts().scriptTimeout(WAIT.plusSeconds(10));
    return new Browser(driver, "http://127.0.0.1:" + port, profile);
  }

  ChromeDriver driver() {
    return driver;
  }

  /** Opens a console route such as {@code #/runs/4}. */
  void open(String hash) {
    String url = base + "/" + hash;
    if (driver.getCurrentUrl() != null && driver.getCurrentUrl().startsWith(base + "/")) {
      driver.executeScript("location.hash = arguments[0]", hash);
    } else {
      driver.get(url);
    }
  }

  /** Signs in on the sign-in page and waits until the console shows who is signed in. */
  void signIn(String token) {
    freshTab();
    WebElement field = find("#token");
    field.sendKeys(token);
    click("#signin");
    find("#me");
  }

  /** The console in a new tab, which keeps no token; the old tab is closed. */
  void freshTab() {
    String old = driver.getWindowHandle();
    driver.switchTo().newWindow(WindowType.TAB);
    String fresh = driver.getWindowHandle();
    driver.switchTo().window(old).close();
    driver.switchTo().window(fresh);
    driver.get(base + "/");
  }

  void signOut() {
    click("#signout");
    find("#signin-form");
  }

  WebElement find(String css) {
    return waitFor(css, null, "an element " + css);
  }

  /**
   * Waits in the page, not by polling it: a MutationObserver answers when an element matching css
   * (holding {@code text} when not null) is there. Polling every 100 ms was one WebDriver command
   * (chromedriver, the browser, the page) per poll: in a full test run, where the console tests
   * wait longer, Chromium's browser process spent more CPU on those commands than on the pages.
   */
  private WebElement waitFor(String css, String text, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        throw timedOut(what, null);
      }
      try {
        Object found = driver.executeAsyncScript(WAIT_FOR_ELEMENT, css, text, left);
        if (found instanceof WebElement element) {
          return element;
        }
      } catch (org.openqa.selenium.WebDriverException e) {
        // The document was replaced while waiting (a navigation): wait in the new one.
        if (System.nanoTime() >= deadline) {
          throw timedOut(what, e);
        }
      }
    }
  }

  private static final String WAIT_FOR_ELEMENT =
      "const [css, text, ms, done] = arguments;"
          + " const match = () => { for (const e of document.querySelectorAll(css)) {"
          + "   if (text === null || e.innerText.includes(text)) return e; } return null; };"
          + " const now = match(); if (now) { done(now); return; }"
          + " let timer = 0;"
          + " const seen = new MutationObserver(() => { const e = match();"
          + "   if (e) { seen.disconnect(); clearTimeout(timer); done(e); } });"
          + " seen.observe(document, {subtree: true, childList: true, characterData: true,"
          + "   attributes: true});"
          + " timer = setTimeout(() => { seen.disconnect(); done(null); }, ms);";

  WebElement first(String css) {
    List<WebElement> found = driver.findElements(By.cssSelector(css));
    return found.isEmpty() ? null : found.get(0);
  }

  /**
   * The rendered text of the first element matching css (null: none), found and read in one call to
   * the browser: no element reference that a re-render could make stale in between.
   */
  String textOf(String css) {
    return (String)
        script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : null;", css);
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  /** Clicks the element, again if the page re-rendered it between finding and clicking. */
  void click(String css) {
    await(
        () -> {
          find(css).click();
          return true;
        },
        "a click on " + css);
  }

  /** Waits until some element matching css shows the text. */
  WebElement waitForText(String css, String text) {
    return waitFor(css, text, "'" + text + "' in " + css);
  }

  /** Waits for a value (not null, not false); on a timeout, saves what the page showed. */
  <T> T await(Supplier<T> probe, String what) {
    try {
      // Each probe is a WebDriver command or more: polls grow apart (50 ms up to 400 ms).
      return Awaitility.await(what)
          .atMost(WAIT)
          .pollInterval(
              IterativePollInterval.iterative(
                  d -> d.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : d.multipliedBy(2),
                  Duration.ofMillis(50)))
          .ignoreExceptions()
          .until(probe::get, v -> v != null && !Boolean.FALSE.equals(v));
    } catch (ConditionTimeoutException e) {
      throw timedOut(what, e);
    }
  }

  private static final Duration MAX_POLL = Duration.ofMillis(400);

  /** A wait ran out: saves what the page showed and says so. */
  private AssertionError timedOut(String what, Throwable cause) {
    screenshot("timeout-" + what.replaceAll("[^A-Za-z0-9]+", "-"));
    return new AssertionError(
        what + " not seen within " + WAIT.toSeconds() + " s; " + whatThePageShows(), cause);
  }

  /**
   * The page's text and what it logged, for a failure's message: a run on another machine (CI)
   * keeps no screenshot.
   */
  private String whatThePageShows() {
    try {
      String text = String.valueOf(script("return document.body ? document.body.innerText : ''"));
      List<String> log =
          driver.manage().logs().get(LogType.BROWSER).getAll().stream()
              .map(l -> l.getLevel() + " " + l.getMessage())
              .toList();
      return "the page showed:\n"
          + text.substring(0, Math.min(text.length(), 3000))
          + "\nits console logged:\n"
          + String.join("\n", log.subList(Math.max(0, log.size() - 30), log.size()));
    } catch (RuntimeException e) {
      return "the page could not be read: " + e;
    }
  }

  Object script(String js, Object... args) {
    return ((JavascriptExecutor) driver).executeScript(js, args);
  }

  void width(int width) {
    driver.manage().window().setSize(new Dimension(width, 900));
  }

  /** Saves the page as target/screenshots/{name}.png. */
  Path screenshot(String name) {
    try {
      Files.createDirectories(SCREENSHOTS);
      File shot = driver.getScreenshotAs(OutputType.FILE);
      Path target = SCREENSHOTS.resolve(name + ".png");
      Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A console error the test provokes on purpose and expects (Chromium logs every 4xx answer to a
   * fetch as "Failed to load resource"), by a part of its text.
   */
  void expectError(String part) {
    expectedErrors.add(part);
  }

  /** Errors the page logged since the last call, less the expected ones. */
  List<String> consoleErrors() {
    List<String> errors = new ArrayList<>();
    for (LogEntry entry : driver.manage().logs().get(LogType.BROWSER)) {
      String message = entry.getMessage();
      if (entry.getLevel().intValue() >= Level.WARNING.intValue()
          && expectedErrors.stream().noneMatch(message::contains)) {
        errors.add(entry.getLevel() + " " + message);
      }
    }
    expectedErrors.clear();
    return errors;
  }

  @Override
  public void close() {
    try {
      driver.quit();
    } finally {
      TempFolders.delete(profile);
    }
  }
}
