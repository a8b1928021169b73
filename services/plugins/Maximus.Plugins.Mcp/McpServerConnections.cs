using System.Collections.Concurrent;
using System.Text.Json;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Maximus.Plugins.Mcp;

/// <summary>A server could not be reached, exited, or did not answer in time; the message names the server (and the tool).</summary>
public sealed class McpServerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a tool call came to: its result, or why the server gave none.</summary>
public sealed record McpCallOutcome(CallToolResult? Result, string? Failure, ProgressNotificationValue? LastProgress);

/// <summary>
/// One MCP client (the official C# SDK) per configured server, started on first use and started again after the server
/// exited. Every failure of a server (it cannot start, exits, never answers, times out) becomes an exception or outcome
/// that names the server and the tool: the host stays up.
/// </summary>
public sealed partial class McpServerConnections(IOptions<McpBridgeOptions> options, ILoggerFactory loggerFactory) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, McpClient> _clients = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, McpSemantics> _semantics = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger = loggerFactory.CreateLogger<McpServerConnections>();

    public IReadOnlyCollection<string> ServerNames => options.Value.Mcp.Keys;

    /// <summary>The settings of server <paramref name="name"/>; a 404 problem naming the configured ones when unknown.</summary>
    public McpServerSettings Settings(string name) =>
        options.Value.Mcp.TryGetValue(name, out var settings)
            ? settings
            : throw new ProblemException(404, "Unknown MCP server",
                $"No MCP server '{name}' is configured (Maximus:Plugins:Mcp:{name}). Configured: {(ServerNames.Count == 0 ? "none" : string.Join(", ", ServerNames))}. Add one with 'maximus plugins add-mcp {name} -- <command> [args…]'.",
                "context");

    /// <summary>The server's side file (declared world and tool semantics); empty when it has none.</summary>
    public McpSemantics Semantics(string name) => _semantics.GetOrAdd(name, n => McpSemanticsFile.Read(Settings(n).Semantics));

    /// <summary>The server's tools and its name and version, as the SDK lists them.</summary>
    public async Task<(Implementation Server, IReadOnlyList<Tool> Tools)> ListToolsAsync(string name, CancellationToken cancellationToken)
    {
        var settings = Settings(name);

        // Starting the server has its own clock (ConnectTimeoutSeconds); the listing's starts once it answers.
        var client = await ConnectAsync(name, settings, cancellationToken).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(settings.CallTimeoutSeconds));
        try
        {
            var tools = await client.ListToolsAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
            return (client.ServerInfo ?? new Implementation { Name = name, Version = "unknown" }, tools.Select(t => t.ProtocolTool).ToList());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await ForgetAsync(name, client).ConfigureAwait(false);
            throw new McpServerUnavailableException($"MCP server '{name}' did not list its tools within {settings.CallTimeoutSeconds} s.");
        }
        catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            await ForgetAsync(name, client).ConfigureAwait(false);
            throw new McpServerUnavailableException($"MCP server '{name}' failed to list its tools: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Calls tool <paramref name="tool"/>. The call may run as long as the server keeps answering: every progress
    /// notification restarts the <see cref="McpServerSettings.CallTimeoutSeconds"/> clock. A timeout or cancellation
    /// cancels the request at the server (MCP <c>notifications/cancelled</c>, sent by the SDK).
    /// </summary>
    public async Task<McpCallOutcome> CallToolAsync(string name, string tool, IReadOnlyDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        var settings = Settings(name);
        McpClient client;
        try
        {
            client = await ConnectAsync(name, settings, cancellationToken).ConfigureAwait(false);
        }
        catch (McpServerUnavailableException ex)
        {
            return new McpCallOutcome(null, $"{ex.Message} (tool '{tool}' was not called)", null);
        }

        using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var idleTimeout = TimeSpan.FromSeconds(settings.CallTimeoutSeconds);
        idle.CancelAfter(idleTimeout);
        ProgressNotificationValue? last = null;
        var progress = new SynchronousProgress(value =>
        {
            last = value;
            idle.CancelAfter(idleTimeout);
        });
        try
        {
            var result = await client.CallToolAsync(tool, arguments, progress, cancellationToken: idle.Token).ConfigureAwait(false);
            return new McpCallOutcome(result, null, last);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new McpCallOutcome(null, $"The call of tool '{tool}' on MCP server '{name}' was cancelled.", last);
        }
        catch (OperationCanceledException)
        {
            return new McpCallOutcome(null,
                $"MCP server '{name}' did not answer tool '{tool}' within {settings.CallTimeoutSeconds} s{(last is null ? "" : $" of its last progress ({Describe(last)})")}; the call was cancelled.",
                last);
        }
        catch (McpProtocolException ex)
        {
            // The server answered with a JSON-RPC error (unknown tool, invalid arguments): the server is fine.
            return new McpCallOutcome(null, $"MCP server '{name}' refused tool '{tool}': {ex.Message}", last);
        }
        catch (Exception ex) when (ex is McpException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            await ForgetAsync(name, client).ConfigureAwait(false);
            return new McpCallOutcome(null, $"MCP server '{name}' failed during tool '{tool}' (it may have exited): {ex.Message}", last);
        }
    }

    public static string Describe(ProgressNotificationValue progress) =>
        progress.Total is { } total ? $"{progress.Progress}/{total}" : progress.Progress.ToString(System.Globalization.CultureInfo.InvariantCulture)
        + (progress.Message is { Length: > 0 } m ? $" {m}" : "");

    private async Task<McpClient> ConnectAsync(string name, McpServerSettings settings, CancellationToken cancellationToken)
    {
        if (_clients.TryGetValue(name, out var existing) && !existing.Completion.IsCompleted)
        {
            return existing;
        }

        var gate = _gates.GetOrAdd(name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_clients.TryGetValue(name, out existing))
            {
                if (!existing.Completion.IsCompleted)
                {
                    return existing;
                }

                LogServerExited(_logger, name);
                await ForgetAsync(name, existing).ConfigureAwait(false);
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds));
            var clientOptions = new McpClientOptions
            {
                ClientInfo = new Implementation { Name = "maximus-mcp-bridge", Version = "1.0.0" },
                InitializationTimeout = TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds),
            };
            try
            {
                var client = await McpClient.CreateAsync(Transport(name, settings), clientOptions, loggerFactory, timeout.Token).ConfigureAwait(false);
                _clients[name] = client;
                LogConnected(_logger, name, client.ServerInfo?.Name ?? "?", client.ServerInfo?.Version ?? "?");
                return client;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new McpServerUnavailableException($"MCP server '{name}' did not complete the MCP handshake within {settings.ConnectTimeoutSeconds} s.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new McpServerUnavailableException($"MCP server '{name}' could not be started or reached ({Target(settings)}): {ex.Message}", ex);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    private IClientTransport Transport(string name, McpServerSettings settings)
    {
        if (!string.IsNullOrWhiteSpace(settings.Url))
        {
            return new HttpClientTransport(new HttpClientTransportOptions
            {
                Name = name,
                Endpoint = new Uri(settings.Url),
                TransportMode = HttpTransportMode.StreamableHttp,
                ConnectionTimeout = TimeSpan.FromSeconds(settings.ConnectTimeoutSeconds),
            }, loggerFactory);
        }

        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = name,
            Command = settings.Command!,
            Arguments = settings.Args,
            WorkingDirectory = settings.WorkingDirectory,
            EnvironmentVariables = settings.Env.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal),
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        }, loggerFactory);
    }

    private static string Target(McpServerSettings settings) =>
        settings.Url ?? string.Join(' ', new[] { settings.Command! }.Concat(settings.Args));

    private async Task ForgetAsync(string name, McpClient client)
    {
        if (_clients.TryGetValue(name, out var current) && ReferenceEquals(current, client))
        {
            _clients.TryRemove(name, out _);
        }

        try
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or McpException or OperationCanceledException)
        {
            LogDisposeFailed(_logger, name, ex.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (name, client) in _clients.ToArray())
        {
            await ForgetAsync(name, client).ConfigureAwait(false);
        }

        foreach (var gate in _gates.Values)
        {
            gate.Dispose();
        }
    }

    /// <summary>Reports progress on the notifying thread (<see cref="Progress{T}"/> would post it later, after the timeout).</summary>
    private sealed class SynchronousProgress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Name} connected: {ServerName} {ServerVersion}")]
    private static partial void LogConnected(ILogger logger, string name, string serverName, string serverVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Name} has exited; starting it again")]
    private static partial void LogServerExited(ILogger logger, string name);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Closing MCP server {Name}: {Message}")]
    private static partial void LogDisposeFailed(ILogger logger, string name, string message);
}

/// <summary>Reads a server's side file (<see cref="McpSemantics"/>).</summary>
public static class McpSemanticsFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static McpSemantics Read(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return new McpSemantics();
        }

        var full = Path.GetFullPath(path);
        try
        {
            return JsonSerializer.Deserialize<McpSemantics>(File.ReadAllText(full), Json) ?? new McpSemantics();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new ProblemException(500, "Invalid MCP semantics file", $"{full}: {ex.Message}");
        }
    }
}
