using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Maximus.Mcp.Tests;

/// <summary>
/// Maximus.Host with every role on the embedded runtime (<c>--role all --runtime embedded --data-dir {temp}</c>) in
/// process, and MCP clients of the official C# SDK connected to its <c>/mcp</c> endpoint over Streamable HTTP.
/// </summary>
public sealed class McpHost : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    public McpHost()
        : this(new Dictionary<string, string>())
    {
    }

    public McpHost(IReadOnlyDictionary<string, string> settings) => _settings = settings;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "maximus-mcp-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A connected client; <paramref name="headers"/> are sent with every request (e.g. the API token).</summary>
    public async Task<McpClient> ConnectAsync(IDictionary<string, string>? headers = null)
    {
        var http = CreateClient();
        var transport = new HttpClientTransport(
            new HttpClientTransportOptions
            {
                Endpoint = new Uri(http.BaseAddress!, "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = headers,
            },
            http,
            ownsHttpClient: true);
        return await McpClient.CreateAsync(transport, cancellationToken: TestContext.Current.CancellationToken);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("role", "all");
        builder.UseSetting("runtime", "embedded");
        builder.UseSetting("data-dir", DataDirectory);
        builder.UseSetting("Serilog:MinimumLevel:Default", "Warning");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover temp folder changes no test's outcome.
            }
        }
    }
}

/// <summary>What the tests read from tool results.</summary>
internal static class Results
{
    /// <summary>The structured result of a successful call (fails the test with the error text otherwise).</summary>
    public static JsonElement Structured(this CallToolResult result)
    {
        Assert.False(result.IsError == true, $"the tool failed: {result.Text()}");
        return Assert.NotNull(result.StructuredContent).Deserialize<JsonElement>();
    }

    public static string Text(this CallToolResult result) =>
        string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));

    public static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name));

    public static Dictionary<string, object?> BlocksworldArguments() => new()
    {
        ["domain"] = Sample("blocksworld-domain.pddl"),
        ["problem"] = Sample("blocksworld-problem.pddl"),
    };
}
