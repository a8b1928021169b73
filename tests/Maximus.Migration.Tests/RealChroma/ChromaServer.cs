using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Maximus.Migration.Tests.RealChroma;

/// <summary>
/// Where the REAL Chroma server (npm <c>chromadb@3.0.3</c> with <c>chromadb-js-bindings-linux-x64-gnu@1.0.1</c>: Chroma 1.0.0,
/// API v2) is: the <c>chroma</c> executable named by <c>MAXIMUS_CHROMA</c>, else the one in the cache folder
/// (<c>MAXIMUS_CHROMA_HOME</c>, default <c>~/.cache/maximus/chroma-3.0.3</c>) under <c>node_modules/.bin</c>, else installed
/// there with npm on first use. Null (with the reason) only when npm or the package cannot be had.
/// </summary>
internal static class ChromaInstall
{
    public const string Packages = "chromadb@3.0.3 chromadb-js-bindings-linux-x64-gnu@1.0.1";

    private static readonly Lazy<(string? Executable, string Reason)> Located = new(Locate, LazyThreadSafetyMode.ExecutionAndPublication);

    public static (string? Executable, string Reason) Executable => Located.Value;

    public static string CacheFolder =>
        Environment.GetEnvironmentVariable("MAXIMUS_CHROMA_HOME") is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "maximus", "chroma-3.0.3");

    private static (string? Executable, string Reason) Locate()
    {
        if (Environment.GetEnvironmentVariable("MAXIMUS_CHROMA") is { Length: > 0 } named)
        {
            // Named explicitly: a wrong path is an error of the setup, not a reason to skip.
            return File.Exists(named) ? (named, "") : throw new FileNotFoundException($"MAXIMUS_CHROMA names '{named}', which does not exist.");
        }

        var cached = Path.Combine(CacheFolder, "node_modules", ".bin", "chroma");
        if (File.Exists(cached))
        {
            return (cached, "");
        }

        if (!OperatingSystem.IsLinux())
        {
            return (null, $"The Chroma server of the tests is installed for linux-x64 only ({Packages}); set MAXIMUS_CHROMA to a chroma executable.");
        }

        Directory.CreateDirectory(CacheFolder);
        var (code, output) = Run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", CacheFolder, .. Packages.Split(' ')], TimeSpan.FromMinutes(5));
        if (code is null)
        {
            return (null, $"npm is not installed: cannot install the Chroma server ({Packages}). Install Node.js/npm or set MAXIMUS_CHROMA.");
        }

        return code == 0 && File.Exists(cached)
            ? (cached, "")
            : (null, $"npm install {Packages} into {CacheFolder} failed (exit {code}): {output.Trim()}");
    }

    private static (int? Code, string Output) Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                return (-1, $"timed out after {timeout.TotalSeconds:0} s");
            }

            return (process.ExitCode, stdout.Result + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "");
        }
    }

    /// <summary>The executable, or skips the test naming what is missing.</summary>
    public static string RequireExecutable()
    {
        var (executable, reason) = Executable;
        if (executable is null)
        {
            Assert.Skip(reason);
        }

        return executable;
    }
}

/// <summary>
/// One real Chroma server process: <c>chroma run --path &lt;dir&gt; --port &lt;free port&gt;</c> on loopback, ready once
/// <c>/api/v2/heartbeat</c> answers. <see cref="StopAsync"/> sends SIGINT (as Ctrl-C does: the server exits and its
/// directory stays a valid persistent directory); disposing stops it the same way and kills it if it does not exit.
/// </summary>
internal sealed class ChromaServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ChromaServer(Process process, string directory, int port)
    {
        _process = process;
        Directory = directory;
        Port = port;
        BaseUrl = new Uri($"http://127.0.0.1:{port}");
    }

    public string Directory { get; }

    public int Port { get; }

    public Uri BaseUrl { get; }

    /// <summary>What the server printed (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<ChromaServer> StartAsync(string executable, string directory, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo(executable)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "run", "--path", directory, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment["NO_COLOR"] = "1";
            var server = new ChromaServer(Process.Start(start)!, directory, port);
            server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
            server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            server._process.BeginOutputReadLine();
            server._process.BeginErrorReadLine();
            if (await server.WaitReadyAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false))
            {
                return server;
            }

            var log = server.Log;
            await server.DisposeAsync().ConfigureAwait(false);
            // Another process may have taken the port between the probe and the bind: try another one.
            if (attempt == 3 || !log.Contains("in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"The Chroma server ({executable} run --path {directory} --port {port}) did not answer /api/v2/heartbeat within 60 s:\n{log}");
            }
        }
    }

    /// <summary>Stops the server with SIGINT and waits for it to exit (it persists its directory on the way).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The Chroma server did not exit within 30 s of SIGINT:\n{Log}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Killed instead; nothing else to release.
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private async Task<bool> WaitReadyAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (_process.HasExited)
            {
                return false;
            }

            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl, "/api/v2/heartbeat"), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // slow start
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The collection fixture of the real-server tests: finds (or installs) the executable once and keeps one shared server
/// running for the tests that only need a server (each uses its own collection names); tests that stop and restart a
/// server start their own with <see cref="StartAsync"/>.
/// </summary>
public sealed class ChromaServerFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ChromaServer? _shared;

    internal async Task<ChromaServer> SharedAsync(CancellationToken cancellationToken)
    {
        var executable = ChromaInstall.RequireExecutable();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _shared ??= await ChromaServer.StartAsync(executable, ChromaFixtures.TempDirectory(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static Task<ChromaServer> StartAsync(string directory, CancellationToken cancellationToken) =>
        ChromaServer.StartAsync(ChromaInstall.RequireExecutable(), directory, cancellationToken);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_shared is not null)
        {
            await _shared.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class RealChromaCollection : ICollectionFixture<ChromaServerFixture>
{
    public const string Name = "real Chroma server";
}
