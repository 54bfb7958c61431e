package dev.aenstream.cli;

import dev.aenstream.testkit.ExternalTools;
import java.io.File;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

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
}
