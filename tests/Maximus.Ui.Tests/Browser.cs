using Microsoft.Playwright;

namespace Maximus.Ui.Tests;

/// <summary>
/// Debian's Chromium driven by Playwright (<c>ExecutablePath</c>: Playwright's own browsers are never downloaded).
/// Tests skip when no Chromium is installed (<c>apt-get install chromium</c>; <c>.ci/run</c> tries it).
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;

    private Browser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        Instance = browser;
    }

    public IBrowser Instance { get; }

    /// <summary>The system's Chromium: <c>MAXIMUS_CHROMIUM</c>, else the Debian paths; null when there is none.</summary>
    public static string? Executable()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("MAXIMUS_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium" };
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
    }

    public static async Task<Browser> LaunchAsync()
    {
        var executable = Executable();
        if (executable is null)
        {
            Assert.Skip("No Chromium: install Debian's (apt-get install -y chromium) or set MAXIMUS_CHROMIUM to run the browser tests.");
        }

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        return new Browser(playwright, browser);
    }

    public async Task<IPage> PageAsync(UiHost host)
    {
        var context = await Instance.NewContextAsync(new BrowserNewContextOptions { BaseURL = host.Address, ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(30_000);
        return await context.NewPageAsync();
    }

    /// <summary>Where screenshots and measurements go: <c>MAXIMUS_UI_ARTIFACTS</c>, else <c>TestResults/mission-control</c> beside the tests.</summary>
    public static string Artifacts()
    {
        var folder = Environment.GetEnvironmentVariable("MAXIMUS_UI_ARTIFACTS") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "TestResults", "mission-control");
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Artifacts(), name + ".png"), FullPage = true });

    public async ValueTask DisposeAsync()
    {
        await Instance.DisposeAsync();
        _playwright.Dispose();
    }
}
