package dev.aenstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aenstream.broker.EmbeddedBroker;
import dev.aenstream.testkit.ExternalTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser (Debian's headless Chromium through Selenium) while a short demo
 * runs: the page loads its charting library, its plots fill with points for both SAEs, the density
 * histogram, models and versions appear, and a screenshot is kept in target/dashboard.png.
 */
class DashboardBrowserIT {

    @TempDir Path dir;

    @Test
    void theDashboardDrawsTheDemoLive() throws Exception {
        ExternalTools.requireChromium();
        int port = EmbeddedBroker.freePort();
        Path summary = dir.resolve("summary.json");
        CompletableFuture<Integer> demo =
                CompletableFuture.supplyAsync(
                        () ->
                                Aen.commandLine(new String[0])
                                        .execute(
                                                "demo",
                                                "--duration",
                                                "25",
                                                "--rate",
                                                "5000",
                                                "--d-sae",
                                                "256",
                                                "--publish-every",
                                                "20",
                                                "--http-port",
                                                Integer.toString(port),
                                                "--http-host",
                                                "127.0.0.1",
                                                "--summary-json",
                                                summary.toString()));

        ChromeDriver browser = HeadlessChromium.open(1400, 1100);
        try {
            String url = "http://127.0.0.1:" + port + "/";
            new WebDriverWait(browser, Duration.ofSeconds(90))
                    .pollingEvery(Duration.ofMillis(500))
                    .ignoring(Exception.class)
                    .until(
                            b -> {
                                b.get(url);
                                return true;
                            });
            assertThat(browser.getTitle()).isEqualTo("aen-stream dashboard");
            JavascriptExecutor js = browser;
            assertThat(js.executeScript("return typeof uPlot"))
                    .as("uPlot loaded from its webjar")
                    .isEqualTo("function");

            new WebDriverWait(browser, Duration.ofSeconds(90))
                    .pollingEvery(Duration.ofSeconds(1))
                    .until(
                            b -> {
                                Object perSae =
                                        js.executeScript(
                                                "const s = window.aenState(); if (!s) return null;"
                                                        + " const out = {};for (const [id, v] of"
                                                        + " Object.entries(s.saes)) out[id] ="
                                                        + " [v.training.x.length, v.state &&"
                                                        + " v.state.density_histogram ? 1 : 0,"
                                                        + " v.versions.length];return out;");
                                if (!(perSae instanceof Map<?, ?> m)
                                        || !m.keySet().containsAll(List.of("aen", "topk")))
                                    return false;
                                return m.values().stream()
                                        .allMatch(
                                                v -> {
                                                    List<?> counts = (List<?>) v;
                                                    return ((Number) counts.get(0)).longValue() >= 3
                                                            && ((Number) counts.get(1)).longValue()
                                                                    == 1
                                                            && ((Number) counts.get(2)).longValue()
                                                                    >= 2;
                                                });
                            });
            long points = ((Number) js.executeScript("return window.aenPoints()")).longValue();
            assertThat(points).as("data points drawn over all plots").isGreaterThan(20);
            assertThat(browser.findElements(By.cssSelector("#models tr")))
                    .as("a header and a row per SAE")
                    .hasSizeGreaterThanOrEqualTo(3);
            assertThat(browser.findElements(By.cssSelector("#dead_pct canvas"))).isNotEmpty();

            Path shot = Path.of("target", "dashboard.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            assertThat(Files.size(shot)).isGreaterThan(10_000);
        } finally {
            browser.quit();
        }
        assertThat(demo.get(3, TimeUnit.MINUTES)).isZero();
        assertThat(Files.readString(summary)).contains("\"alerts\"");
    }
}
