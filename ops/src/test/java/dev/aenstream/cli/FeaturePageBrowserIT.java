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
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A feature page in a real browser while the demo runs MiniLM over Europarl speeches: for a feature
 * the monitor calls alive and that has top contexts, the page shows real sentences with the token
 * highlighted, exactly the characters the context names, and a screenshot is kept in
 * target/feature-page.png. The dashboard then shows the score of each version spliced into MiniLM
 * as the demo runs, its p-SNE map draws every feature, and a click on one opens its page
 * (target/dictionary-map.png).
 */
class FeaturePageBrowserIT {
    private static final String SAE = "aen";

    @TempDir Path dir;

    @Test
    void aLiveFeaturesPageShowsItsTopTokensInTheirText() throws Exception {
        ExternalTools.requireChromium();
        int port = EmbeddedBroker.freePort();
        CompletableFuture<Integer> demo =
                CompletableFuture.supplyAsync(
                        () ->
                                Aen.commandLine(new String[0])
                                        .execute(
                                                "demo",
                                                "--source",
                                                "minilm",
                                                "--duration",
                                                "50",
                                                "--d-sae",
                                                "128",
                                                "--publish-every",
                                                "50",
                                                // The checks need not finish within the run: on
                                                // a loaded machine the map came after it ended (CI
                                                // of stop 39).
                                                "--linger",
                                                "600",
                                                // Features judged after 5,000 tokens, not 20,000:
                                                // a loaded machine produced 15,475 in the run (CI
                                                // of stop 40), and none was ever called alive.
                                                "--judge-after-tokens",
                                                "5000",
                                                "--http-port",
                                                Integer.toString(port),
                                                "--http-host",
                                                "127.0.0.1",
                                                "--summary-json",
                                                dir.resolve("summary.json").toString()));
        ChromeDriver browser = HeadlessChromium.open(1400, 1000);
        boolean served = false;
        try {
            String base = "http://127.0.0.1:" + port + "/";
            new WebDriverWait(browser, Duration.ofSeconds(120))
                    .pollingEvery(Duration.ofMillis(500))
                    .ignoring(Exception.class)
                    .until(
                            b -> {
                                b.get(base + "feature.html");
                                return true;
                            });
            served = true;
            JavascriptExecutor js = browser;
            // A feature the monitor judges alive, with contexts kept: the first such id.
            Object found =
                    new WebDriverWait(browser, Duration.ofSeconds(120))
                            .pollingEvery(Duration.ofSeconds(2))
                            .until(
                                    b ->
                                            js.executeAsyncScript(
                                                    "const done = arguments[arguments.length -"
                                                        + " 1];(async () => { for (let j = 0; j <"
                                                        + " 128; j++) { const r = await"
                                                        + " fetch('/api/feature?sae="
                                                            + SAE
                                                            + "&feature=' + j); if (!r.ok)"
                                                            + " continue; const p = await r.json();"
                                                            + " const v = p.versions.find(v =>"
                                                            + " v.contexts.length >= 3); if"
                                                            + " (p.status === 'alive' && v) return"
                                                            + " j; } return null; })().then(done,"
                                                            + " () => done(null));"));
            int feature = ((Number) found).intValue();
            browser.get(base + "feature.html?sae=" + SAE + "&feature=" + feature);
            List<WebElement> marks =
                    new WebDriverWait(browser, Duration.ofSeconds(30))
                            .until(
                                    b -> {
                                        List<WebElement> m =
                                                b.findElements(By.cssSelector("#contexts mark"));
                                        return m.size() >= 3 ? m : null;
                                    });
            assertThat(browser.findElement(By.cssSelector("#summary .status")).getText())
                    .isEqualTo("alive");
            @SuppressWarnings("unchecked")
            Map<String, Object> page =
                    (Map<String, Object>) js.executeScript("return window.aenFeature()");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> contexts =
                    (List<Map<String, Object>>)
                            ((List<Map<String, Object>>) page.get("versions"))
                                    .stream()
                                            .filter(v -> ((List<?>) v.get("contexts")).size() >= 3)
                                            .findFirst()
                                            .orElseThrow()
                                            .get("contexts");
            List<WebElement> rows = browser.findElements(By.cssSelector("#contexts tr"));
            for (int i = 0; i < marks.size(); i++) {
                Map<String, Object> c = contexts.get(i);
                String text = (String) c.get("text");
                List<?> h = (List<?>) c.get("highlight");
                String token =
                        text.substring(
                                ((Number) h.get(0)).intValue(), ((Number) h.get(1)).intValue());
                assertThat(marks.get(i).getText()).isEqualTo(token.strip());
                assertThat(token)
                        .as("a token of real text")
                        .containsPattern("\\p{L}|\\p{N}|\\p{P}");
                assertThat(text).as("words around the token").containsPattern("\\p{L}+ \\p{L}+");
                // The row shows the whole context, token in place, and the speech it is from.
                // WebDriver reads a no-break space (Europarl's "Mr President") as a space.
                String shown = rows.get(i + 1).getText();
                assertThat(shown.replaceAll("(?U)\\s+", " "))
                        .contains(text.strip().replaceAll("(?U)\\s+", " "));
                assertThat((String) c.get("document_id")).startsWith("europarl:");
            }
            assertThat(browser.findElements(By.cssSelector("#density canvas"))).isNotEmpty();
            assertThat(browser.findElements(By.cssSelector("#versions tr"))).hasSizeGreaterThan(1);

            Path shot = Path.of("target", "feature-page.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            assertThat(Files.size(shot)).isGreaterThan(10_000);

            // The dictionary's map: every feature drawn, and a click opens a feature's page.
            browser.get(base + "?sae=" + SAE);
            // The live spliced score: the demo splices its versions into MiniLM as it runs.
            @SuppressWarnings("unchecked")
            Map<String, Object> spliced =
                    (Map<String, Object>)
                            new WebDriverWait(browser, Duration.ofSeconds(180))
                                    .pollingEvery(Duration.ofSeconds(1))
                                    .until(
                                            b ->
                                                    js.executeScript(
                                                            "const s = window.aenState() &&"
                                                                + " window.aenState().saes.aen;"
                                                                + " const rows ="
                                                                + " document.querySelectorAll('#splicedTable"
                                                                + " tr').length; return s &&"
                                                                + " s.spliced && s.spliced.x &&"
                                                                + " s.spliced.x.length > 0 && rows"
                                                                + " > 1 ? s.spliced : null;"));
            assertThat((String) spliced.get("score_name")).isEqualTo("embedding_score");
            for (Object score : (List<?>) spliced.get("score"))
                assertThat(((Number) score).doubleValue()).isFinite().isLessThanOrEqualTo(1.0);
            assertThat(browser.findElement(By.id("scoreName")).getText())
                    .isEqualTo("embedding_score");
            Object drawn =
                    new WebDriverWait(browser, Duration.ofSeconds(180))
                            .pollingEvery(Duration.ofSeconds(1))
                            .until(
                                    b ->
                                            js.executeScript(
                                                    "const m = window.aenMap(); return m &&"
                                                            + " m.length === 128 ? m[0] : null;"));
            Files.write(
                    Path.of("target", "dictionary-map.png"),
                    browser.findElement(By.id("map")).getScreenshotAs(OutputType.BYTES));
            @SuppressWarnings("unchecked")
            Map<String, Object> point = (Map<String, Object>) drawn;
            WebElement canvas = browser.findElement(By.id("map"));
            new org.openqa.selenium.interactions.Actions(browser)
                    .moveToElement(
                            canvas,
                            (int) Math.round(((Number) point.get("cx")).doubleValue())
                                    - canvas.getSize().getWidth() / 2,
                            (int) Math.round(((Number) point.get("cy")).doubleValue())
                                    - canvas.getSize().getHeight() / 2)
                    .click()
                    .perform();
            new WebDriverWait(browser, Duration.ofSeconds(10))
                    .until(
                            b ->
                                    b.getCurrentUrl()
                                            .contains("/feature.html?sae=" + SAE + "&feature="));
        } finally {
            browser.quit();
            // What Ctrl-C asks, as a person ends the demo's wait; not the signal itself, which a
            // JVM started as a background job ignores (CI of this change: the demo waited on).
            if (served) StopSignals.ask();
        }
        assertThat(demo.get(3, TimeUnit.MINUTES)).isZero();
    }
}
