package dev.aenstream.cli;

import dev.aenstream.testkit.ExternalTools;
import java.io.File;
import java.time.Duration;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/** Debian's Chromium, headless, through Selenium: the browser of the page tests. */
final class HeadlessChromium {
    private HeadlessChromium() {}

    /** Opens a browser window of {@code width} x {@code height}; quit it when done. */
    static ChromeDriver open(int width, int height) {
        ExternalTools.requireChromium();
        ChromeOptions options =
                new ChromeOptions()
                        .setBinary(ExternalTools.CHROMIUM)
                        .addArguments(
                                "--headless=new",
                                "--no-sandbox",
                                "--disable-dev-shm-usage",
                                "--window-size=" + width + "," + height);
        ChromeDriverService service =
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(new File(ExternalTools.CHROMEDRIVER))
                        .build();
        return new ChromeDriver(service, options);
    }

    /** Waits until the element of id {@code id} shows {@code text}, polling every half second. */
    static void awaitText(ChromeDriver browser, String id, String text, Duration within) {
        new WebDriverWait(browser, within)
                .pollingEvery(Duration.ofMillis(500))
                .until(b -> b.findElement(By.id(id)).getText().contains(text));
    }
}
