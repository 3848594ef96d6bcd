package io.beamline.runners.microbatch.monitoring;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import io.beamline.runners.microbatch.testing.MonitoredJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The job page in a real browser: Debian's headless chromium driven by its chromium-driver
 * (installed by {@code .ci/run}). It loads with no internet (uPlot comes from the webjar), draws
 * the plan, its plots receive the running job's data, and the alert of a deliberately overloaded
 * job appears. Every wait polls the DOM with a deadline ({@link WebDriverWait}).
 *
 * <p>Screenshots go to {@code target/ui-screenshots/}; with {@code -Dbeamline.ui.screenshots=DIR}
 * they are also copied there (how {@code docs/ui-*.png} were made).
 */
public class MonitoringPageIT {
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @Rule public TemporaryFolder tmp = new TemporaryFolder();
  private ChromeDriver browser;

  @Before
  public void startBrowser() {
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(new java.io.File("/usr/bin/chromedriver"))
            .usingAnyFreePort()
            .build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1400,1800");
    browser = new ChromeDriver(service, options);
  }

  @After
  public void stopBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  public void pageLoadsDrawsThePlanAndItsPlotsReceiveTheRunningJobsData() throws Exception {
    try (MonitoredJob job =
        MonitoredJob.start(1, tmp.newFolder().toString(), "--batchInterval=200ms", "--maxRecordsPerBatch=2000")) {
      browser.get(job.ui().toString());
      WebDriverWait wait = new WebDriverWait(browser, DEADLINE, Duration.ofMillis(200));
      wait.until(b -> "true".equals(body().getAttribute("data-ready")));
      assertThat(browser.findElement(By.id("job-name")).getText(), containsString("monitored-job"));
      assertEquals("RUNNING", browser.findElement(By.id("job-state")).getText());
      // uPlot was loaded from the webjar and drew every chart
      assertEquals(7, browser.findElements(By.cssSelector(".plot .uplot")).size());
      // the stage graph: a source stage and a keyed stage joined by a shuffle
      wait.until(b -> b.findElements(By.cssSelector("#plan g.stage")).size() >= 2);
      assertTrue(browser.findElements(By.cssSelector("#plan g.stage.source")).size() >= 1);
      assertTrue(browser.findElements(By.cssSelector("#plan g.stage.keyed")).size() >= 1);
      assertTrue(browser.findElements(By.cssSelector("#plan path.edge.shuffle")).size() >= 1);
      // the rows/s plot holds at least 5 epochs of the job, with input
      wait.until(b -> number("return window.beamlineUi.plots['plot-rows'].data[0].length") >= 5);
      assertTrue(number("return Math.max(...window.beamlineUi.plots['plot-rows'].data[1])") > 0);
      assertTrue(number("return window.beamlineUi.plots['plot-phases'].data.length") == 6);
      assertTrue(number("return window.beamlineUi.plots['plot-state'].data[1].filter(v => v > 0).length") > 0);
      // the latency chart stays hidden: MicroBatchRunner reports no latency
      assertTrue(browser.findElement(By.id("latency-figure")).getAttribute("hidden") != null);
      assertThat(browser.findElement(By.id("latest")).getText(), containsString("epoch"));
      screenshot("ui-running.png");
    }
  }

  @Test
  public void theAlertOfAnOverloadedJobAppears() throws Exception {
    try (MonitoredJob job =
        MonitoredJob.start(50, tmp.newFolder().toString(), "--batchInterval=100ms", "--maxRecordsPerBatch=4000")) {
      browser.get(job.ui().toString());
      WebDriverWait wait = new WebDriverWait(browser, DEADLINE, Duration.ofMillis(200));
      WebElement alert =
          wait.until(
              b -> {
                List<WebElement> found =
                    b.findElements(By.cssSelector("#alerts li.alert[data-alert='processingRatio']"));
                return found.isEmpty() ? null : found.get(0);
              });
      // the message counts the overloaded epochs so far: at least the 3 that raise the alert
      Matcher inARow =
          Pattern.compile("of the 100 ms interval for (\\d+) epochs in a row").matcher(alert.getText());
      assertTrue(alert.getText(), inARow.find());
      assertTrue(alert.getText(), Integer.parseInt(inARow.group(1)) >= 3);
      wait.until(b -> number("return window.beamlineUi.plots['plot-ratio'].data[0].length") >= 3);
      screenshot("ui-overloaded.png");
    }
  }

  private WebElement body() {
    return browser.findElement(By.tagName("body"));
  }

  private double number(String script) {
    Object value = ((JavascriptExecutor) browser).executeScript(script);
    return value == null ? 0 : ((Number) value).doubleValue();
  }

  private void screenshot(String name) throws Exception {
    Path png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
    Path dir = Path.of("target", "ui-screenshots");
    Files.createDirectories(dir);
    Files.copy(png, dir.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    String docs = System.getProperty("beamline.ui.screenshots");
    if (docs != null) {
      Files.copy(png, Path.of(docs).resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
